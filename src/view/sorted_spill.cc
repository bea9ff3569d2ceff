// SortedSpill: sorted runs of [key u64][len u32][payload], merged by a heap.
#include "view/sorted_spill.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <queue>

#include "util/coding.h"
#include "util/io.h"

namespace jfsbr {

SortedSpill::~SortedSpill() {
  if (fd_ >= 0) close(fd_);
}

Status SortedSpill::Add(uint64_t key, std::string_view payload) {
  mem_.push_back({key, seq_++, std::string(payload)});
  held_ += payload.size() + 48;
  if (held_ >= budget_) return WriteRun();
  return Status::OK();
}

Status SortedSpill::WriteRun() {
  if (mem_.empty()) return Status::OK();
  if (fd_ < 0) JFS_ASSIGN_OR_RETURN(fd_, OpenUnnamedTempFile(dir_));
  std::sort(mem_.begin(), mem_.end(), [](const Record& a, const Record& b) {
    return a.key < b.key || (a.key == b.key && a.seq < b.seq);
  });
  std::string buf;
  Run run{file_end_, 0};
  auto flush = [&]() -> Status {
    if (!PWriteFull(fd_, buf.data(), buf.size(), file_end_)) {
      return ErrnoStatus("write", dir_ + " (diff spill)");
    }
    file_end_ += buf.size();
    buf.clear();
    return Status::OK();
  };
  for (const Record& r : mem_) {
    PutBE64(&buf, r.key);
    PutBE32(&buf, static_cast<uint32_t>(r.payload.size()));
    buf += r.payload;
    if (buf.size() >= (1 << 20)) JFS_RETURN_IF_ERROR(flush());
  }
  JFS_RETURN_IF_ERROR(flush());
  run.length = file_end_ - run.offset;
  runs_.push_back(run);
  mem_.clear();
  held_ = 0;
  return Status::OK();
}

namespace {

// Reads one run's records in order through a buffer.
class RunReader {
 public:
  RunReader(int fd, uint64_t offset, uint64_t length)
      : fd_(fd), pos_(offset), end_(offset + length) {}
  // The next record, false at the run's end.
  Result<bool> Next() {
    if (pos_ == end_ && at_ == buf_.size()) return false;
    char head[12];
    JFS_RETURN_IF_ERROR(Read(head, 12));
    key = GetBE64(head);
    payload.resize(GetBE32(head + 8));
    JFS_RETURN_IF_ERROR(Read(payload.data(), payload.size()));
    return true;
  }
  uint64_t key = 0;
  std::string payload;

 private:
  Status Read(char* dst, size_t n) {
    while (n > 0) {
      if (at_ == buf_.size()) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(256 << 10, end_ - pos_));
        if (want == 0) return Status::Corruption("a diff spill run ends early");
        buf_.resize(want);
        if (!PReadFull(fd_, buf_.data(), want, pos_)) return ErrnoStatus("read", "diff spill");
        pos_ += want;
        at_ = 0;
      }
      size_t k = std::min(n, buf_.size() - at_);
      memcpy(dst, buf_.data() + at_, k);
      at_ += k, dst += k, n -= k;
    }
    return Status::OK();
  }
  int fd_;
  uint64_t pos_, end_;
  std::string buf_;
  size_t at_ = 0;
};

}  // namespace

Status SortedSpill::ForEach(const std::function<Status(uint64_t, std::string_view)>& fn) {
  if (runs_.empty()) {  // everything fit in memory
    std::stable_sort(mem_.begin(), mem_.end(),
                     [](const Record& a, const Record& b) { return a.key < b.key; });
    for (const Record& r : mem_) JFS_RETURN_IF_ERROR(fn(r.key, r.payload));
    return Status::OK();
  }
  JFS_RETURN_IF_ERROR(WriteRun());
  std::vector<std::unique_ptr<RunReader>> readers;
  // (key, run): runs written earlier hold records added earlier.
  using Item = std::pair<uint64_t, size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
  for (const Run& run : runs_) {
    readers.push_back(std::make_unique<RunReader>(fd_, run.offset, run.length));
    JFS_ASSIGN_OR_RETURN(bool any, readers.back()->Next());
    if (any) heap.emplace(readers.back()->key, readers.size() - 1);
  }
  while (!heap.empty()) {
    size_t i = heap.top().second;
    heap.pop();
    JFS_RETURN_IF_ERROR(fn(readers[i]->key, readers[i]->payload));
    JFS_ASSIGN_OR_RETURN(bool more, readers[i]->Next());
    if (more) heap.emplace(readers[i]->key, i);
  }
  return Status::OK();
}

}  // namespace jfsbr
