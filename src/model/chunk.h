// Resolving a chunk's slice records into what a reader sees (§2.2): records
// apply in order, later ones win where they overlap, uncovered ranges are
// holes that read as zeros.
#pragma once

#include <cstdint>
#include <vector>

#include "model/records.h"

namespace jfsbr {

// A visible range of a chunk: [pos, pos+len) reads slice `id` from byte
// `off` on. id 0 is a hole (zeros). size is the whole slice's size.
struct ChunkSegment {
  uint32_t pos = 0;
  uint32_t len = 0;
  uint64_t id = 0;
  uint32_t size = 0;
  uint32_t off = 0;
  bool operator==(const ChunkSegment&) const = default;
};

// The visible segments of a chunk in position order, from 0 to the end of the
// furthest record, holes included as id-0 segments.
std::vector<ChunkSegment> ResolveChunk(const std::vector<SliceRecord>& records);

}  // namespace jfsbr
