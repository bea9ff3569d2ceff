// What `info` shows: a subtree summary and a file's block objects (§5.3).
#pragma once

#include <string>
#include <vector>

#include "fs/volume.h"

namespace jfsbr {

struct Summary {
  uint64_t files = 0;   // non-directories
  uint64_t dirs = 0;    // directories, the top one included
  uint64_t length = 0;  // bytes of regular files
  uint64_t size = 0;    // space charged: 4 KiB granules, 4 KiB per dir/link/empty file
};
Result<Summary> Summarize(Volume* vol, Ino ino);

// One row of the objects table: a block object (or a hole, with an empty key)
// and the part of it the file uses at file offset pos.
struct ObjectRow {
  uint32_t chunk_index = 0;
  std::string key;  // "<volume>/chunks/..." as stored in the bucket
  uint32_t size = 0;
  uint32_t off = 0;
  uint32_t len = 0;
  uint64_t pos = 0;
};
Result<std::vector<ObjectRow>> FileObjects(Volume* vol, Ino ino);

}  // namespace jfsbr
