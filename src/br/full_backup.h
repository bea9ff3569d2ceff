// Engine-level full backups (`jfsbr br`): every key of a volume read at one
// engine version, written as sorted, size-bounded, compressed key/value files
// (br/kv_file.h) from several key ranges in parallel, then a `backupmeta`
// object listing them with their checksums, written last: a storage without
// a backupmeta holds no backup. docs/format/br-backup.md.
//
// Keys are stored relative to the volume's prefix, so a restore writes them
// under the target's prefix, into any engine. The volume's `setting` is
// restored last: a half-restored volume has none and cannot be mounted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "br/kv_file.h"
#include "store/object_store.h"
#include "tkv/engine.h"

namespace jfsbr {

struct FullBackupMeta {
  static constexpr int kVersion = 1;
  int version = kVersion;
  std::string volume;            // the setting's Name
  std::string source;            // the engine, as Describe() says
  std::string key_prefix;        // of the source's keys (informational)
  uint64_t revision = 0;         // the engine version every key was read at
  int64_t time_ms = 0;           // when that version was read (unix ms)
  std::vector<KeyRange> ranges;  // read one by one; together every key
  std::vector<KvFileInfo> files;
  uint64_t total_kvs = 0, total_raw_bytes = 0, total_size = 0;
};

std::string EncodeFullBackupMeta(const FullBackupMeta& m);
Result<FullBackupMeta> DecodeFullBackupMeta(std::string_view json);

struct FullBackupProgress {
  uint64_t kvs = 0, raw_bytes = 0, files = 0;
};

struct FullBackupOptions {
  int concurrency = 4;             // key ranges read and written at once
  double ratelimit_bytes = 0;      // bytes/s written to the storage, all ranges (0: none)
  uint64_t file_bytes = 64 << 20;  // a file ends after this many record bytes
  uint64_t version = 0;            // read at this engine version (0: now)
  std::string source_prefix;       // recorded in the backupmeta
  std::function<void(const FullBackupProgress&)> progress;  // from worker threads
};

inline constexpr const char* kBackupMetaName = "backupmeta";

// Backs up the volume `engine` shows (a prefixed view) into store, which
// must not hold a backupmeta already.
Result<FullBackupMeta> RunFullBackup(KvEngine* engine, ObjectStore* store,
                                     const FullBackupOptions& opts);

Result<FullBackupMeta> ReadFullBackupMeta(ObjectStore* store);

struct FullRestoreOptions {
  int concurrency = 4;
  std::function<void(const FullBackupProgress&)> progress;
  // Given the setting instead of writing it (a point-in-time restore writes
  // it after replaying the log).
  std::optional<std::string>* hold_setting = nullptr;
  bool require_empty = true;  // else the caller has checked the target
  // Called with the setting just before it is written: its error fails the
  // restore, leaving no setting.
  std::function<Status(const std::string& setting)> before_setting;
};

// Restores backup `meta` of store into target (which must be empty),
// checking every file's checksums; the setting last. On error the target
// has no setting.
Status RestoreFullBackup(ObjectStore* store, const FullBackupMeta& meta, KvEngine* target,
                         const FullRestoreOptions& opts);

// Reads every file of the backup, checking each checksum, count and key
// range, and that the ranges cover every key once.
Status ValidateFullBackup(ObjectStore* store, const FullBackupMeta& meta, int concurrency);

// The backups under store: "" if store itself holds one, else each
// directory "D/" whose "D/backupmeta" exists (one level), with its meta,
// oldest revision first.
struct FoundBackup {
  std::string dir;
  FullBackupMeta meta;
};
Result<std::vector<FoundBackup>> FindFullBackups(ObjectStore* store);

}  // namespace jfsbr
