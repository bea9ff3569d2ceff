// The JSON dump, byte for byte as JuiceFS writes it (juicefs-formats.md §3),
// read from one engine snapshot.
//
// Memory stays bounded: the tree is walked depth first and each directory's
// entries are streamed in pages (their key order is the dump's name order),
// while a pool of threads reads and renders the next entries ahead of the
// writer, which writes them in order.
#pragma once

#include "dump/dump.h"

namespace jfsbr {

// Dumps the volume as of `snapshot` into out (not closed) as JSON.
Result<DumpStats> DumpJson(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts);

}  // namespace jfsbr
