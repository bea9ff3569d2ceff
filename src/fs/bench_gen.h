// A synthetic volume for dump/load benchmarks, metadata only (no objects),
// in the shape JuiceFS uses for its own: 10% of the files in one directory,
// the rest in a tree of depth 3 with 10 subdirectories per level (1,000 leaf
// directories), every file 8 KiB in one slice, and about 1% each of hard
// links (into the big directory), symlinks and xattrs. The result passes
// `check`. With slices > 1 each file was written in that many appends: a
// fragmented volume, for the benchmark of gc --compact.
#pragma once

#include <functional>

#include "fs/volume.h"

namespace jfsbr {

struct BenchGenStats {
  uint64_t files = 0, dirs = 0, hard_links = 0, symlinks = 0, xattrs = 0, keys = 0;
};

// Formats an empty engine as volume "bench" and fills it.
// o gives the volume's store (storage "mem" unless a bucket is set).
Result<BenchGenStats> GenerateBenchVolume(Meta* meta, uint64_t files, int threads,
                                          FormatOptions o = {}, uint32_t slices = 1);

struct BenchObjectStats {
  uint64_t objects = 0, bytes = 0, leaked = 0;
};
// Writes the block objects of every slice the volume's files use (zeros of
// each block's length), plus `leaked` objects of slices nothing uses (ids
// past nextChunk): a bucket for the gc and fsck benchmarks.
Result<BenchObjectStats> WriteBenchObjects(Volume* vol, int threads, uint64_t leaked,
                                           const std::function<void(uint64_t)>& progress);

}  // namespace jfsbr
