// The log backup's files and metadata (TiDB BR's layout): encoding, listing,
// truncation.
#include "pitr/log_format.h"

#include <cinttypes>
#include <cstdio>

#include "util/clock.h"
#include "util/coding.h"
#include "util/compress.h"
#include "util/crc32.h"
#include "util/hash_stream.h"
#include "util/json.h"

namespace jfsbr {
namespace {

std::string Hex16(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%016" PRIX64, v);
  return buf;
}

// Reads a little-endian field, or fails naming the offset.
class FrameReader {
 public:
  FrameReader(std::string_view s, size_t base) : s_(s), base_(base) {}
  bool Take(size_t n, std::string_view* out) {
    if (s_.size() - pos_ < n) return false;
    *out = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t offset() const { return base_ + pos_; }
  bool done() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t base_, pos_ = 0;
};

Status DecodePayload(std::string_view payload, size_t base, LogRecord* r) {
  FrameReader in(payload, base);
  std::string_view f;
  auto bad = [&](const char* what) {
    return Status::Corruption(std::string("a log record at byte ") + std::to_string(in.offset()) +
                              " has a bad " + what);
  };
  if (!in.Take(20, &f)) return bad("header");
  r->revision = GetLE64(f.data());
  r->time_ms = static_cast<int64_t>(GetLE64(f.data() + 8));
  uint32_t n = GetLE32(f.data() + 16);
  if (n > payload.size()) return bad("change count");
  r->changes.clear();
  r->changes.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    std::string_view op, k, v;
    if (!in.Take(5, &op) || op[0] > 1) return bad("change");
    if (!in.Take(GetLE32(op.data() + 1), &k)) return bad("key");
    std::string_view vlen;
    if (!in.Take(4, &vlen) || !in.Take(GetLE32(vlen.data()), &v)) return bad("value");
    KvChange c{std::string(k), std::nullopt};
    if (op[0] == 1) c.value = std::string(v);
    r->changes.push_back(std::move(c));
  }
  if (!in.done()) return bad("length");
  return Status::OK();
}

}  // namespace

namespace logpath {

std::string DataFile(uint64_t store, int64_t time_ms, uint64_t min_rev, const std::string& uuid) {
  return "v1/" + FormatTime(time_ms / 1000, "%Y%m%d/%H", true) + "/" + std::to_string(store) + "/" +
         Hex16(min_rev) + "-" + uuid + ".log";
}

std::string MetaFile(const LogMeta& m) {
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& f : m.files) {
    lo = std::min(lo, f.min_rev);
    hi = std::max(hi, f.max_rev);
  }
  if (m.files.empty()) lo = hi = m.flush_rev;
  return std::string(kMetaDir) + Hex16(m.flush_rev) + "-" + Hex16(lo) + "-" + Hex16(lo) + "-" +
         Hex16(hi) + ".meta";
}

std::string Checkpoint(uint64_t store) {
  return "v1/global_checkpoint/" + std::to_string(store) + ".ts";
}

}  // namespace logpath

std::string EncodeLogMeta(const LogMeta& m) {
  std::string out;
  GoObjectWriter o(&out, "  ", 0);
  o.Int("version", LogMeta::kVersion);
  o.Uint("store", m.store);
  o.Uint("flush_rev", m.flush_rev);
  o.Int("flush_time_ms", m.flush_time_ms);
  o.ObjectArray("files", m.files.size(), [&](size_t i, GoObjectWriter& fo) {
    const LogFileInfo& f = m.files[i];
    fo.String("path", f.path);
    fo.Uint("from_rev", f.from_rev);
    fo.Uint("to_rev", f.to_rev);
    fo.Uint("min_rev", f.min_rev);
    fo.Uint("max_rev", f.max_rev);
    fo.Int("min_time_ms", f.min_time_ms);
    fo.Int("max_time_ms", f.max_time_ms);
    fo.Uint("records", f.records);
    fo.Uint("changes", f.changes);
    fo.Uint("raw_bytes", f.raw_bytes);
    fo.Uint("size", f.size);
    fo.Uint("crc32", f.crc32);
    fo.String("sha256", f.sha256);
  });
  o.End();
  out += "\n";
  return out;
}

Result<LogMeta> DecodeLogMeta(std::string_view json) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, ParseJson(json));
  using K = JsonValue::Kind;
  if (v.kind != K::kObject) return Status::Corruption("not a JSON object");
  LogMeta m;
  JFS_ASSIGN_OR_RETURN(uint64_t version, UintMember(v, "version"));
  if (version != LogMeta::kVersion) {
    return Status::NotSupported("log meta version " + std::to_string(version));
  }
  JFS_ASSIGN_OR_RETURN(m.store, UintMember(v, "store"));
  JFS_ASSIGN_OR_RETURN(m.flush_rev, UintMember(v, "flush_rev"));
  JFS_ASSIGN_OR_RETURN(m.flush_time_ms, IntMember(v, "flush_time_ms"));
  const JsonValue* files = v.Find("files");
  if (!files || files->kind != K::kArray) return Status::Corruption("no \"files\"");
  for (const JsonValue& f : files->items) {
    LogFileInfo i;
    JFS_ASSIGN_OR_RETURN(i.path, StringMember(f, "path"));
    JFS_ASSIGN_OR_RETURN(i.sha256, StringMember(f, "sha256"));
    JFS_ASSIGN_OR_RETURN(i.from_rev, UintMember(f, "from_rev"));
    JFS_ASSIGN_OR_RETURN(i.to_rev, UintMember(f, "to_rev"));
    JFS_ASSIGN_OR_RETURN(i.min_rev, UintMember(f, "min_rev"));
    JFS_ASSIGN_OR_RETURN(i.max_rev, UintMember(f, "max_rev"));
    JFS_ASSIGN_OR_RETURN(i.min_time_ms, IntMember(f, "min_time_ms"));
    JFS_ASSIGN_OR_RETURN(i.max_time_ms, IntMember(f, "max_time_ms"));
    JFS_ASSIGN_OR_RETURN(i.records, UintMember(f, "records"));
    JFS_ASSIGN_OR_RETURN(i.changes, UintMember(f, "changes"));
    JFS_ASSIGN_OR_RETURN(i.raw_bytes, UintMember(f, "raw_bytes"));
    JFS_ASSIGN_OR_RETURN(i.size, UintMember(f, "size"));
    JFS_ASSIGN_OR_RETURN(uint64_t crc, UintMember(f, "crc32"));
    i.crc32 = static_cast<uint32_t>(crc);
    if (i.from_rev >= i.to_rev || i.min_rev <= i.from_rev || i.max_rev > i.to_rev ||
        i.min_rev > i.max_rev) {
      return Status::Corruption("file " + i.path + " has inconsistent revisions");
    }
    m.files.push_back(std::move(i));
  }
  return m;
}

std::string EncodeCheckpoint(const LogCheckpoint& c) {
  std::string out;
  PutLE64(&out, c.revision);  // TiDB's 8 bytes; ours follow
  PutLE64(&out, static_cast<uint64_t>(c.time_ms));
  PutLE64(&out, c.last_data_rev);
  return out;
}

Result<LogCheckpoint> DecodeCheckpoint(std::string_view b) {
  if (b.size() != 24) {
    return Status::Corruption("a global checkpoint of " + std::to_string(b.size()) +
                              " bytes (expected 24)");
  }
  LogCheckpoint c;
  c.revision = GetLE64(b.data());
  c.time_ms = static_cast<int64_t>(GetLE64(b.data() + 8));
  c.last_data_rev = GetLE64(b.data() + 16);
  if (c.last_data_rev > c.revision) return Status::Corruption("an inconsistent global checkpoint");
  return c;
}

void LogFileBuilder::Add(const LogRecord& r) {
  std::string payload;
  PutLE64(&payload, r.revision);
  PutLE64(&payload, static_cast<uint64_t>(r.time_ms));
  PutLE32(&payload, static_cast<uint32_t>(r.changes.size()));
  for (const auto& c : r.changes) {
    payload.push_back(c.value ? 1 : 0);
    PutLE32(&payload, static_cast<uint32_t>(c.key.size()));
    payload += c.key;
    PutLE32(&payload, static_cast<uint32_t>(c.value ? c.value->size() : 0));
    if (c.value) payload += *c.value;
  }
  size_t start = frames_.size();
  PutLE32(&frames_, static_cast<uint32_t>(payload.size()));
  PutLE32(&frames_, Crc32(0, payload));
  frames_ += payload;
  info_.crc32 = Crc32(info_.crc32, std::string_view(frames_).substr(start));
  if (info_.records == 0) {
    info_.min_rev = r.revision;
    info_.min_time_ms = r.time_ms;
  }
  info_.max_rev = r.revision;
  info_.max_time_ms = std::max(info_.max_time_ms, r.time_ms);
  info_.records++;
  info_.changes += r.changes.size();
}

Result<LogFileInfo> LogFileBuilder::Upload(ObjectStore* store, const std::string& path,
                                           uint64_t from_rev, uint64_t to_rev) {
  JFS_ASSIGN_OR_RETURN(auto sink, store->Create(path));
  HashingSink hashed(std::move(sink));
  auto z = CompressingSink(std::make_unique<BorrowedSink>(&hashed), Compression::kZstd, 3);
  JFS_RETURN_IF_ERROR(z->Write(frames_));
  JFS_RETURN_IF_ERROR(z->Close());
  LogFileInfo info = info_;
  info.path = path;
  info.from_rev = from_rev;
  info.to_rev = to_rev;
  info.raw_bytes = frames_.size();
  info.size = hashed.bytes();
  info.sha256 = hashed.Digest();
  return info;
}

Status ParseFrames(std::string_view frames, const std::function<Status(LogRecord&&)>& fn) {
  FrameReader in(frames, 0);
  while (!in.done()) {
    size_t at = in.offset();
    std::string_view head, payload;
    if (!in.Take(8, &head) || !in.Take(GetLE32(head.data()), &payload)) {
      return Status::Corruption("a torn log record at byte " + std::to_string(at));
    }
    if (Crc32(0, payload) != GetLE32(head.data() + 4)) {
      return Status::Corruption("a log record at byte " + std::to_string(at) + " fails its CRC-32");
    }
    LogRecord r;
    JFS_RETURN_IF_ERROR(DecodePayload(payload, at + 8, &r));
    JFS_RETURN_IF_ERROR(fn(std::move(r)));
  }
  return Status::OK();
}

Status ReadLogFile(ObjectStore* store, const LogFileInfo& info,
                   const std::function<Status(LogRecord&&)>& fn) {
  auto fail = [&](const Status& st) { return st.Annotate("log file " + info.path); };
  auto object = store->Get(info.path);
  if (!object.ok()) return fail(object.status());
  std::string sha = Sha256Hex(*object);
  if (object->size() != info.size || sha != info.sha256) {
    return fail(Status::Corruption("SHA-256 " + sha + " over " + std::to_string(object->size()) +
                                   " bytes; its meta file says " + info.sha256 + " over " +
                                   std::to_string(info.size)));
  }
  std::string frames;
  {
    auto src = DecompressingSource(StringSource(std::move(*object)), Compression::kZstd);
    char buf[1 << 16];
    for (;;) {
      auto n = src->Read(buf, sizeof(buf));
      if (!n.ok()) return fail(n.status());
      if (*n == 0) break;
      frames.append(buf, *n);
    }
  }
  if (frames.size() != info.raw_bytes || Crc32(0, frames) != info.crc32) {
    return fail(Status::Corruption("its frames do not match the meta file's size and CRC-32"));
  }
  uint64_t records = 0, last = info.from_rev;
  Status st = ParseFrames(frames, [&](LogRecord&& r) -> Status {
    if (r.revision <= last || r.revision > info.to_rev) {
      return Status::Corruption("revision " + std::to_string(r.revision) +
                                " out of order or outside (" + std::to_string(info.from_rev) +
                                ", " + std::to_string(info.to_rev) + "]");
    }
    last = r.revision;
    records++;
    return fn(std::move(r));
  });
  if (!st.ok()) return fail(st);
  if (records != info.records) return fail(Status::Corruption("record count differs"));
  return Status::OK();
}

}  // namespace jfsbr
