// Basic JuiceFS constants and types shared by the whole model.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

namespace jfsbr {

using Ino = uint64_t;

inline constexpr Ino kRootInode = 1;
inline constexpr Ino kTrashInode = 0x7FFFFFFF10000000ULL;  // shown as ".trash" in the root
inline constexpr std::string_view kTrashName = ".trash";
inline constexpr uint32_t kChunkBits = 26;
inline constexpr uint64_t kChunkSize = uint64_t{1} << kChunkBits;  // 64 MiB
inline constexpr size_t kMaxNameLen = 255;
inline constexpr uint64_t kInodeBatch = 1024;  // nextInode is taken in batches of this
inline constexpr uint64_t kSliceBatch = 4096;  // nextChunk is taken in batches of this

inline bool IsTrashInode(Ino ino) { return ino >= kTrashInode; }

// One chunk of a file: the inode and the chunk's index in it. Plain bytes,
// ordered by inode then index (for sorters that spill to disk).
struct ChunkId {
  Ino ino;
  uint32_t index;
  auto operator<=>(const ChunkId&) const = default;
};

enum class FileType : uint8_t {
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
  kFifo = 4,
  kBlockDev = 5,
  kCharDev = 6,
  kSocket = 7,
};

// The name JuiceFS's dumps use ("regular", "directory", ...); "" if unknown.
std::string_view FileTypeName(FileType t);
bool ValidFileType(uint8_t t);
// The S_IF* bits of st_mode for a type (S_IFREG for an unknown one).
uint32_t PosixTypeBits(FileType t);

// Space a node of this length is charged: 4 KiB granules, and 4 KiB for 0.
inline int64_t Align4K(uint64_t length) {
  if (length == 0) return 4096;
  return static_cast<int64_t>((((length - 1) >> 12) + 1) << 12);
}

}  // namespace jfsbr
