// Records sorted by a 64-bit key, with a memory budget: held in memory while
// they fit, else written as sorted runs to an unnamed temporary file and
// merged when read. Records of one key come back in the order added.
// (diff pairs the entries one side lost with those the other gained by inode.)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace jfsbr {

class SortedSpill {
 public:
  SortedSpill(std::string dir, size_t memory_bytes) : dir_(std::move(dir)), budget_(memory_bytes) {}
  ~SortedSpill();

  Status Add(uint64_t key, std::string_view payload);
  // Every record in key order; call once, after the last Add.
  Status ForEach(const std::function<Status(uint64_t key, std::string_view payload)>& fn);
  uint64_t spilled_bytes() const { return file_end_; }

 private:
  struct Record {
    uint64_t key;
    uint64_t seq;
    std::string payload;
  };
  struct Run {
    uint64_t offset, length;
  };
  Status WriteRun();

  std::string dir_;
  size_t budget_, held_ = 0;
  uint64_t seq_ = 0;
  std::vector<Record> mem_;
  int fd_ = -1;
  uint64_t file_end_ = 0;
  std::vector<Run> runs_;
};

}  // namespace jfsbr
