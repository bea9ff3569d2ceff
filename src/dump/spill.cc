// KeySpill: records filed under a key in a temporary file, read back by key.
#include "dump/spill.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "util/coding.h"
#include "util/io.h"

namespace jfsbr {
namespace {

constexpr size_t kHeader = 12;         // key u64 + length u32 in a writer's buffer
constexpr size_t kStaging = 1u << 20;  // bytes gathered before each pwrite

}  // namespace

Result<std::unique_ptr<KeySpill>> KeySpill::Create(const std::string& dir, size_t max_index) {
  JFS_ASSIGN_OR_RETURN(int fd, OpenUnnamedTempFile(dir));
  return std::unique_ptr<KeySpill>(new KeySpill(fd, dir, max_index));
}

KeySpill::~KeySpill() { ::close(fd_); }

std::unique_ptr<KeySpill::Writer> KeySpill::NewWriter(size_t buffer_bytes) {
  return std::unique_ptr<Writer>(new Writer(this, buffer_bytes));
}

Status KeySpill::Writer::Add(uint64_t key, std::string_view payload) {
  if (!buf_.empty() && buf_.size() + kHeader + payload.size() > limit_) {
    JFS_RETURN_IF_ERROR(spill_->WriteRun(&buf_, &at_));
  }
  if (buf_.capacity() < limit_) buf_.reserve(limit_);
  at_.emplace_back(key, static_cast<uint32_t>(buf_.size()));
  PutLE64(&buf_, key);
  PutLE32(&buf_, static_cast<uint32_t>(payload.size()));
  buf_.append(payload);
  return Status::OK();
}

Status KeySpill::Writer::Flush() {
  Status st = buf_.empty() ? Status::OK() : spill_->WriteRun(&buf_, &at_);
  std::string().swap(buf_);  // give the memory back
  decltype(at_)().swap(at_);
  return st;
}

Status KeySpill::PWrite(std::string_view data, uint64_t offset) {
  if (PWriteFull(fd_, data.data(), data.size(), offset)) return Status::OK();
  return ErrnoStatus("writing the dump's temporary file (--spill-dir picks another place) in",
                     dir_);
}

// Sorts a writer's buffer by key (records of a key keep their order) and
// writes it as [len u32][payload]... in one range of the file.
Status KeySpill::WriteRun(std::string* buf, std::vector<std::pair<uint64_t, uint32_t>>* at) {
  std::sort(at->begin(), at->end());
  uint64_t size = buf->size() - at->size() * sizeof(uint64_t);
  uint64_t base = end_.fetch_add(size);
  std::vector<Piece> index;
  std::string staging;
  staging.reserve(kStaging + (64 << 10));
  uint64_t flushed = 0;
  for (const auto& [key, off] : *at) {
    uint32_t len = GetLE32(buf->data() + off + sizeof(uint64_t));
    uint64_t pos = base + flushed + staging.size();
    if (index.empty() || index.back().key != key) index.push_back({key, pos, 0, 0});
    index.back().length += 4 + len;
    index.back().records++;
    staging.append(*buf, off + sizeof(uint64_t), 4 + len);
    if (staging.size() >= kStaging) {
      JFS_RETURN_IF_ERROR(PWrite(staging, base + flushed));
      flushed += staging.size();
      staging.clear();
    }
  }
  JFS_RETURN_IF_ERROR(PWrite(staging, base + flushed));
  buf->clear();
  at->clear();
  std::lock_guard l(mu_);
  if (index_entries_ + index.size() > max_index_) {
    return Status::NotSupported("the temporary file's index would pass " +
                                std::to_string(max_index_) + " entries");
  }
  index_entries_ += index.size();
  runs_.push_back(std::move(index));
  return Status::OK();
}

namespace {
const auto kByKey = [](const auto& piece, uint64_t key) { return piece.key < key; };
}  // namespace

std::vector<KeySpill::Extent> KeySpill::Find(uint64_t key) const {
  std::vector<Extent> out;
  for (const auto& run : runs_) {
    auto it = std::lower_bound(run.begin(), run.end(), key, kByKey);
    if (it != run.end() && it->key == key) out.push_back({it->offset, it->length, it->records});
  }
  return out;
}

Status KeySpill::Read(uint64_t offset, size_t n, char* out) const {
  if (PReadFull(fd_, out, n, offset)) return Status::OK();
  return ErrnoStatus("reading the dump's temporary file in", dir_);
}

}  // namespace jfsbr
