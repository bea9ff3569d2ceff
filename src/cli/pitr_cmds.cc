// log (start, status, pause, resume, stop, truncate) and restore point:
// continuous log backup of an etcd volume (or, start only, of a Redis one:
// redis/log_backup.h) and point-in-time restore.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "cli/command.h"
#include "cli/progress.h"
#include "fs/check.h"
#include "meta/registry.h"
#include "pitr/log_capture.h"
#include "pitr/restore_point.h"
#include "redis/log_backup.h"
#include "store/registry.h"
#include "tkv/prefix.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"
#include "tkv/txn.h"
#include "util/clock.h"

namespace jfsbr::cli {
namespace {

// The unprefixed engine of META-URL and its volume's task.
struct Opened {
  std::unique_ptr<KvEngine> root;
  std::unique_ptr<LogTask> task;
  std::string prefix;
  LogTaskInfo info;  // OpenRegisteredTask only
};

Result<Opened> OpenTask(const std::string& url) {
  Opened o;
  JFS_ASSIGN_OR_RETURN(EngineUrl u, ParseEngineUrl(url));
  o.prefix = JuiceFsKeyPrefix(u);
  if (MetaFamilyOf(url) == "redis") {
    return Status::NotSupported(
        "a Redis volume's log backup is one capture in the foreground ('jfsbr log start' until "
        "SIGTERM); its checkpoint is redis/checkpoint in its storage");
  }
  if (o.prefix.empty() && MetaFamilyOf(url) == "sql") {
    return OpenEngineUnprefixed(url).status();  // says what such a volume takes instead
  }
  if (o.prefix.empty()) {
    return Status::NotSupported("log backup follows an etcd volume's history; " + u.scheme +
                                " keeps none (use br backup for full backups)");
  }
  JFS_ASSIGN_OR_RETURN(o.root, OpenEngineUnprefixed(url));
  o.task = std::make_unique<LogTask>(o.root.get(), o.prefix);
  return o;
}

// OpenTask, for a volume that has a task registered.
Result<Opened> OpenRegisteredTask(const std::string& url) {
  JFS_ASSIGN_OR_RETURN(Opened o, OpenTask(url));
  JFS_ASSIGN_OR_RETURN(auto info, o.task->Info());
  if (!info) return Status::NotFound("this volume has no log backup task");
  o.info = std::move(*info);
  return o;
}

void Say(const std::string& s) {
  fprintf(stderr, "%s log: %s\n", FormatTime(UnixSeconds(), "%H:%M:%S", false).c_str(), s.c_str());
}

// A Redis volume's capture (redis/log_backup.h): its base, then the stream.
int RunRedisStart(const Args& a) {
  auto store = OpenStorageFlag(a, "storage");
  if (!store.ok()) return Fail(a, store.status());
  auto flush = a.GetDuration("flush-interval", "5s");
  if (!flush.ok()) return Fail(a, flush.status());
  auto ttl = a.GetDuration("lease-ttl", "10s");
  if (!ttl.ok()) return Fail(a, ttl.status());
  RedisLogOptions o;
  o.flush_interval = std::chrono::duration<double>(*flush).count();
  o.lease_ttl = *ttl;
  o.stop = &StopOnSignals();
  o.log = Say;
  Status st = RunRedisLogCapture(a.pos[0], store->get(), o);
  if (!st.ok()) return Fail(a, st);
  Say("stopped");
  return 0;
}

int RunStart(const Args& a) {
  if (MetaFamilyOf(a.pos[0]) == "redis") return RunRedisStart(a);
  auto o = OpenTask(a.pos[0]);
  if (!o.ok()) return Fail(a, o.status());
  auto store = OpenStorageFlag(a, "storage");
  if (!store.ok()) return Fail(a, store.status());
  auto info = o->task->Info();
  if (!info.ok()) return Fail(a, info.status());
  if (!*info) {  // register the task
    // The volume's view of the same engine (its keys under the prefix).
    auto volume = NewTkvMeta(WithKeyPrefix(BorrowEngine(o->root.get()), o->prefix));
    auto format = ReadVolumeSetting(volume.get());
    if (!format.ok()) return Fail(a, format.status());
    LogTaskInfo t;
    t.volume = format->name;
    t.storage = a.Get("storage");
    t.created_ms = UnixMillis();
    auto now = o->root->Version();
    if (!now.ok()) return Fail(a, now.status());
    auto start = a.GetUint("start-revision", *now);
    if (!start.ok()) return Fail(a, start.status());
    t.start_rev = *start;
    auto oldest = o->root->OldestVersion();
    if (!oldest.ok()) return Fail(a, oldest.status());
    if (t.start_rev + 1 < *oldest) {
      return Fail(
          a, Status::InvalidArgument("etcd history before revision " + std::to_string(*oldest) +
                                     " is compacted: --start-revision " +
                                     std::to_string(t.start_rev) + " is too old"));
    }
    if (auto existing = (*store)->Head(logpath::kTask); existing.ok()) {
      return Fail(a,
                  Status::Exists((*store)->Describe() +
                                 " already holds a log backup: give a new task its own storage"));
    }
    Status st = (*store)->Put(logpath::kTask, EncodeTaskInfo(t));
    if (st.ok()) st = o->task->Register(t);
    if (!st.ok() && !st.Is(Code::kExists)) return Fail(a, st);
    if (st.ok())
      Say("registered the task of volume " + t.volume + " from revision " +
          std::to_string(t.start_rev) + " into " + (*store)->Describe() +
          "; restore points need a full backup (br backup) taken at or after it");
  } else if ((*info)->storage != a.Get("storage")) {
    return Fail(a, Status::InvalidArgument("this volume's log backup task writes to " +
                                           (*info)->storage + ", not " + a.Get("storage")));
  }
  CaptureOptions co;
  auto flush = a.GetDuration("flush-interval", "5s");
  auto ttl = a.GetDuration("lease-ttl", "10s");
  auto mib = a.GetUint("flush-mib", 64);
  if (!flush.ok()) return Fail(a, flush.status());
  if (!ttl.ok()) return Fail(a, ttl.status());
  if (!mib.ok()) return Fail(a, mib.status());
  co.flush_interval = *flush;
  co.lease_ttl = *ttl;
  co.flush_bytes = std::max<uint64_t>(*mib, 1) << 20;
  co.stop = &StopOnSignals();
  co.log = Say;
  Status st = RunLogCapture(o->root.get(), o->task.get(), store->get(), co);
  if (!st.ok()) return Fail(a, st);
  Say("stopped");
  return 0;
}

int RunStatus(const Args& a) {
  auto o = OpenRegisteredTask(a.pos[0]);
  if (!o.ok()) return Fail(a, o.status());
  const LogTaskInfo& info = o->info;
  auto ck = o->task->Checkpoint();
  auto paused = o->task->PauseNote();
  auto error = o->task->LastError();
  auto oldest = o->root->OldestVersion();
  auto now = o->root->Version();
  Lease lease(KvLeaseSlot(o->root.get(), o->task->lease_key()), "", std::chrono::seconds(1));
  auto holder = lease.Read();
  if (!ck.ok()) return Fail(a, ck.status());
  if (!oldest.ok()) return Fail(a, oldest.status());
  if (!now.ok()) return Fail(a, now.status());
  bool lost = *oldest > ck->revision + 1;
  std::string state = lost ? "ERROR" : paused.ok() && !paused->empty() ? "PAUSED" : "NORMAL";
  printf("task:        %s\n", info.volume.c_str());
  printf("status:      %s\n", state.c_str());
  printf("storage:     %s\n", info.storage.c_str());
  printf("start:       revision %llu (%s)\n", static_cast<unsigned long long>(info.start_rev),
         LocalTimeText(info.created_ms).c_str());
  printf("checkpoint:  revision %llu (%s), lag %.1f s, %llu revisions behind\n",
         static_cast<unsigned long long>(ck->revision), LocalTimeText(ck->time_ms).c_str(),
         (UnixMillis() - ck->time_ms) / 1000.0,
         static_cast<unsigned long long>(*now - std::min(*now, ck->revision)));
  printf("capture:     %s\n",
         holder.ok() && !holder->holder.empty() && holder->expires_ms > UnixMillis()
             ? holder->holder.c_str()
             : "none running");
  printf("compacted:   revision %llu\n", static_cast<unsigned long long>(*oldest));
  if (auto store = OpenStoreUrl(info.storage); store.ok()) {
    if (auto w = ReadLogWindow(store->get()); w.ok()) {
      printf("stored:      %llu files, %s\n", static_cast<unsigned long long>(w->files),
             FormatBytes(w->bytes).c_str());
    }
  }
  if (paused.ok() && !paused->empty()) printf("paused:      %s\n", paused->c_str());
  if (error.ok() && !error->empty()) printf("last error:  %s\n", error->c_str());
  if (lost) {
    return Fail(
        a, Status::NotFound("etcd history was compacted to revision " + std::to_string(*oldest) +
                            ", past the checkpoint " + std::to_string(ck->revision) +
                            ": this log backup has a gap; take a new full backup and "
                            "start a new task"));
  }
  return 0;
}

int PauseResumeStop(const Args& a, std::string_view sub) {
  auto o = OpenRegisteredTask(a.pos[0]);
  if (!o.ok()) return Fail(a, o.status());
  const LogTaskInfo& info = o->info;
  Status st;
  if (sub == "pause") {
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    st = o->task->Pause("since " + LocalTimeText(UnixMillis()) + " by " + host + " pid " +
                        std::to_string(getpid()));
  } else if (sub == "resume") {
    auto ck = o->task->Checkpoint();
    auto oldest = o->root->OldestVersion();
    if (!ck.ok()) return Fail(a, ck.status());
    if (!oldest.ok()) return Fail(a, oldest.status());
    if (*oldest > ck->revision + 1) {
      return Fail(a, Status::NotFound("etcd history was compacted past the checkpoint " +
                                      std::to_string(ck->revision) +
                                      ": the task cannot resume; stop it, take a full backup "
                                      "and start a new one"));
    }
    st = o->task->Resume();
  } else {
    st = o->task->Stop();
  }
  if (!st.ok()) return Fail(a, st);
  fprintf(stderr, "log backup task of %s: %s\n", info.volume.c_str(),
          sub == "pause"    ? "paused (history is kept from its checkpoint)"
          : sub == "resume" ? "resumed"
                            : "stopped and removed; it no longer holds etcd history");
  return 0;
}

int RunTruncate(const Args& a) {
  auto store = OpenStorageFlag(a, "storage");
  if (!store.ok()) return Fail(a, store.status());
  if (!a.Has("until")) {
    return Fail(a, Status::InvalidArgument("--until TIME|REVISION is required"));
  }
  auto until = ParseMoment(a.Get("until"));
  if (!until.ok()) return Fail(a, until.status());
  uint64_t rev;
  if (until->revision) {
    rev = *until->revision;
  } else {
    auto logs = ReadLogCatalog(store->get());
    if (!logs.ok()) return Fail(a, logs.status());
    auto at = RevisionAtTime(store->get(), *logs, *until->time_ms);
    if (!at.ok()) return Fail(a, at.status());
    rev = *at;
    fprintf(stderr, "%s is revision %llu\n", LocalTimeText(*until->time_ms).c_str(),
            static_cast<unsigned long long>(rev));
  }
  auto r = TruncateLog(store->get(), rev);
  if (!r.ok()) return Fail(a, r.status());
  fprintf(stderr,
          "truncated the log before revision %llu: %llu meta files, %llu data files (%s); "
          "restores to later points need a full backup taken at or after it\n",
          static_cast<unsigned long long>(r->safepoint),
          static_cast<unsigned long long>(r->metas_deleted),
          static_cast<unsigned long long>(r->files_deleted), FormatBytes(r->bytes_deleted).c_str());
  return 0;
}

int RunPause(const Args& a) { return PauseResumeStop(a, "pause"); }
int RunResume(const Args& a) { return PauseResumeStop(a, "resume"); }
int RunStop(const Args& a) { return PauseResumeStop(a, "stop"); }

// The point --restored-revision or --restored-ts names (neither: empty).
Result<Moment> RestoredPoint(const Args& a) {
  Moment m;
  if (a.Has("restored-revision")) {
    JFS_ASSIGN_OR_RETURN(m.revision, a.GetUint("restored-revision", 0));
  } else if (a.Has("restored-ts")) {
    JFS_ASSIGN_OR_RETURN(m, ParseMoment(a.Get("restored-ts")));
  }
  return m;
}

// A point of a Redis log backup: its own base, then its frames.
int RunRedisRestorePoint(const Args& a, ObjectStore* logs) {
  auto point = RestoredPoint(a);
  if (!point.ok()) return Fail(a, point.status());
  RedisPointOptions o;
  o.offset = point->revision;
  o.time_ms = point->time_ms;
  CountProgress progress("replayed transactions");
  o.progress = [&](uint64_t n) { progress.Update(n); };
  auto start = std::chrono::steady_clock::now();
  auto r = RestoreRedisPoint(logs, a.Get("to"), o);
  progress.Clear();
  if (!r.ok()) {
    return Fail(a, r.status().Annotate("restore point failed (the target has no volume setting)"));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto restored = OpenMeta(a.Get("to"));
  if (!restored.ok()) return Fail(a, restored.status());
  auto snap = (*restored)->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  auto report = CheckVolume(snap->get());
  if (!report.ok()) return Fail(a, report.status());
  for (const auto& p : report->problems) fprintf(stderr, "%s\n", p.c_str());
  fprintf(stderr,
          "restored to offset %llu: the base at offset %llu, then %llu transactions (%llu "
          "commands) replayed in %.2f s; check %s\n",
          static_cast<unsigned long long>(r->target_offset),
          static_cast<unsigned long long>(r->base_offset),
          static_cast<unsigned long long>(r->frames), static_cast<unsigned long long>(r->commands),
          secs, report->ok() ? "OK" : "FAILED");
  return report->ok() ? 0 : 1;
}

int RunRestorePoint(const Args& a) {
  if (!a.Has("to")) return Fail(a, Status::InvalidArgument("--to META-URL is required"));
  {
    auto logs = OpenStorageFlag(a, "storage");
    if (logs.ok() && (IsRedisLogBackup(logs->get()) || MetaFamilyOf(a.Get("to")) == "redis")) {
      return RunRedisRestorePoint(a, logs->get());
    }
  }
  auto full = OpenStorageFlag(a, "full-backup-storage");
  if (!full.ok()) return Fail(a, full.status());
  auto logs = OpenStorageFlag(a, "storage");
  if (!logs.ok()) return Fail(a, logs.status());
  if (!a.Has("to")) return Fail(a, Status::InvalidArgument("--to META-URL is required"));
  auto point = RestoredPoint(a);
  if (!point.ok()) return Fail(a, point.status());
  if (!point->revision && !point->time_ms) {
    return Fail(a, Status::InvalidArgument("give --restored-ts TIME or --restored-revision N"));
  }
  PointRestoreOptions o;
  o.revision = point->revision;
  o.time_ms = point->time_ms;
  auto plan = PlanPointRestore(full->get(), logs->get(), o);
  if (!plan.ok()) return Fail(a, plan.status().Annotate("restore point refused"));
  if (o.time_ms) {
    fprintf(stderr, "restore point: %s is revision %llu\n", LocalTimeText(*o.time_ms).c_str(),
            static_cast<unsigned long long>(plan->target_revision));
  }
  auto target = OpenEngine(a.Get("to"), /*create=*/true);
  if (!target.ok()) return Fail(a, target.status());
  CountProgress progress("replayed changes");
  o.progress = [&](uint64_t n) { progress.Update(n); };
  o.log = [&](const std::string& s) {
    progress.Clear();
    fprintf(stderr, "restore point: %s\n", s.c_str());
  };
  std::optional<RestoreMark> mark;
  o.before_setting = BucketGuardHook(a, target->get(),
                                     "point at revision " + std::to_string(plan->target_revision),
                                     o.time_ms ? *o.time_ms / 1000 : 0, &mark);
  auto start = std::chrono::steady_clock::now();
  auto r = RestoreToPoint(*plan, full->get(), logs->get(), target->get(), o);
  progress.Clear();
  if (!r.ok()) {
    return Fail(a, r.status().Annotate("restore point failed (the target has no volume setting; "
                                       "rerun to resume)"));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto restored = NewTkvMeta(BorrowEngine(target->get()));
  auto snap = restored->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  auto report = CheckVolume(snap->get());
  if (!report.ok()) return Fail(a, report.status());
  for (const auto& p : report->problems) fprintf(stderr, "%s\n", p.c_str());
  fprintf(stderr,
          "restored to revision %llu: full backup at revision %llu, then %llu revisions "
          "(%llu changes) replayed in %.2f s; check %s\n",
          static_cast<unsigned long long>(r->target_revision),
          static_cast<unsigned long long>(r->full_revision),
          static_cast<unsigned long long>(r->revisions),
          static_cast<unsigned long long>(r->changes), secs, report->ok() ? "OK" : "FAILED");
  if (mark) PrintRestoreGuard(*mark);
  return report->ok() ? 0 : 1;
}

const Command kLogStartCommand = {
    "start",
    "META-URL",
    "Register the volume's task (first time) and capture its changes until SIGTERM; one "
    "holder per task, others stand by",
    {{"storage", 's', "URL", "the log storage (file:///dir, s3://host/bucket/path)"},
     {"start-revision", 0, "N", "capture the changes after this revision", "now"},
     {"flush-interval", 0, "DURATION", "how often captured changes are written", "5s"},
     {"flush-mib", 0, "N", "write sooner when this much is buffered (1 to 4096)", "64"},
     {"lease-ttl", 0, "DURATION", "a dead capture's lease frees after this", "10s"}},
    1,
    1,
    RunStart};
const Command kLogStatusCommand = {
    "status", "META-URL", "Show the task: checkpoint, lag, holder, pause, last error", {}, 1,
    1,        RunStatus};
const Command kLogPauseCommand = {
    "pause", "META-URL", "Pause the capture (etcd keeps history from the checkpoint)", {}, 1,
    1,       RunPause};
const Command kLogResumeCommand = {"resume", "META-URL", "Resume a paused capture", {}, 1,
                                   1,        RunResume};
const Command kLogStopCommand = {
    "stop", "META-URL", "Stop and remove the task (it no longer holds etcd history)", {}, 1,
    1,      RunStop};
const Command kLogTruncateCommand = {
    "truncate",
    "",
    "Delete the log files holding only changes up to --until",
    {{"storage", 's', "URL", "the log storage"},
     {"until", 0, "TIME|REV", "\"2026-11-21 10:42:17\", RFC 3339, @UNIX or a revision"}},
    0,
    0,
    RunTruncate};

}  // namespace

const Command kLogCommand = {
    "log",
    "",
    "Continuous log backup of an etcd volume's changes (TiDB's layout) or a Redis volume's "
    "replication stream, for point-in-time restore",
    {},
    0,
    0,
    nullptr,
    {&kLogStartCommand, &kLogStatusCommand, &kLogPauseCommand, &kLogResumeCommand, &kLogStopCommand,
     &kLogTruncateCommand}};
const Command kRestorePointCommand = {
    "point",
    "",
    "Restore the volume as it was at a moment (full backup + log backup) into an empty engine",
    {{"full-backup-storage", 0, "URL", "full backups (br backup), one or one per subdir"},
     {"storage", 's', "URL", "the log backup storage"},
     {"restored-ts", 0, "TIME", "\"2026-11-21 10:42:17\", RFC 3339 or @unix"},
     {"restored-revision", 0, "N", "an etcd revision (Redis: a replication offset)"},
     {"to", 0, "META-URL", "the empty engine to restore into"},
     kNoBucketGuardFlag},
    0,
    0,
    RunRestorePoint};

}  // namespace jfsbr::cli
