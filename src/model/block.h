// Block object names (juicefs-formats.md §2.3) and slice-to-block mapping.
//
// A slice of `size` bytes is stored as blocks 0..(size-1)/bs, each bs long but
// the last. Keys are relative to the volume's "<name>/" prefix:
//   chunks/{id/1000000}/{id/1000}/{id}_{index}_{blocklen}          (default)
//   chunks/{%02X of id%256}/{id/1000000}/{id}_{index}_{blocklen}   (HashPrefix)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jfsbr {

std::string BlockKey(uint64_t slice_id, uint32_t index, uint32_t block_len, bool hash_prefix);

// "chunks/{a}/{b}/{id}_{index}_{len}" taken apart (3 path parts under chunks/,
// 3 numbers); whether {a}/{b} is where the volume puts that id is for the
// caller to check against BlockKey.
struct BlockName {
  uint64_t id = 0;
  uint32_t index = 0;
  uint32_t len = 0;
};
std::optional<BlockName> ParseBlockName(std::string_view key);

// Cut points that split "chunks/" into ~100 key ranges of similar size for
// parallel listing (ListRanges): the leading digits of both directory
// levels, or the 256 hash prefixes. Sorted, distinct.
std::vector<std::string> ChunkListingBoundaries(bool hash_prefix);

inline uint32_t BlockCount(uint32_t slice_size, uint64_t block_bytes) {
  return slice_size == 0 ? 0 : static_cast<uint32_t>((slice_size - 1) / block_bytes + 1);
}
inline uint32_t BlockLen(uint32_t slice_size, uint32_t index, uint64_t block_bytes) {
  uint64_t start = uint64_t{index} * block_bytes;
  uint64_t left = slice_size - start;
  return static_cast<uint32_t>(left < block_bytes ? left : block_bytes);
}

}  // namespace jfsbr
