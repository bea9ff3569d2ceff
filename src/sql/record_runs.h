// RecordRuns: a bulk load's records put in key order through a temporary
// file, so that a dump listing records out of the tables' order (a binary
// dump of a TKV volume lists inodes in the order of their little-endian
// keys) still inserts each table's rows in key order. Sorted runs are
// appended to an unnamed temporary file; Merge reads them back merged, with
// a buffer per run that shrinks as runs multiply (memory stays flat).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "meta/record.h"
#include "util/result.h"

namespace jfsbr {

// The order of RecordKeys that SQL writes and buffers use.
struct RecordKeyLess {
  bool operator()(const RecordKey& a, const RecordKey& b) const {
    return std::tie(a.kind, a.ino, a.other, a.name, a.id, a.index, a.ts) <
           std::tie(b.kind, b.ino, b.other, b.name, b.id, b.index, b.ts);
  }
};

class RecordRuns {
 public:
  using Records = std::vector<std::pair<RecordKey, std::string>>;

  explicit RecordRuns(std::string dir = "") : dir_(std::move(dir)) {}
  ~RecordRuns();
  RecordRuns(const RecordRuns&) = delete;
  RecordRuns& operator=(const RecordRuns&) = delete;

  // Appends records, sorted by RecordKeyLess, as one run.
  Status AddRun(const Records& sorted);
  // Every record of every run in key order (a run's own order among equal
  // keys); stops at fn's first error.
  Status Merge(const std::function<Status(RecordKey&&, std::string&&)>& fn);
  size_t runs() const { return runs_.size(); }
  uint64_t bytes() const { return end_; }

 private:
  struct Run {
    uint64_t offset, length;
  };
  std::string dir_;
  int fd_ = -1;
  uint64_t end_ = 0;
  std::vector<Run> runs_;
};

}  // namespace jfsbr
