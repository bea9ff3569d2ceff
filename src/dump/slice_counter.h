// SliceCounter: how many times each slice (id, size) is referenced, for
// rebuilding K refs while loading, in bounded memory.
//
// References gather in a buffer of 16 bytes each; a full buffer is sorted
// and its duplicates merged, and if it is still more than half full it is
// written as a sorted run to an unnamed temporary file. ForEachShared merges
// the runs. Memory stays at the buffer (16 MiB by default) plus a read
// buffer per run; the temporary file holds about 16 bytes a distinct slice
// per run it appears in. (A hash table of every slice took 27 bytes a slice
// and twice that while growing: 400 MiB at 10 M files.)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/result.h"

namespace jfsbr {

class SliceCounter {
 public:
  // dir: where runs go ($TMPDIR or /tmp when empty).
  explicit SliceCounter(std::string dir = "", size_t memory_bytes = 16 << 20);
  ~SliceCounter();
  SliceCounter(const SliceCounter&) = delete;
  SliceCounter& operator=(const SliceCounter&) = delete;

  Status Add(uint64_t id, uint32_t size);
  // Calls fn(id, size, count) for every slice counted more than once, in
  // (id, size) order. Once, after the last Add.
  Status ForEachShared(const std::function<void(uint64_t, uint32_t, uint32_t)>& fn);
  uint64_t spilled_bytes() const { return file_end_; }

  struct Entry {
    uint64_t id;
    uint32_t size;
    uint32_t count;
  };

 private:
  struct Run {
    uint64_t offset, entries;
  };
  void Compact();  // sorts buf_ and merges equal slices
  Status WriteRun();

  std::string dir_;
  size_t capacity_;  // entries
  std::vector<Entry> buf_;
  int fd_ = -1;
  uint64_t file_end_ = 0;
  std::vector<Run> runs_;
};

}  // namespace jfsbr
