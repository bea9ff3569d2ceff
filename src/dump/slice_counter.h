// SliceCounter: how many times each slice (id, size) is referenced, in a flat
// open-addressing table of 16 bytes a slice (a std::unordered_map would take
// four times that), for rebuilding K refs while loading.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace jfsbr {

class SliceCounter {
 public:
  SliceCounter() : slots_(1 << 16) {}

  void Add(uint64_t id, uint32_t size) {
    if (id == 0) return;                              // holes
    if ((used_ + 1) * 4 > slots_.size() * 3) Grow();  // at most 3/4 full
    Slot& s = Find(&slots_, id, size);
    if (s.count++ == 0) {
      s.id = id;
      s.size = size;
      used_++;
    }
  }
  // Calls fn(id, size, count) for every slice counted more than once.
  void ForEachShared(const std::function<void(uint64_t, uint32_t, uint32_t)>& fn) const {
    for (const Slot& s : slots_) {
      if (s.count > 1) fn(s.id, s.size, s.count);
    }
  }

 private:
  struct Slot {
    uint64_t id = 0;
    uint32_t size = 0;
    uint32_t count = 0;
  };
  static Slot& Find(std::vector<Slot>* table, uint64_t id, uint32_t size) {
    uint64_t h = (id ^ (uint64_t{size} << 32)) * 0x9E3779B97F4A7C15ULL;
    size_t mask = table->size() - 1;
    for (size_t i = h >> 20;; i++) {
      Slot& s = (*table)[i & mask];
      if (s.count == 0 || (s.id == id && s.size == size)) return s;
    }
  }
  void Grow() {
    std::vector<Slot> bigger(slots_.size() * 2);
    for (const Slot& s : slots_) {
      if (s.count > 0) Find(&bigger, s.id, s.size) = s;
    }
    slots_.swap(bigger);
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;
};

}  // namespace jfsbr
