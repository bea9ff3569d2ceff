// Key/value files: the data of a full engine-level backup
// (docs/format/br-backup.md). One file is a zstd stream of records
//
//   u32 LE key length | key | u32 LE value length | value
//
// in ascending key order; its checksums (CRC-32 of the records, SHA-256 of
// the stored bytes), count and sizes are kept beside it, in the backupmeta.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "store/object_store.h"
#include "util/rate_limiter.h"

namespace jfsbr {

struct KvFileInfo {
  std::string name;  // object key
  std::string first_key, last_key;
  uint64_t kvs = 0;
  uint64_t raw_bytes = 0;  // the records, uncompressed
  uint64_t size = 0;       // the object
  uint32_t crc32 = 0;      // zlib CRC-32 of the records
  std::string sha256;      // of the object's bytes
};

class KvFileWriter {
 public:
  // Starts object `name` (visible only after Finish); limiter may be null.
  static Result<std::unique_ptr<KvFileWriter>> Create(ObjectStore* store, std::string name,
                                                      RateLimiter* limiter);
  ~KvFileWriter();
  // Keys must ascend.
  Status Add(std::string_view key, std::string_view value);
  uint64_t raw_bytes() const { return info_.raw_bytes; }
  Result<KvFileInfo> Finish();

 private:
  KvFileWriter() = default;
  struct Streams;
  std::unique_ptr<Streams> streams_;
  KvFileInfo info_;
  std::string record_;
};

// Reads the file `info` names, giving fn each pair, and fails (naming the
// file) unless every key ascends within [first_key, last_key] and the count,
// sizes, CRC-32 and SHA-256 all match. fn may have seen pairs of a file that
// then fails.
using KvPairFn = std::function<Status(std::string_view key, std::string_view value)>;
Status ReadKvFile(ObjectStore* store, const KvFileInfo& info, const KvPairFn& fn);

}  // namespace jfsbr
