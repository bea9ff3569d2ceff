// RefCounter: how many times each (id, size) is referenced, in bounded
// memory: a load counts slice references (to rebuild K refs) and inode uses
// (size 0: an inode given to two entries is a damaged dump) with it.
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

class RefCounter {
 public:
  // dir: where runs go ($TMPDIR or /tmp when empty).
  explicit RefCounter(std::string dir = "", size_t memory_bytes = 16 << 20);
  ~RefCounter();
  RefCounter(const RefCounter&) = delete;
  RefCounter& operator=(const RefCounter&) = delete;

  Status Add(uint64_t id, uint32_t size);  // id 0 is never counted (a hole)
  // Calls fn(id, size, count) for every pair counted more than once, in
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
