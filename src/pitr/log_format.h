// The log backup's storage layout and files (docs/format/log-backup.md),
// after TiDB's, with etcd revisions in the place of timestamps:
//
//   v1/{YYYYMMDD}/{HH}/{store}/{minRev:016X}-{uuid}.log       data (UTC hour of the flush)
//   v1/backupmeta/{flushRev}-{minDefaultRev}-{minRev}-{maxRev}.meta   (16 hex digits each)
//   v1/global_checkpoint/{store}.ts                            the restorable point
//   v1_stream_truncate_safepoint.txt                           nothing before it is kept
//   v1/jfsbr-task.json                                         the task that writes here
//
// A data file is a zstd stream of frames, one per captured revision:
//   u32 LE payload length | u32 LE CRC-32 of payload | payload
//   payload: u64 LE revision | i64 LE unix ms | u32 LE n | n x change
//   change:  u8 op (1 put, 0 delete) | u32 LE key length | key | u32 LE value length | value
// A frame with no changes is a time mark: the capture's heartbeat, written
// into etcd at that wall-clock time and seen at that revision.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/object_store.h"
#include "tkv/engine.h"

namespace jfsbr {

struct LogRecord {
  uint64_t revision = 0;
  int64_t time_ms = 0;            // a mark's heartbeat time; a change's arrival time
  std::vector<KvChange> changes;  // empty: a time mark
};

// One data file as its meta file describes it. It holds every change of
// the volume in revisions (from_rev, to_rev].
struct LogFileInfo {
  std::string path;
  uint64_t from_rev = 0, to_rev = 0;
  uint64_t min_rev = 0, max_rev = 0;  // of its records
  int64_t min_time_ms = 0, max_time_ms = 0;
  uint64_t records = 0, changes = 0;
  uint64_t raw_bytes = 0, size = 0;
  uint32_t crc32 = 0;  // of the uncompressed frames
  std::string sha256;  // of the object
};

struct LogMeta {
  static constexpr int kVersion = 1;
  std::string name;  // object key (set when read)
  uint64_t store = 1;
  uint64_t flush_rev = 0;  // the checkpoint this flush made
  int64_t flush_time_ms = 0;
  std::vector<LogFileInfo> files;
};

// The restorable point: every change up to revision is in storage.
struct LogCheckpoint {
  uint64_t revision = 0;
  int64_t time_ms = 0;         // the newest time mark at or before revision
  uint64_t last_data_rev = 0;  // to_rev of the newest data file
};

namespace logpath {
std::string DataFile(uint64_t store, int64_t time_ms, uint64_t min_rev, const std::string& uuid);
std::string MetaFile(const LogMeta& m);
inline constexpr const char* kMetaDir = "v1/backupmeta/";
std::string Checkpoint(uint64_t store);
inline constexpr const char* kSafepoint = "v1_stream_truncate_safepoint.txt";
inline constexpr const char* kTask = "v1/jfsbr-task.json";
}  // namespace logpath

std::string EncodeLogMeta(const LogMeta& m);
Result<LogMeta> DecodeLogMeta(std::string_view json);
std::string EncodeCheckpoint(const LogCheckpoint& c);
Result<LogCheckpoint> DecodeCheckpoint(std::string_view bytes);

// Frames records into an in-memory buffer; Upload compresses it into one
// data file.
class LogFileBuilder {
 public:
  void Add(const LogRecord& r);
  bool empty() const { return info_.records == 0; }
  uint64_t min_rev() const { return info_.min_rev; }
  uint64_t raw_bytes() const { return frames_.size(); }
  // Writes the file (zstd) at path and returns its description.
  Result<LogFileInfo> Upload(ObjectStore* store, const std::string& path, uint64_t from_rev,
                             uint64_t to_rev);

 private:
  std::string frames_;
  LogFileInfo info_;
};

// Reads the data file `info` describes, giving fn each record in order;
// fails naming the file unless every frame's CRC, the counts, the CRC-32
// and SHA-256 of the whole match and revisions ascend within the range.
Status ReadLogFile(ObjectStore* store, const LogFileInfo& info,
                   const std::function<Status(LogRecord&&)>& fn);

// The frames of a data file's uncompressed bytes (for tests and fuzzing):
// stops at a torn or corrupt tail with kCorruption naming the offset.
Status ParseFrames(std::string_view frames, const std::function<Status(LogRecord&&)>& fn);

}  // namespace jfsbr
