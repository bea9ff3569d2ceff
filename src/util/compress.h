// gzip and zstd streams over Sink/Source, chosen by file name as JuiceFS does:
// ".gz" is gzip, ".zstd" (and ".zst") is zstd, anything else plain.
#pragma once

#include <memory>
#include <string>

#include "util/io.h"

namespace jfsbr {

enum class Compression { kNone, kGzip, kZstd };

Compression CompressionForName(const std::string& path);

// Compresses into base (which the returned sink owns); Close finishes the
// stream and closes base. Level 1 is JuiceFS's BestSpeed.
std::unique_ptr<Sink> CompressingSink(std::unique_ptr<Sink> base, Compression c, int level = 1);
// Decompresses base; a stream that ends early or is corrupt is an error.
std::unique_ptr<Source> DecompressingSource(std::unique_ptr<Source> base, Compression c);

}  // namespace jfsbr
