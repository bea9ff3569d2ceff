// Point-in-time restore: the plan (which full backup, which log files) and the
// replay, resumable.
#include "pitr/restore_point.h"

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>

#include "br/full_backup.h"
#include "pitr/log_format.h"
#include "pitr/log_task.h"
#include "tkv/keys.h"
#include "util/clock.h"
#include "util/coding.h"
#include "util/crc32.h"

namespace jfsbr {
namespace {

const std::string kMarkerKey = "jfsbr/restore-point";
const std::string kHeldSettingKey = "jfsbr/restore-point-setting";

struct Marker {
  uint64_t full = 0, target = 0, applied = 0;
  std::string phase;  // "full" or "log"
};

std::string EncodeMarker(const Marker& m) {
  return std::to_string(m.full) + " " + std::to_string(m.target) + " " + std::to_string(m.applied) +
         " " + m.phase;
}

Result<Marker> DecodeMarker(const std::string& s) {
  Marker m;
  std::istringstream in(s);
  if (!(in >> m.full >> m.target >> m.applied >> m.phase)) {
    return Status::Corruption("a bad restore marker '" + s + "'");
  }
  return m;
}

Result<LogCatalog> ReadCatalog(ObjectStore* log) {
  LogCatalog s;
  auto ck = log->Get(logpath::Checkpoint(1));
  if (ck.status().Is(Code::kNotFound)) {
    return Status::NotFound(log->Describe() + " holds no log backup (no " + logpath::Checkpoint(1) +
                            ")");
  }
  JFS_RETURN_IF_ERROR(ck.status());
  auto c = DecodeCheckpoint(*ck);
  if (!c.ok()) return c.status().Annotate(logpath::Checkpoint(1));
  s.checkpoint = *c;
  s.window.checkpoint = c->revision;
  s.window.checkpoint_time_ms = c->time_ms;
  if (auto sp = log->Get(logpath::kSafepoint); sp.ok()) {
    s.window.safepoint = strtoull(sp->c_str(), nullptr, 10);
  } else if (!sp.status().Is(Code::kNotFound)) {
    return sp.status();
  }
  auto task = log->Get(logpath::kTask);
  if (!task.ok()) return task.status().Annotate(logpath::kTask);
  auto info = DecodeTaskInfo(*task);
  if (!info.ok()) return info.status().Annotate(logpath::kTask);
  s.window.start_rev = info->start_rev;
  JFS_ASSIGN_OR_RETURN(auto metas, ListAll(log, logpath::kMetaDir));
  for (const auto& o : metas) {
    JFS_ASSIGN_OR_RETURN(std::string text, log->Get(o.key));
    auto m = DecodeLogMeta(text);
    if (!m.ok()) return m.status().Annotate("log meta file " + o.key);
    for (auto& f : m->files) {
      s.window.files++;
      s.window.bytes += f.size;
      s.files.push_back(std::move(f));
    }
  }
  std::sort(s.files.begin(), s.files.end(), [](const LogFileInfo& a, const LogFileInfo& b) {
    return a.from_rev != b.from_rev ? a.from_rev < b.from_rev : a.to_rev < b.to_rev;
  });
  return s;
}

// Every revision in (from, to] must be in some file.
Status CheckCoverage(const LogCatalog& s, uint64_t from, uint64_t to) {
  uint64_t end = std::min(to, s.checkpoint.last_data_rev);
  uint64_t cursor = from;
  for (const auto& f : s.files) {
    if (cursor >= end) break;
    if (f.to_rev <= cursor) continue;
    if (f.from_rev > cursor) {
      return Status::Corruption("the log backup has no file for revisions " +
                                std::to_string(cursor + 1) + " to " + std::to_string(f.from_rev) +
                                " (a data or meta file is missing)");
    }
    cursor = f.to_rev;
  }
  if (cursor < end) {
    return Status::Corruption("the log backup has no file for revisions " +
                              std::to_string(cursor + 1) + " to " + std::to_string(end) +
                              " (its checkpoint says they were written)");
  }
  return Status::OK();
}

// Clears every key of target (an interrupted full restore).
Status Clear(KvEngine* target) {
  for (;;) {
    WriteBatch b;
    b.atomic = false;
    JFS_RETURN_IF_ERROR(target->Scan("", "", [&](auto k, auto) {
      b.Delete(std::string(k));
      return b.ops.size() < 4096;
    }));
    if (b.empty()) return Status::OK();
    JFS_RETURN_IF_ERROR(target->Commit(b));
  }
}

// Applies revisions (applied, target] of the files, several whole revisions
// per atomic commit with the marker's new position.
class Replayer {
 public:
  Replayer(KvEngine* target, Marker* marker, PointRestoreResult* result,
           const PointRestoreOptions& opts)
      : target_(target), marker_(marker), result_(result), opts_(opts) {}

  // Files come by from_rev; a file only holds revisions after its from_rev.
  void StartFile(const LogFileInfo& f) {
    file_ = &f;
    digests_.erase(digests_.begin(), digests_.upper_bound(f.from_rev));
  }

  Status Add(LogRecord&& r) {
    if (r.revision > marker_->target || r.changes.empty()) return Status::OK();  // marks too
    uint32_t digest = Digest(r);
    if (r.revision <= marker_->applied) {  // again, in a file a takeover wrote: the same bytes?
      auto it = digests_.find(r.revision);
      if (it != digests_.end() && it->second != digest) {
        return Status::Corruption("log file " + file_->path + " holds revision " +
                                  std::to_string(r.revision) +
                                  " with other changes than an earlier file: the log backup "
                                  "disagrees with itself");
      }
      return Status::OK();
    }
    digests_[r.revision] = digest;
    for (auto& c : r.changes) {
      std::string key = c.key == keys::Setting() ? kHeldSettingKey : std::move(c.key);
      if (c.value) {
        batch_.Put(std::move(key), std::move(*c.value));
      } else {
        batch_.Delete(std::move(key));
      }
    }
    pending_rev_ = r.revision;
    pending_revisions_++;
    if (batch_.ops.size() >= 1000) return Commit();
    return Status::OK();
  }

  Status Commit() {
    if (batch_.empty()) return Status::OK();
    Marker next = *marker_;
    next.applied = pending_rev_;
    batch_.Put(kMarkerKey, EncodeMarker(next));
    JFS_RETURN_IF_ERROR(target_->Commit(batch_));
    *marker_ = next;
    result_->revisions += pending_revisions_;
    result_->changes += batch_.ops.size() - 1;
    if (opts_.progress) opts_.progress(result_->changes);
    batch_ = WriteBatch();
    pending_revisions_ = 0;
    return Status::OK();
  }

 private:
  static uint32_t Digest(const LogRecord& r) {
    uint32_t crc = 0;
    for (const auto& c : r.changes) {
      std::string head;  // lengths keep key/value boundaries apart
      PutLE32(&head, static_cast<uint32_t>(c.key.size()));
      PutLE32(&head, c.value ? static_cast<uint32_t>(c.value->size()) : 0xFFFFFFFFu);
      crc = Crc32(Crc32(crc, head), c.key);
      if (c.value) crc = Crc32(crc, *c.value);
    }
    return crc;
  }

  KvEngine* target_;
  Marker* marker_;
  PointRestoreResult* result_;
  const PointRestoreOptions& opts_;
  const LogFileInfo* file_ = nullptr;
  std::map<uint64_t, uint32_t> digests_;  // revisions applied in this run, by revision
  WriteBatch batch_;
  uint64_t pending_rev_ = 0, pending_revisions_ = 0;
};

}  // namespace

Result<LogCatalog> ReadLogCatalog(ObjectStore* log_storage) { return ReadCatalog(log_storage); }

Result<LogWindow> ReadLogWindow(ObjectStore* log_storage) {
  JFS_ASSIGN_OR_RETURN(LogCatalog s, ReadCatalog(log_storage));
  return s.window;
}

Result<uint64_t> RevisionAtTime(ObjectStore* log, const LogCatalog& s, int64_t time_ms) {
  if (time_ms > s.checkpoint.time_ms) {
    return Status::InvalidArgument("the log backup reaches " + LocalTimeText(s.checkpoint.time_ms) +
                                   " (its global checkpoint); " + LocalTimeText(time_ms) +
                                   " is after it");
  }
  uint64_t best = s.checkpoint.time_ms <= time_ms ? s.checkpoint.revision : 0;
  for (auto f = s.files.rbegin(); f != s.files.rend(); ++f) {
    if (f->min_time_ms > time_ms || f->max_rev <= best) continue;
    JFS_RETURN_IF_ERROR(ReadLogFile(log, *f, [&](LogRecord&& r) {
      if (r.changes.empty() && r.time_ms <= time_ms) best = std::max(best, r.revision);
      return Status::OK();
    }));
  }
  if (best == 0) {
    return Status::NotFound("the log backup has no time mark at or before " +
                            LocalTimeText(time_ms));
  }
  return best;
}

Result<PointRestorePlan> PlanPointRestore(ObjectStore* full_storage, ObjectStore* log_storage,
                                          const PointRestoreOptions& opts) {
  PointRestorePlan plan;
  JFS_ASSIGN_OR_RETURN(plan.logs, ReadCatalog(log_storage));
  const LogCatalog& logs = plan.logs;
  if (opts.revision) {
    plan.target_revision = *opts.revision;
  } else if (opts.time_ms) {
    JFS_ASSIGN_OR_RETURN(plan.target_revision, RevisionAtTime(log_storage, logs, *opts.time_ms));
  } else {
    return Status::InvalidArgument("give the target as a time or a revision");
  }
  uint64_t t = plan.target_revision;
  if (t > logs.checkpoint.revision) {
    return Status::InvalidArgument("revision " + std::to_string(t) +
                                   " is after the log backup's global checkpoint " +
                                   std::to_string(logs.checkpoint.revision) + " (" +
                                   LocalTimeText(logs.checkpoint.time_ms) + ")");
  }
  if (t < logs.window.safepoint) {
    return Status::InvalidArgument("revision " + std::to_string(t) +
                                   " is before the log backup's truncate safepoint " +
                                   std::to_string(logs.window.safepoint));
  }
  uint64_t floor = std::max(logs.window.start_rev, logs.window.safepoint);
  JFS_ASSIGN_OR_RETURN(auto backups, FindFullBackups(full_storage));
  const FoundBackup* full = nullptr;
  for (const auto& b : backups) {
    if (b.meta.revision <= t && b.meta.revision >= floor) full = &b;
  }
  if (!full) {
    return Status::NotFound("no full backup in " + full_storage->Describe() +
                            " has a revision between " + std::to_string(floor) +
                            " (where the log backup starts) and " + std::to_string(t));
  }
  plan.full = *full;
  JFS_RETURN_IF_ERROR(CheckCoverage(logs, full->meta.revision, t));
  return plan;
}

Result<PointRestoreResult> RestoreToPoint(const PointRestorePlan& plan, ObjectStore* full_storage,
                                          ObjectStore* log_storage, KvEngine* target,
                                          const PointRestoreOptions& opts) {
  auto log = [&](const std::string& s) {
    if (opts.log) opts.log(s);
  };
  const FoundBackup* full = &plan.full;
  const LogCatalog& logs = plan.logs;
  uint64_t t = plan.target_revision;
  PointRestoreResult res;
  res.target_revision = t;
  res.full_backup = full->dir;
  res.full_revision = full->meta.revision;
  Marker marker{res.full_revision, t, res.full_revision, "full"};
  JFS_ASSIGN_OR_RETURN(auto old, target->Get(kMarkerKey));
  if (old) {
    JFS_ASSIGN_OR_RETURN(Marker m, DecodeMarker(*old));
    if (m.full != marker.full || m.target != marker.target) {
      return Status::NotEmpty("the target holds an interrupted restore to revision " +
                              std::to_string(m.target) + " from the full backup at revision " +
                              std::to_string(m.full) +
                              ": rerun that one, or restore into an empty target");
    }
    res.resumed = true;
    if (m.phase == "log") {
      marker = m;
      log("resuming the replay after revision " + std::to_string(m.applied));
    } else {
      log("the full restore was interrupted: starting over");
      JFS_RETURN_IF_ERROR(Clear(target));
    }
  } else {
    bool empty = true;
    JFS_RETURN_IF_ERROR(target->Scan("", "", [&](auto, auto) { return empty = false; }));
    if (!empty) return Status::NotEmpty(target->Describe() + " is not empty");
  }
  if (marker.phase == "full") {
    WriteBatch start;
    start.Put(kMarkerKey, EncodeMarker(marker));
    JFS_RETURN_IF_ERROR(target->Commit(start));
    log("restoring the full backup " + (full->dir.empty() ? "." : full->dir) + " at revision " +
        std::to_string(res.full_revision));
    auto dir =
        WithPrefix(std::shared_ptr<ObjectStore>(full_storage, [](ObjectStore*) {}), full->dir);
    std::optional<std::string> setting;
    FullRestoreOptions fo;
    fo.concurrency = opts.concurrency;
    fo.hold_setting = &setting;
    fo.require_empty = false;
    JFS_RETURN_IF_ERROR(RestoreFullBackup(dir.get(), full->meta, target, fo));
    marker.phase = "log";
    WriteBatch held;
    held.Put(kHeldSettingKey, *setting);
    held.Put(kMarkerKey, EncodeMarker(marker));
    JFS_RETURN_IF_ERROR(target->Commit(held));
  }
  log("replaying the log from revision " + std::to_string(marker.applied + 1) + " to " +
      std::to_string(t));
  Replayer replay(target, &marker, &res, opts);
  for (const auto& f : logs.files) {
    if (f.to_rev <= marker.applied || f.from_rev >= t) continue;
    replay.StartFile(f);
    JFS_RETURN_IF_ERROR(
        ReadLogFile(log_storage, f, [&](LogRecord&& r) { return replay.Add(std::move(r)); }));
    JFS_RETURN_IF_ERROR(replay.Commit());
  }
  JFS_ASSIGN_OR_RETURN(auto setting, target->Get(kHeldSettingKey));
  if (setting && opts.before_setting) JFS_RETURN_IF_ERROR(opts.before_setting(*setting));
  WriteBatch last;
  if (setting) {
    last.Put(keys::Setting(), *setting);
  } else {
    last.Delete(keys::Setting());
  }
  last.Delete(kHeldSettingKey);
  last.Delete(kMarkerKey);
  JFS_RETURN_IF_ERROR(target->Commit(last));
  return res;
}

}  // namespace jfsbr

namespace jfsbr {

Result<TruncateResult> TruncateLog(ObjectStore* log, uint64_t until) {
  TruncateResult r;
  uint64_t old = 0;
  if (auto sp = log->Get(logpath::kSafepoint); sp.ok()) old = strtoull(sp->c_str(), nullptr, 10);
  r.safepoint = std::max(old, until);
  JFS_RETURN_IF_ERROR(log->Put(logpath::kSafepoint, std::to_string(r.safepoint)));
  JFS_ASSIGN_OR_RETURN(auto metas, ListAll(log, logpath::kMetaDir));
  for (const auto& o : metas) {
    JFS_ASSIGN_OR_RETURN(std::string text, log->Get(o.key));
    auto m = DecodeLogMeta(text);
    if (!m.ok()) return m.status().Annotate("log meta file " + o.key);
    bool old_enough = std::all_of(m->files.begin(), m->files.end(),
                                  [&](const LogFileInfo& f) { return f.to_rev <= r.safepoint; });
    if (!old_enough) continue;
    JFS_RETURN_IF_ERROR(log->Delete(o.key));
    r.metas_deleted++;
    for (const auto& f : m->files) {
      JFS_RETURN_IF_ERROR(log->Delete(f.path));
      r.files_deleted++;
      r.bytes_deleted += f.size;
    }
  }
  return r;
}

}  // namespace jfsbr
