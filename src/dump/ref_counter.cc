// RefCounter: sorted runs of (id, size, count), merged at the end.
#include "dump/ref_counter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <queue>

#include "util/io.h"

namespace jfsbr {
namespace {

bool Less(const RefCounter::Entry& a, const RefCounter::Entry& b) {
  return a.id < b.id || (a.id == b.id && a.size < b.size);
}
bool Same(const RefCounter::Entry& a, const RefCounter::Entry& b) {
  return a.id == b.id && a.size == b.size;
}

// Reads one run entry by entry through a small buffer.
class RunReader {
 public:
  RunReader(int fd, uint64_t offset, uint64_t entries) : fd_(fd), next_(offset), left_(entries) {}
  // The next entry, false at the run's end; errors in status().
  bool Next(RefCounter::Entry* e) {
    if (pos_ == buf_.size()) {
      if (left_ == 0) return false;
      size_t n = static_cast<size_t>(std::min<uint64_t>(left_, kEntries));
      buf_.resize(n);
      if (!PReadFull(fd_, reinterpret_cast<char*>(buf_.data()), n * sizeof(RefCounter::Entry),
                     next_)) {
        status_ = ErrnoStatus("read", "the reference counter's temporary file");
        return false;
      }
      next_ += n * sizeof(RefCounter::Entry);
      left_ -= n;
      pos_ = 0;
    }
    *e = buf_[pos_++];
    return true;
  }
  const Status& status() const { return status_; }

 private:
  static constexpr size_t kEntries = 4096;  // 64 KiB
  int fd_;
  uint64_t next_, left_;
  std::vector<RefCounter::Entry> buf_;
  size_t pos_ = 0;
  Status status_;
};

}  // namespace

RefCounter::RefCounter(std::string dir, size_t memory_bytes)
    : dir_(std::move(dir)), capacity_(std::max<size_t>(memory_bytes / sizeof(Entry), 1024)) {
  if (dir_.empty()) dir_ = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
}

RefCounter::~RefCounter() {
  if (fd_ >= 0) close(fd_);
}

Status RefCounter::Add(uint64_t id, uint32_t size) {
  if (id == 0) return Status::OK();  // holes
  if (buf_.capacity() < capacity_) buf_.reserve(capacity_);
  buf_.push_back({id, size, 1});
  if (buf_.size() < capacity_) return Status::OK();
  Compact();
  // Mostly distinct slices (the usual case): out to a run.
  return buf_.size() * 2 > capacity_ ? WriteRun() : Status::OK();
}

void RefCounter::Compact() {
  std::sort(buf_.begin(), buf_.end(), Less);
  size_t out = 0;
  for (size_t i = 0; i < buf_.size(); i++) {
    if (out > 0 && Same(buf_[out - 1], buf_[i])) {
      buf_[out - 1].count += buf_[i].count;
    } else {
      buf_[out++] = buf_[i];
    }
  }
  buf_.resize(out);
}

Status RefCounter::WriteRun() {
  if (buf_.empty()) return Status::OK();
  if (fd_ < 0) JFS_ASSIGN_OR_RETURN(fd_, OpenUnnamedTempFile(dir_));
  size_t bytes = buf_.size() * sizeof(Entry);
  if (!PWriteFull(fd_, reinterpret_cast<const char*>(buf_.data()), bytes, file_end_)) {
    return ErrnoStatus("write", dir_ + " (reference counter)");
  }
  runs_.push_back({file_end_, buf_.size()});
  file_end_ += bytes;
  buf_.clear();
  return Status::OK();
}

Status RefCounter::ForEachShared(const std::function<void(uint64_t, uint32_t, uint32_t)>& fn) {
  Compact();
  if (runs_.empty()) {  // it all fitted
    for (const Entry& e : buf_) {
      if (e.count > 1) fn(e.id, e.size, e.count);
    }
    return Status::OK();
  }
  JFS_RETURN_IF_ERROR(WriteRun());
  buf_.shrink_to_fit();
  std::vector<RunReader> readers;
  readers.reserve(runs_.size());
  for (const Run& r : runs_) readers.emplace_back(fd_, r.offset, r.entries);
  // Merge: the smallest head of every run, equal slices summed.
  using Head = std::pair<Entry, size_t>;
  auto greater = [](const Head& a, const Head& b) { return Less(b.first, a.first); };
  std::priority_queue<Head, std::vector<Head>, decltype(greater)> heads(greater);
  for (size_t i = 0; i < readers.size(); i++) {
    Entry e;
    if (readers[i].Next(&e)) heads.push({e, i});
    JFS_RETURN_IF_ERROR(readers[i].status());
  }
  Entry cur{0, 0, 0};
  while (!heads.empty()) {
    auto [e, i] = heads.top();
    heads.pop();
    if (cur.count > 0 && Same(cur, e)) {
      cur.count += e.count;
    } else {
      if (cur.count > 1) fn(cur.id, cur.size, cur.count);
      cur = e;
    }
    Entry next;
    if (readers[i].Next(&next)) heads.push({next, i});
    JFS_RETURN_IF_ERROR(readers[i].status());
  }
  if (cur.count > 1) fn(cur.id, cur.size, cur.count);
  return Status::OK();
}

}  // namespace jfsbr
