// ExternalSorter: sorts more fixed-size records than memory holds.
//
// Records gather in a buffer that grows to memory_bytes; a full buffer is
// sorted and written as a run to an unnamed temporary file, and Finish()
// merges the runs. Memory stays at the buffer plus 64 KiB a run while
// merging; a set that fits never touches the disk. An optional Combine
// folds records with equal keys into one (counting: fewer, shorter runs);
// it must agree with Less (combinable records compare equal).
//
// Used where a pass over a volume needs its records in another order than
// the engine keeps them (check's joins, a load's reference counts), so that
// memory stays flat from a thousand files to a hundred million.
#pragma once

#include <algorithm>
#include <cstdint>
#include <queue>
#include <string>
#include <type_traits>
#include <vector>

#include "util/result.h"

namespace jfsbr {

// The temporary file of an ExternalSorter: runs of bytes appended, read back
// by offset.
class RunFile {
 public:
  explicit RunFile(std::string dir);  // "" means $TMPDIR or /tmp
  ~RunFile();
  RunFile(const RunFile&) = delete;
  RunFile& operator=(const RunFile&) = delete;

  // Appends bytes; returns their offset.
  Result<uint64_t> Append(const void* data, size_t bytes);
  Status Read(uint64_t offset, void* out, size_t bytes) const;
  uint64_t size() const { return end_; }

 private:
  std::string dir_;
  int fd_ = -1;
  uint64_t end_ = 0;
};

// Combine policy of a sorter that keeps every record.
struct KeepAll {
  template <typename T>
  bool operator()(T&, const T&) const {
    return false;
  }
};

template <typename T, typename Less, typename Combine = KeepAll>
class ExternalSorter {
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr bool kCombines = !std::is_same_v<Combine, KeepAll>;

 public:
  explicit ExternalSorter(size_t memory_bytes = 16 << 20, std::string dir = "")
      : limit_(std::max<size_t>(memory_bytes / sizeof(T), 1024)), file_(std::move(dir)) {}

  Status Add(const T& v) {
    // A small start, then the whole buffer at once: pages are only resident
    // once written, where growing by doubling left freed copies behind in
    // the heap (+12 MiB in a load of 1.1 M files). The small start keeps a
    // sorter of a few records cheap (a fuzzer makes thousands a second).
    if (buf_.size() == buf_.capacity()) {
      buf_.reserve(buf_.capacity() == 0 ? std::min<size_t>(limit_, kStartRecords) : limit_);
    }
    buf_.push_back(v);
    added_++;
    if (buf_.size() < limit_) return Status::OK();
    SortBuffer();
    // A combining sorter keeps filling while combining frees half the buffer.
    if (kCombines && buf_.size() * 2 <= limit_) return Status::OK();
    return Spill();
  }

  // After the last Add; Next() then yields the records in order.
  Status Finish() {
    SortBuffer();
    if (runs_.empty()) return Status::OK();  // it all fitted
    JFS_RETURN_IF_ERROR(Spill());
    buf_ = std::vector<T>();
    readers_.reserve(runs_.size());
    for (const Run& r : runs_) readers_.push_back(Reader{r.offset, r.count});
    for (size_t i = 0; i < readers_.size(); i++) JFS_RETURN_IF_ERROR(Push(i));
    return Status::OK();
  }

  // The next record, false at the end or on an error (status()).
  bool Next(T* out) {
    if (!Pop(out)) return false;
    if constexpr (kCombines) {
      while (!heap_.empty() && combine_(*out, heap_.top().value)) {
        size_t i = heap_.top().run;
        heap_.pop();
        if (Status st = Push(i); !st.ok()) status_ = st;
      }
    }
    return status_.ok();
  }

  const Status& status() const { return status_; }
  uint64_t added() const { return added_; }
  uint64_t spilled_bytes() const { return file_.size(); }

 private:
  struct Run {
    uint64_t offset, count;
  };
  struct Reader {
    uint64_t offset, left;
    std::vector<T> buf = {};
    size_t pos = 0;
  };
  struct Head {
    T value;
    size_t run;
  };
  struct HeadAfter {
    bool operator()(const Head& a, const Head& b) const { return Less()(b.value, a.value); }
  };
  static constexpr size_t kStartRecords = 4096;
  static constexpr size_t kReadRecords = std::max<size_t>(64 * 1024 / sizeof(T), 16);

  void SortBuffer() {
    std::sort(buf_.begin(), buf_.end(), Less());
    if constexpr (kCombines) {
      size_t out = 0;
      for (size_t i = 0; i < buf_.size(); i++) {
        if (out == 0 || !combine_(buf_[out - 1], buf_[i])) buf_[out++] = buf_[i];
      }
      buf_.resize(out);
    }
  }

  Status Spill() {
    if (buf_.empty()) return Status::OK();
    JFS_ASSIGN_OR_RETURN(uint64_t at, file_.Append(buf_.data(), buf_.size() * sizeof(T)));
    runs_.push_back({at, buf_.size()});
    buf_.clear();
    return Status::OK();
  }

  // Moves run i's next record, if any, onto the heap.
  Status Push(size_t i) {
    Reader& r = readers_[i];
    if (r.pos == r.buf.size()) {
      if (r.left == 0) return Status::OK();
      size_t n = static_cast<size_t>(std::min<uint64_t>(r.left, kReadRecords));
      r.buf.resize(n);
      JFS_RETURN_IF_ERROR(file_.Read(r.offset, r.buf.data(), n * sizeof(T)));
      r.offset += n * sizeof(T);
      r.left -= n;
      r.pos = 0;
    }
    heap_.push({r.buf[r.pos++], i});
    return Status::OK();
  }

  bool Pop(T* out) {
    if (!status_.ok()) return false;
    if (runs_.empty()) {
      if (mem_pos_ == buf_.size()) return false;
      *out = buf_[mem_pos_++];
      return true;
    }
    if (heap_.empty()) return false;
    *out = heap_.top().value;
    size_t i = heap_.top().run;
    heap_.pop();
    status_ = Push(i);
    return true;
  }

  size_t limit_;  // records in memory
  RunFile file_;
  Combine combine_;
  std::vector<T> buf_;
  size_t mem_pos_ = 0;
  uint64_t added_ = 0;
  std::vector<Run> runs_;
  std::vector<Reader> readers_;
  std::priority_queue<Head, std::vector<Head>, HeadAfter> heap_;
  Status status_;
};

}  // namespace jfsbr
