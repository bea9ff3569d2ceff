// RecordRuns: runs of [len u32][kind u8][ino u64][other u64][id u64]
// [index u32][ts i64][name len u32][name][value], merged by a heap.
#include "sql/record_runs.h"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <queue>

#include "util/coding.h"
#include "util/io.h"

namespace jfsbr {
namespace {

constexpr size_t kFixed = 1 + 8 + 8 + 8 + 4 + 8 + 4;  // what precedes the name

Status Damaged(const char* what) {
  return Status::Corruption(std::string("a load's sort file is damaged: ") + what);
}

// Reads one run's records in order through a buffer of its own.
class RunReader {
 public:
  RunReader(int fd, uint64_t offset, uint64_t length, size_t buffer)
      : fd_(fd), pos_(offset), end_(offset + length), cap_(buffer) {}

  // The next record into key and value; false at the run's end.
  Result<bool> Next() {
    if (pos_ == end_ && at_ == buf_.size()) return false;
    char len[4];
    JFS_RETURN_IF_ERROR(Read(len, 4));
    record_.resize(GetLE32(len));
    if (record_.size() < kFixed) return Damaged("a record is too short");
    JFS_RETURN_IF_ERROR(Read(record_.data(), record_.size()));
    const char* p = record_.data();
    key.kind = static_cast<RecordKind>(p[0]);
    key.ino = GetLE64(p + 1);
    key.other = GetLE64(p + 9);
    key.id = GetLE64(p + 17);
    key.index = GetLE32(p + 25);
    key.ts = static_cast<int64_t>(GetLE64(p + 29));
    uint32_t name = GetLE32(p + 37);
    if (name > record_.size() - kFixed) return Damaged("a name runs past its record");
    key.name.assign(p + kFixed, name);
    value.assign(p + kFixed + name, record_.size() - kFixed - name);
    return true;
  }
  RecordKey key;
  std::string value;

 private:
  Status Read(char* dst, size_t n) {
    while (n > 0) {
      if (at_ == buf_.size()) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(cap_, end_ - pos_));
        if (want == 0) return Damaged("a run ends in a record");
        buf_.resize(want);
        if (!PReadFull(fd_, buf_.data(), want, pos_))
          return ErrnoStatus("read", "a load's sort file");
        pos_ += want;
        at_ = 0;
      }
      size_t k = std::min(n, buf_.size() - at_);
      std::copy_n(buf_.data() + at_, k, dst);
      at_ += k, dst += k, n -= k;
    }
    return Status::OK();
  }
  int fd_;
  uint64_t pos_, end_;
  size_t cap_;
  std::string buf_, record_;
  size_t at_ = 0;
};

}  // namespace

RecordRuns::~RecordRuns() {
  if (fd_ >= 0) close(fd_);
}

Status RecordRuns::AddRun(const Records& sorted) {
  if (sorted.empty()) return Status::OK();
  if (fd_ < 0) JFS_ASSIGN_OR_RETURN(fd_, OpenUnnamedTempFile(dir_));
  Run run{end_, 0};
  std::string buf;
  auto flush = [&]() -> Status {
    if (!PWriteFull(fd_, buf.data(), buf.size(), end_)) {
      return ErrnoStatus("write", dir_.empty() ? "a load's sort file" : dir_);
    }
    end_ += buf.size();
    buf.clear();
    return Status::OK();
  };
  for (const auto& [key, value] : sorted) {
    PutLE32(&buf, static_cast<uint32_t>(kFixed + key.name.size() + value.size()));
    buf.push_back(static_cast<char>(key.kind));
    PutLE64(&buf, key.ino);
    PutLE64(&buf, key.other);
    PutLE64(&buf, key.id);
    PutLE32(&buf, key.index);
    PutLE64(&buf, static_cast<uint64_t>(key.ts));
    PutLE32(&buf, static_cast<uint32_t>(key.name.size()));
    buf += key.name;
    buf += value;
    if (buf.size() >= (1 << 20)) JFS_RETURN_IF_ERROR(flush());
  }
  JFS_RETURN_IF_ERROR(flush());
  run.length = end_ - run.offset;
  runs_.push_back(run);
  return Status::OK();
}

Status RecordRuns::Merge(const std::function<Status(RecordKey&&, std::string&&)>& fn) {
  // 16 MiB of buffers in all, 4-256 KiB a run.
  size_t buffer =
      std::clamp<size_t>((16 << 20) / std::max<size_t>(runs_.size(), 1), 4 << 10, 256 << 10);
  std::vector<std::unique_ptr<RunReader>> readers;
  auto later = [&](size_t a, size_t b) {  // the heap's top: the least key, then the earlier run
    RecordKeyLess less;
    if (less(readers[b]->key, readers[a]->key)) return true;
    return !less(readers[a]->key, readers[b]->key) && b < a;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (const Run& run : runs_) {
    readers.push_back(std::make_unique<RunReader>(fd_, run.offset, run.length, buffer));
    JFS_ASSIGN_OR_RETURN(bool any, readers.back()->Next());
    if (any) heap.push(readers.size() - 1);
  }
  while (!heap.empty()) {
    size_t i = heap.top();
    heap.pop();
    JFS_RETURN_IF_ERROR(fn(std::move(readers[i]->key), std::move(readers[i]->value)));
    JFS_ASSIGN_OR_RETURN(bool more, readers[i]->Next());
    if (more) heap.push(i);
  }
  return Status::OK();
}

}  // namespace jfsbr
