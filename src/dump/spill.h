// KeySpill: records grouped by a 64-bit key through a temporary file, so that
// every record filed under one key can be read back with a few preads.
//
// The JSON dump uses it to turn a scan in key order (inode keys are spread
// over the key space) into reads in tree order: each inode's keys are filed
// under its parent directory, and each directory's records are read back
// when the tree walk reaches it.
//
// Writers (one per thread) buffer records; a full buffer is sorted by key
// and written as one run, and the run's index (one entry per distinct key)
// stays in memory. Records of one key come back run by run: callers that
// need an order within a key put it into the records.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace jfsbr {

class KeySpill {
 public:
  // A spill in an unnamed temporary file in dir (nothing is left behind).
  // Writing a run fails with kNotSupported once the runs' in-memory index
  // would pass max_index entries (one per distinct key per run).
  static Result<std::unique_ptr<KeySpill>> Create(const std::string& dir,
                                                  size_t max_index = size_t{1} << 20);
  ~KeySpill();

  class Writer {
   public:
    ~Writer() = default;
    // Files payload under key; may write a run.
    Status Add(uint64_t key, std::string_view payload);
    // Writes what is buffered. Call once after the last Add.
    Status Flush();

   private:
    friend class KeySpill;
    Writer(KeySpill* spill, size_t buffer_bytes) : spill_(spill), limit_(buffer_bytes) {}
    KeySpill* spill_;
    size_t limit_;
    std::string buf_;                                // [key u64][len u32][payload]...
    std::vector<std::pair<uint64_t, uint32_t>> at_;  // (key, offset in buf_)
  };
  // A writer with a buffer of about buffer_bytes. Thread-compatible: one
  // writer per thread; writers of one spill may run concurrently.
  std::unique_ptr<Writer> NewWriter(size_t buffer_bytes);

  // After every writer flushed, where the records filed under key are: one
  // (offset, length, records) per run holding some, each a list of
  // [len u32][payload].
  struct Extent {
    uint64_t offset;
    uint32_t length;
    uint32_t records;
  };
  std::vector<Extent> Find(uint64_t key) const;
  // Reads n bytes at offset into out. Thread-safe.
  Status Read(uint64_t offset, size_t n, char* out) const;

  uint64_t bytes() const { return end_.load(); }  // written to the file
  size_t runs() const { return runs_.size(); }
  size_t index_entries() const { return index_entries_; }

 private:
  struct Piece {
    uint64_t key, offset;
    uint32_t length, records;
  };
  KeySpill(int fd, std::string dir, size_t max_index)
      : fd_(fd), dir_(std::move(dir)), max_index_(max_index) {}
  Status WriteRun(std::string* buf, std::vector<std::pair<uint64_t, uint32_t>>* at);
  Status PWrite(std::string_view data, uint64_t offset);

  int fd_;
  std::string dir_;
  size_t max_index_;
  std::atomic<uint64_t> end_{0};
  std::mutex mu_;
  std::vector<std::vector<Piece>> runs_;  // each sorted by key
  size_t index_entries_ = 0;
};

}  // namespace jfsbr
