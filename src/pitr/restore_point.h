// Point-in-time restore (`jfsbr restore point`): the newest full backup at
// or before the target revision, then the log backup's changes after it,
// replayed in revision order up to the target, each revision whole.
//
// The target engine records its progress in a marker key inside the volume
// (jfsbr/restore-point): a rerun of an interrupted restore with the same
// target resumes the replay, or starts over if the full restore was not
// finished. The setting is written last, with the marker removed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "br/full_backup.h"
#include "pitr/log_format.h"
#include "store/object_store.h"
#include "tkv/engine.h"

namespace jfsbr {

struct PointRestoreOptions {
  std::optional<uint64_t> revision;  // one of these two
  std::optional<int64_t> time_ms;
  int concurrency = 4;
  std::function<void(const std::string&)> log;
  std::function<void(uint64_t changes)> progress;
  // Called with the setting just before it is written (the last step): its
  // error fails the restore, leaving no setting (a rerun resumes).
  std::function<Status(const std::string& setting)> before_setting;
};

// The log storage's restorable window, for messages and `log status`.
struct LogWindow {
  uint64_t start_rev = 0, safepoint = 0, checkpoint = 0;
  int64_t checkpoint_time_ms = 0;
  uint64_t files = 0, bytes = 0;
};
Result<LogWindow> ReadLogWindow(ObjectStore* log_storage);

// Every data file the log storage's meta files list, by from_rev.
struct LogCatalog {
  LogWindow window;
  LogCheckpoint checkpoint;
  std::vector<LogFileInfo> files;
};
Result<LogCatalog> ReadLogCatalog(ObjectStore* log_storage);

// The revision a wall-clock time means: the newest time mark at or before
// it. Reads the newest data files first and stops at the first that has one.
Result<uint64_t> RevisionAtTime(ObjectStore* log_storage, const LogCatalog& logs, int64_t time_ms);

// A restore checked against both storages before any target is touched:
// the target revision is in the log's window, a full backup at or before it
// exists, and the log has every revision between the two.
struct PointRestorePlan {
  LogCatalog logs;
  FoundBackup full;
  uint64_t target_revision = 0;
};
Result<PointRestorePlan> PlanPointRestore(ObjectStore* full_storage, ObjectStore* log_storage,
                                          const PointRestoreOptions& opts);

struct PointRestoreResult {
  std::string full_backup;  // its directory in the full-backup storage
  uint64_t full_revision = 0;
  uint64_t target_revision = 0;
  uint64_t revisions = 0, changes = 0;  // replayed
  bool resumed = false;
};

Result<PointRestoreResult> RestoreToPoint(const PointRestorePlan& plan, ObjectStore* full_storage,
                                          ObjectStore* log_storage, KvEngine* target,
                                          const PointRestoreOptions& opts);

}  // namespace jfsbr

namespace jfsbr {

struct TruncateResult {
  uint64_t safepoint = 0;
  uint64_t metas_deleted = 0, files_deleted = 0, bytes_deleted = 0;
};
// Deletes the log files holding only revisions up to `until` (the meta file
// first, then its data), after writing `until` as the truncate safepoint so
// no restore to an earlier point is tried. Restores to later points then
// need a full backup taken at or after `until`.
Result<TruncateResult> TruncateLog(ObjectStore* log_storage, uint64_t until);

}  // namespace jfsbr
