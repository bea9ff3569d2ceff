// RefCounter: how many times each (id, size) is referenced, in bounded
// memory: a load counts slice references (to rebuild K refs) and inode uses
// (size 0: an inode given to two entries is a damaged dump) with it.
//
// An ExternalSorter that sums equal references: memory stays at its buffer
// (16 MiB by default) plus a read buffer per spilled run; the temporary file
// holds about 16 bytes a distinct slice per run it appears in. (A hash table
// of every slice took 27 bytes a slice and twice that while growing: 400 MiB
// at 10 M files.)
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "util/external_sorter.h"

namespace jfsbr {

class RefCounter {
 public:
  // dir: where runs go ($TMPDIR or /tmp when empty).
  explicit RefCounter(std::string dir = "", size_t memory_bytes = 16 << 20)
      : sorter_(memory_bytes, std::move(dir)) {}

  Status Add(uint64_t id, uint32_t size) {
    return id == 0 ? Status::OK() : sorter_.Add({id, size, 1});  // id 0 is a hole
  }
  // Calls fn(id, size, count) for every pair counted more than once, in
  // (id, size) order. Once, after the last Add.
  Status ForEachShared(const std::function<void(uint64_t, uint32_t, uint32_t)>& fn);
  uint64_t spilled_bytes() const { return sorter_.spilled_bytes(); }

 private:
  struct Entry {
    uint64_t id;
    uint32_t size;
    uint32_t count;
  };
  struct Less {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.id < b.id || (a.id == b.id && a.size < b.size);
    }
  };
  struct Sum {
    bool operator()(Entry& into, const Entry& e) const {
      if (into.id != e.id || into.size != e.size) return false;
      into.count += e.count;
      return true;
    }
  };
  ExternalSorter<Entry, Less, Sum> sorter_;
};

}  // namespace jfsbr
