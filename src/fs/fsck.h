// fsck (juicefs-formats.md §5.2): every block object the volume's files need
// exists with the right size, the metadata invariants hold (check), and with
// repair what the metadata can settle (nlink, usage records, counters, refs)
// is rewritten.
//
// The whole volume: chunks/ is listed once, in parallel key ranges, and each
// listed block of the right name and size is counted off its slice (a sorted
// array, 28 bytes a slice); the blocks of slices not fully seen are asked for
// by HEAD before any is called lost, and a damaged slice names every file
// that uses it. A path: the blocks of that file, or of every file under that
// directory with recursive, asked for by HEAD in parallel. Files waiting for
// deletion (pending-delete records) are not checked.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fs/check.h"
#include "fs/volume.h"

namespace jfsbr {

struct FsckOptions {
  std::string path;  // empty: the whole volume
  bool recursive = false;
  bool repair = false;
  int threads = 10;
  std::function<void(uint64_t blocks)> progress;
};

struct BrokenFile {
  Ino ino = 0;
  std::string path;  // "inode:N" when no path leads to it
  uint64_t lost_blocks = 0;
};

struct FsckReport {
  uint64_t files = 0, blocks = 0;             // checked
  uint64_t lost_blocks = 0, lost_bytes = 0;   // missing objects
  uint64_t wrong_size = 0;                    // present with another size
  std::vector<std::string> damaged_examples;  // the first few, one line each
  std::vector<BrokenFile> broken;             // by inode
  CheckReport check;
  RepairResult repairs;  // with repair
  bool ok() const { return lost_blocks == 0 && wrong_size == 0 && check.ok(); }
};

Result<FsckReport> Fsck(Volume* vol, const FsckOptions& opts);

// A path naming inode ino ("/a/b"), following parent fields and parent
// counters; "inode:N" when none leads to the root.
std::string PathOf(Volume* vol, Ino ino);

}  // namespace jfsbr
