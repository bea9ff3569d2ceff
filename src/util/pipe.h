// A byte stream from a producer thread to a reader: what one library call
// writes into a Sink (a dump) read as a Source by another (a parser), with
// a bounded buffer between them.
#pragma once

#include <functional>
#include <memory>

#include "util/io.h"

namespace jfsbr {

// Runs producer on a thread of its own; the Source returned reads what it
// writes, then its error if it failed (the end of the stream only when it
// succeeded). Destroying the Source early makes the producer's next Write
// fail and waits for it to return. At most buffer_bytes are held.
std::unique_ptr<Source> PipeFrom(std::function<Status(Sink*)> producer,
                                 size_t buffer_bytes = 4 << 20);

}  // namespace jfsbr
