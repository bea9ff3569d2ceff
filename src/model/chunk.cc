// Resolving overlapping slice records into what a reader sees.
#include "model/chunk.h"

#include <algorithm>

namespace jfsbr {

std::vector<ChunkSegment> ResolveChunk(const std::vector<SliceRecord>& records) {
  std::vector<ChunkSegment> segs;  // sorted, non-overlapping
  for (const auto& r : records) {
    if (r.len == 0) continue;
    uint64_t start = r.pos, end = uint64_t{r.pos} + r.len;
    std::vector<ChunkSegment> next;
    next.reserve(segs.size() + 2);
    for (const auto& s : segs) {
      uint64_t s_end = uint64_t{s.pos} + s.len;
      if (s_end <= start || s.pos >= end) {
        next.push_back(s);
        continue;
      }
      if (s.pos < start) {  // keep the left part
        ChunkSegment left = s;
        left.len = static_cast<uint32_t>(start - s.pos);
        next.push_back(left);
      }
      if (s_end > end) {  // keep the right part
        ChunkSegment right = s;
        right.pos = static_cast<uint32_t>(end);
        right.len = static_cast<uint32_t>(s_end - end);
        right.off = s.off + static_cast<uint32_t>(end - s.pos);
        next.push_back(right);
      }
    }
    next.push_back({r.pos, r.len, r.id, r.size, r.off});
    std::sort(next.begin(), next.end(), [](auto& a, auto& b) { return a.pos < b.pos; });
    segs = std::move(next);
  }
  // Fill the gaps with holes.
  std::vector<ChunkSegment> out;
  uint32_t at = 0;
  for (const auto& s : segs) {
    if (s.pos > at) out.push_back({at, s.pos - at, 0, 0, 0});
    out.push_back(s);
    at = s.pos + s.len;
  }
  return out;
}

}  // namespace jfsbr
