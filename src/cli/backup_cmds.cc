// backup (once, daemon, list, verify) and restore: metadata backups in the
// volume's object store.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "backup/daemon.h"
#include "backup/restore_guard.h"
#include "backup/retention.h"
#include "cli/command.h"
#include "cli/metrics_server.h"
#include "cli/progress.h"
#include "fs/check.h"
#include "fs/fsck.h"
#include "meta/registry.h"
#include "model/setting.h"
#include "util/clock.h"

namespace jfsbr::cli {
namespace {

// The engine and the volume's store of META-URL.
struct Opened {
  std::unique_ptr<Meta> engine;
  std::unique_ptr<ObjectStore> store;
  VolumeFormat format;
};

Result<Opened> Open(const std::string& meta_url) {
  Opened o;
  JFS_ASSIGN_OR_RETURN(o.engine, OpenMeta(meta_url));
  auto format = ReadVolumeSetting(o.engine.get());
  if (!format.ok()) return format.status().Annotate(o.engine->Describe());
  o.format = std::move(*format);
  JFS_ASSIGN_OR_RETURN(o.store, OpenVolumeStore(o.format));
  return o;
}

Result<BackupOptions> Options(const Args& a) {
  BackupOptions o;
  o.binary = a.Has("binary");
  o.keep_secret = a.Has("keep-secret-key");
  o.skip_trash = a.Has("skip-trash");
  JFS_ASSIGN_OR_RETURN(o.threads, a.GetThreads(2));
  return o;
}

void PrintManifest(const BackupManifest& m) {
  fprintf(stderr,
          "backup meta/%s: %llu entries, %llu bytes (%llu uncompressed), version %llu, "
          "%.2f s\n",
          m.name.c_str(), static_cast<unsigned long long>(m.entries),
          static_cast<unsigned long long>(m.object_bytes),
          static_cast<unsigned long long>(m.dump_bytes), static_cast<unsigned long long>(m.version),
          m.seconds);
}

int RunOnce(const Args& a) {
  auto o = Options(a);
  if (!o.ok()) return Fail(a, o.status());
  auto v = Open(a.pos[0]);
  if (!v.ok()) return Fail(a, v.status());
  CountProgress progress("backed up entries");
  o->progress = [&](uint64_t n) { progress.Update(n); };
  Meta* engine = v->engine.get();
  auto m = RunBackup(engine, v->store.get(), *o);
  progress.Clear();
  if (!m.ok()) return Fail(a, m.status());
  PrintManifest(*m);
  return 0;
}

std::string Log(const std::string& line) {
  return FormatTime(UnixSeconds(), "%Y-%m-%d %H:%M:%S", false) + " " + line;
}

int RunDaemon(const Args& a) {
  auto o = Options(a);
  if (!o.ok()) return Fail(a, o.status());
  auto interval = a.GetDuration("interval", "1h", std::chrono::seconds(1));
  auto ttl = a.GetDuration("lease-ttl", "30s", std::chrono::milliseconds(300));
  if (!interval.ok()) return Fail(a, interval.status());
  if (!ttl.ok()) return Fail(a, ttl.status());
  auto v = Open(a.pos[0]);
  if (!v.ok()) return Fail(a, v.status());
  DaemonOptions d;
  d.interval = std::max(std::chrono::seconds(1),
                        std::chrono::duration_cast<std::chrono::seconds>(*interval));
  d.lease_ttl = std::max(std::chrono::milliseconds(300), *ttl);
  d.backup = *o;
  BackupDaemon daemon(v->engine.get(), v->store.get(), d,
                      [](const std::string& line) { std::cerr << Log(line) << std::endl; });
  MetricsServer metrics;
  if (a.Has("metrics")) {
    Status st = metrics.Start(a.Get("metrics"),
                              [&] { return PrometheusText(daemon.metrics(), v->format.name); });
    if (!st.ok()) return Fail(a, st);
    std::cerr << Log("metrics on http://" + a.Get("metrics") + "/metrics (port " +
                     std::to_string(metrics.port()) + ")")
              << std::endl;
  }
  std::cerr << Log("backing up volume " + v->format.name + " every " +
                   std::to_string(d.interval.count()) + " s into " + v->store->Describe() + "meta/")
            << std::endl;
  Status st = daemon.Run(StopOnSignals());
  if (!st.ok()) return Fail(a, st);
  std::cerr << Log("stopped") << std::endl;
  return 0;
}

int RunList(const Args& a) {
  auto v = Open(a.pos[0]);
  if (!v.ok()) return Fail(a, v.status());
  auto all = ListBackups(v->store.get());
  if (!all.ok()) return Fail(a, all.status());
  printf("%-30s  %-19s  %12s  %10s  %-6s  %s\n", "NAME", "TIME (UTC)", "SIZE", "ENTRIES", "FORMAT",
         "VERSION");
  for (const auto& b : *all) {
    const auto& m = b.manifest;
    std::string format = m ? m->format : b.name.find(".json.") != std::string::npos ? "json" : "?";
    printf("%-30s  %-19s  %12llu  %10s  %-6s  %s\n", b.name.c_str(),
           FormatTime(b.time, "%Y-%m-%d %H:%M:%S", true).c_str(),
           static_cast<unsigned long long>(b.size), m ? std::to_string(m->entries).c_str() : "-",
           format.c_str(), m ? std::to_string(m->version).c_str() : "-");
  }
  return 0;
}

// Loads a backup into target and checks the result; prints what it found.
// guard: a real restore (not a verify's scratch copy), guarded against the
// bucket's newer objects unless --no-bucket-guard.
int RestoreInto(const Args& a, const Opened& v, const std::string& name, Meta* target, bool guard) {
  ObjectStore* store = v.store.get();
  CountProgress progress("restored entries");
  LoadOptions lo;
  lo.progress = [&](uint64_t n) { progress.Update(n); };
  std::optional<RestoreMark> mark;
  if (guard && !a.Has("no-bucket-guard")) {
    lo.before_setting = [&]() -> Status {
      RestoreMark m;
      m.source = "backup meta/" + name;
      m.target = target->Describe();
      m.point_time = BackupNameTime(name).value_or(0);
      JFS_ASSIGN_OR_RETURN(mark, GuardRestoredBucket(target, store, v.format.hash_prefix, m, 10));
      return Status::OK();
    };
  }
  auto start = std::chrono::steady_clock::now();
  auto stats = RestoreBackup(store, name, target, lo);
  progress.Clear();
  if (!stats.ok()) {
    Status st = stats.status();
    if (!st.Is(Code::kExists)) {
      st = st.Annotate("restore of " + name +
                       " failed; the target is left without a volume setting");
    }
    return Fail(a, st);
  }
  auto snap = target->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  auto report = CheckVolume(snap->get());
  if (!report.ok()) return Fail(a, report.status());
  for (const auto& p : report->problems) std::cerr << p << "\n";
  if (!report->ok()) {
    return Fail(a, Status::Corruption("check found " + std::to_string(report->problem_count) +
                                      " problems in the restored volume"));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string usage;  // a binary load copies keys as they are: nothing recomputed to report
  if (name.find(".bin.") == std::string::npos) {
    usage = ", " + std::to_string(stats->used_inodes) + " inodes, " +
            std::to_string(stats->used_space) + " bytes used";
  }
  fprintf(stderr, "restored meta/%s: %llu entries (%llu keys)%s, check OK, %.2f s\n", name.c_str(),
          static_cast<unsigned long long>(stats->entries),
          static_cast<unsigned long long>(stats->pairs), usage.c_str(), secs);
  if (mark) PrintRestoreGuard(*mark);
  return 0;
}

// With --blocks: every block the restored copy's files use, looked for in
// the volume's store (a backup outlives objects gc or a restore removed).
int VerifyBlocks(const Args& a, ObjectStore* store, std::unique_ptr<Meta> scratch) {
  auto vol = Volume::Open(std::move(scratch),
                          WithPrefix(std::shared_ptr<ObjectStore>(store, [](ObjectStore*) {}), ""));
  if (!vol.ok()) return Fail(a, vol.status());
  CountProgress progress("blocks checked");
  FsckOptions fo;
  fo.progress = [&](uint64_t n) { progress.Update(n); };
  auto r = Fsck(vol->get(), fo);
  progress.Clear();
  if (!r.ok()) return Fail(a, r.status().Annotate("checking the backup's blocks"));
  for (const auto& b : r->broken) {
    printf("not restorable: %s (inode %llu, %llu blocks missing or damaged)\n", b.path.c_str(),
           static_cast<unsigned long long>(b.ino), static_cast<unsigned long long>(b.lost_blocks));
  }
  if (r->lost_blocks > 0 || r->wrong_size > 0) {
    return Fail(a, Status::Corruption(std::to_string(r->broken.size()) +
                                      " files of the backup are no longer "
                                      "restorable: " +
                                      std::to_string(r->lost_blocks) + " of their " +
                                      std::to_string(r->blocks) + " blocks are missing, " +
                                      std::to_string(r->wrong_size) + " have the wrong size"));
  }
  fprintf(stderr, "all %llu blocks of %llu files are in %s\n",
          static_cast<unsigned long long>(r->blocks), static_cast<unsigned long long>(r->files),
          store->Describe().c_str());
  return 0;
}

int RunVerify(const Args& a) {
  auto v = Open(a.pos[0]);
  if (!v.ok()) return Fail(a, v.status());
  auto name = ResolveBackup(v->store.get(), a.pos[1]);
  if (!name.ok()) return Fail(a, name.status());
  // Restored into a scratch RocksDB and checked: the strongest "it restores".
  std::string base = a.Get("scratch", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  std::string dir = base + "/jfsbr-verify-" + std::to_string(getpid());
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  auto scratch = OpenMeta("rocksdb://" + dir, /*create=*/true);
  if (!scratch.ok()) return Fail(a, scratch.status());
  int rc = RestoreInto(a, *v, *name, scratch->get(), /*guard=*/false);
  if (rc == 0 && a.Has("blocks")) rc = VerifyBlocks(a, v->store.get(), std::move(*scratch));
  scratch->reset();
  if (rc == 0) printf("backup %s OK\n", name->c_str());
  return rc;
}

int RunRestore(const Args& a) {
  if (!a.Has("to")) return Fail(a, Status::InvalidArgument("--to NEW-META-URL is required"));
  auto v = Open(a.pos[0]);
  if (!v.ok()) return Fail(a, v.status());
  auto name = ResolveBackup(v->store.get(), a.Get("from", "latest"));
  if (!name.ok()) return Fail(a, name.status());
  auto target = OpenMeta(a.Get("to"), /*create=*/true);
  if (!target.ok()) return Fail(a, target.status());
  return RestoreInto(a, *v, *name, target->get(), /*guard=*/true);
}

// The flags of a backup, shared by `backup` and `backup daemon`.
#define JFSBR_BACKUP_FLAGS                                                            \
  {"binary", 0, "", "JuiceFS's binary format, zstd (meta/dump-...bin.zst)"},          \
      {"keep-secret-key", 0, "", "keep the object store's secret key in the backup"}, \
      {"skip-trash", 0, "", "leave the trash out"}, {                                 \
    "threads", 'p', "N", "threads reading entries", "2"                               \
  }

const Command kBackupDaemonCommand = {
    "daemon",
    "META-URL",
    "Back up every --interval, as exactly one runner among any number of daemons (a lease)",
    {JFSBR_BACKUP_FLAGS,
     {"interval", 0, "DURATION", "time between backups (1s to 3650d)", "1h"},
     {"lease-ttl", 0, "DURATION", "a dead runner's lease frees after this", "30s"},
     {"metrics", 0, "IP:PORT", "serve Prometheus metrics there"}},
    1,
    1,
    RunDaemon};
const Command kBackupListCommand = {
    "list", "META-URL", "List the volume's backups (jfsbr's and juicefs --backup-meta's)", {}, 1,
    1,      RunList};
const Command kBackupVerifyCommand = {
    "verify",
    "META-URL NAME|latest",
    "Restore a backup into a scratch engine and check it",
    {{"scratch", 0, "DIR", "where the scratch engine goes", "$TMPDIR or /tmp"},
     {"blocks", 0, "",
      "also check that every block its files use is still in the store, naming the files "
      "that are no longer restorable"}},
    2,
    2,
    RunVerify};

}  // namespace

const Command kBackupCommand = {
    "backup",
    "META-URL",
    "Back the volume's metadata up into its object store (meta/dump-...json.gz), as juicefs "
    "--backup-meta does",
    {JFSBR_BACKUP_FLAGS},
    1,
    1,
    RunOnce,
    {&kBackupDaemonCommand, &kBackupListCommand, &kBackupVerifyCommand}};
const Command kRestoreCommand = {
    "restore",
    "META-URL",
    "Load a backup from the volume's object store into a new, empty engine, then check it",
    {{"from", 0, "NAME", "the backup (meta/ name) or latest", "latest"},
     {"to", 0, "META-URL", "the empty engine to restore into"},
     kNoBucketGuardFlag},
    1,
    1,
    RunRestore,
    {&kRestorePointCommand}};

}  // namespace jfsbr::cli
