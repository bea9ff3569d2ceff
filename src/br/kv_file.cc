// The sorted key/value files of full backups: writing (checksummed, rate-limited)
// and reading back.
#include "br/kv_file.h"

#include <algorithm>
#include <vector>

#include "util/coding.h"
#include "util/compress.h"
#include "util/crc32.h"
#include "util/hash_stream.h"

namespace jfsbr {
namespace {

// Waits for the rate limit before passing bytes on.
class LimitedSink final : public Sink {
 public:
  LimitedSink(std::unique_ptr<Sink> base, RateLimiter* limiter)
      : base_(std::move(base)), limiter_(limiter) {}
  Status Write(std::string_view data) override {
    if (limiter_) limiter_->Acquire(data.size());
    return base_->Write(data);
  }
  Status Close() override { return base_->Close(); }

 private:
  std::unique_ptr<Sink> base_;
  RateLimiter* limiter_;
};

// Reads exactly n bytes into out; false at a clean end before any byte. The
// buffer grows with what arrives (n comes from the file: a damaged length
// must fail at the end of the data, not allocate up to 256 MiB first).
Result<bool> ReadExactly(Source* src, size_t n, std::string* out, const std::string& file) {
  constexpr size_t kStep = 64 << 10;
  out->clear();
  while (out->size() < n) {
    size_t got = out->size();
    out->resize(got + std::min(n - got, std::max(kStep, got)));
    JFS_ASSIGN_OR_RETURN(size_t r, src->Read(out->data() + got, out->size() - got));
    out->resize(got + r);
    if (r == 0) {
      if (got == 0) return false;
      return Status::Corruption(file + ": truncated record");
    }
  }
  return true;
}

}  // namespace

struct KvFileWriter::Streams {
  std::unique_ptr<HashingSink> object;  // what the store receives
  std::unique_ptr<Sink> records;        // compresses into object
};

KvFileWriter::~KvFileWriter() = default;

Result<std::unique_ptr<KvFileWriter>> KvFileWriter::Create(ObjectStore* store, std::string name,
                                                           RateLimiter* limiter) {
  JFS_ASSIGN_OR_RETURN(auto sink, store->Create(name));
  std::unique_ptr<KvFileWriter> w(new KvFileWriter());
  w->streams_ = std::make_unique<Streams>();
  w->streams_->object =
      std::make_unique<HashingSink>(std::make_unique<LimitedSink>(std::move(sink), limiter));
  w->streams_->records = CompressingSink(std::make_unique<BorrowedSink>(w->streams_->object.get()),
                                         Compression::kZstd, 3);
  w->info_.name = std::move(name);
  return w;
}

Status KvFileWriter::Add(std::string_view key, std::string_view value) {
  record_.clear();
  PutLE32(&record_, static_cast<uint32_t>(key.size()));
  record_.append(key);
  PutLE32(&record_, static_cast<uint32_t>(value.size()));
  record_.append(value);
  info_.crc32 = Crc32(info_.crc32, record_);
  if (info_.kvs == 0) info_.first_key = key;
  info_.last_key = key;
  info_.kvs++;
  info_.raw_bytes += record_.size();
  return streams_->records->Write(record_);
}

Result<KvFileInfo> KvFileWriter::Finish() {
  JFS_RETURN_IF_ERROR(streams_->records->Close());
  info_.size = streams_->object->bytes();
  info_.sha256 = streams_->object->Digest();
  return info_;
}

Status ReadKvFile(ObjectStore* store, const KvFileInfo& info, const KvPairFn& fn) {
  const std::string& file = info.name;
  JFS_ASSIGN_OR_RETURN(auto object, OpenObject(store, file));
  HashingSource hashed(std::move(object));
  auto records = DecompressingSource(std::make_unique<BorrowedSource>(&hashed), Compression::kZstd);
  uint64_t kvs = 0, raw = 0;
  uint32_t crc = 0;
  std::string head, key, value, last;
  for (;;) {
    auto more = ReadExactly(records.get(), 4, &head, file);
    if (!more.ok()) return more.status().Annotate(file);
    if (!*more) break;
    uint32_t klen = GetLE32(head.data());
    if (klen > (64u << 20))
      return Status::Corruption(file + ": a key of " + std::to_string(klen) + " bytes");
    crc = Crc32(crc, head);
    JFS_ASSIGN_OR_RETURN(bool k, ReadExactly(records.get(), klen, &key, file));
    JFS_ASSIGN_OR_RETURN(bool h, ReadExactly(records.get(), 4, &head, file));
    if ((klen > 0 && !k) || !h) return Status::Corruption(file + ": truncated record");
    uint32_t vlen = GetLE32(head.data());
    if (vlen > (256u << 20))
      return Status::Corruption(file + ": a value of " + std::to_string(vlen) + " bytes");
    JFS_ASSIGN_OR_RETURN(bool v, ReadExactly(records.get(), vlen, &value, file));
    if (vlen > 0 && !v) return Status::Corruption(file + ": truncated record");
    crc = Crc32(Crc32(Crc32(crc, key), head), value);
    if ((kvs > 0 && key <= last) || key < info.first_key || key > info.last_key) {
      return Status::Corruption(file + ": key " + HexString(key) +
                                " out of order or outside the file's range");
    }
    kvs++;
    raw += 8 + key.size() + value.size();
    JFS_RETURN_IF_ERROR(fn(key, value));
    last.swap(key);
  }
  char drain[4096];  // the object's tail, for its hash
  for (;;) {
    JFS_ASSIGN_OR_RETURN(size_t n, hashed.Read(drain, sizeof(drain)));
    if (n == 0) break;
  }
  std::string sha = hashed.Digest();
  if (hashed.bytes() != info.size || sha != info.sha256) {
    return Status::Corruption(file + ": SHA-256 " + sha + " over " +
                              std::to_string(hashed.bytes()) + " bytes, the backupmeta says " +
                              info.sha256 + " over " + std::to_string(info.size));
  }
  if (kvs != info.kvs || raw != info.raw_bytes || crc != info.crc32) {
    return Status::Corruption(file + ": holds " + std::to_string(kvs) + " pairs (" +
                              std::to_string(raw) + " bytes, CRC-32 " + std::to_string(crc) +
                              "), the backupmeta says " + std::to_string(info.kvs) + " (" +
                              std::to_string(info.raw_bytes) + " bytes, CRC-32 " +
                              std::to_string(info.crc32) + ")");
  }
  return Status::OK();
}

}  // namespace jfsbr
