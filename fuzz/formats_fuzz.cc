// libFuzzer target: the readers of every other format jfsbr takes from
// outside, chosen by the first byte: S3's XML responses, dump backup
// manifests and restore marks, br backup metadata and key/value files, log
// backup metadata, checkpoints and frames, and Redis's RDB stream. Each must give a value or a
// clean error, never a crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "backup/backup.h"
#include "backup/restore_guard.h"
#include "br/full_backup.h"
#include "br/kv_file.h"
#include "pitr/log_format.h"
#include "redis/rdb.h"
#include "store/backends.h"
#include "store/s3_xml.h"
#include "util/compress.h"

namespace {

class NullVisitor : public jfsbr::RdbVisitor {
 public:
  jfsbr::Status BeginKey(uint64_t, std::string_view, jfsbr::RedisType) override {
    return jfsbr::Status::OK();
  }
  jfsbr::Status Element(std::string_view, std::string_view, double) override {
    return jfsbr::Status::OK();
  }
  jfsbr::Status EndKey() override { return jfsbr::Status::OK(); }
};

// The bytes as a zstd stream (what a br key/value file's object holds).
std::string Zstd(std::string_view raw) {
  std::string out;
  auto sink = jfsbr::CompressingSink(jfsbr::StringSink(&out), jfsbr::Compression::kZstd);
  (void)sink->Write(raw);
  (void)sink->Close();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0:
      for (auto e : jfsbr::s3xml::Elements(in, "Contents")) {
        (void)jfsbr::s3xml::Text(e, "Key");
        (void)jfsbr::s3xml::Text(e, "Size");
      }
      (void)jfsbr::s3xml::Text(in, "NextContinuationToken");
      (void)jfsbr::s3xml::Unescape(in);
      break;
    case 1:
      (void)jfsbr::DecodeManifest(in);
      (void)jfsbr::DecodeRestoreMark(in);
      break;
    case 2:
      (void)jfsbr::DecodeFullBackupMeta(in);
      break;
    case 3:
      (void)jfsbr::DecodeLogMeta(in);
      break;
    case 4:
      (void)jfsbr::DecodeCheckpoint(in);
      break;
    case 5:
      (void)jfsbr::ParseFrames(in, [](jfsbr::LogRecord&&) { return jfsbr::Status::OK(); });
      break;
    case 6: {
      auto store = jfsbr::OpenMemoryStore("fuzz");
      (void)store->Put("f", Zstd(in));
      jfsbr::KvFileInfo info;
      info.name = "f";
      info.last_key = std::string(8, '\xff');
      (void)jfsbr::ReadKvFile(store.get(), info, [](std::string_view, std::string_view) {
        return jfsbr::Status::OK();
      });
      break;
    }
    default: {
      auto src = jfsbr::StringSource(std::string(in));
      NullVisitor v;
      (void)jfsbr::ReadRdb(src.get(), &v);
      break;
    }
  }
  return 0;
}
