// import and export: whole trees between a local directory and a volume,
// and export from the past (a metadata backup, or a point-in-time restore).
#include <stdlib.h>

#include <filesystem>

#include "backup/backup.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "fs/tree.h"
#include "pitr/restore_point.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"

namespace jfsbr::cli {
namespace {

// A scratch directory removed when it goes out of scope.
struct Scratch {
  std::string dir;
  ~Scratch() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

// The volume as it was: its metadata restored into a scratch RocksDB (from a
// metadata backup, or full backup + log to a point), its blocks read from
// the live volume's store. Blocks never change once written, so a past file
// reads back whole as long as gc has not removed its objects.
Result<std::unique_ptr<Volume>> OpenPast(const Args& a, Volume* live, Scratch* scratch) {
  std::string base = a.Get("scratch", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  std::string tmpl = base + "/jfsbr-past-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("mkdtemp", tmpl);
  scratch->dir = tmpl;
  // RocksDB as scratch space: point restores replay engine keys into it.
  JFS_ASSIGN_OR_RETURN(auto kv, OpenEngine("rocksdb://" + tmpl + "/meta", /*create=*/true));
  KvEngine* raw = kv.get();
  auto engine = NewTkvMeta(std::move(kv));
  if (a.Has("from-backup")) {
    JFS_ASSIGN_OR_RETURN(std::string name, ResolveBackup(live->store(), a.Get("from-backup")));
    JFS_ASSIGN_OR_RETURN(auto stats, RestoreBackup(live->store(), name, engine.get(), {}));
    fprintf(stderr, "export: the volume as backup %s holds it (%llu entries)\n", name.c_str(),
            static_cast<unsigned long long>(stats.entries));
  } else {
    JFS_ASSIGN_OR_RETURN(auto full, OpenStorageFlag(a, "full-backup-storage"));
    JFS_ASSIGN_OR_RETURN(auto logs, OpenStorageFlag(a, "storage"));
    PointRestoreOptions o;
    JFS_ASSIGN_OR_RETURN(Moment at, ParseMoment(a.Get("at")));
    o.revision = at.revision;
    o.time_ms = at.time_ms;
    JFS_ASSIGN_OR_RETURN(auto plan, PlanPointRestore(full.get(), logs.get(), o));
    JFS_ASSIGN_OR_RETURN(auto r, RestoreToPoint(plan, full.get(), logs.get(), raw, o));
    fprintf(stderr, "export: the volume as it was at revision %llu\n",
            static_cast<unsigned long long>(r.target_revision));
  }
  JFS_ASSIGN_OR_RETURN(auto store, OpenVolumeStore(live->format()));
  return Volume::Open(std::move(engine), std::move(store));
}

int RunImport(const Args& a) {
  auto vol = OpenVolume(a.pos[1]);
  if (!vol.ok()) return Fail(a, vol.status());
  TreeProgressLine line("imported");
  ImportOptions o;
  o.dest = a.Get("dest", "/");
  auto threads = a.GetThreads(4);
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  o.progress = [&](const TreeProgress& p) { line.Update(p); };
  auto r = ImportTree(vol->get(), a.pos[0], o);
  if (!r.ok()) return Fail(a, r.status());
  line.Done(*r);
  return 0;
}

int RunExport(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  Scratch scratch;
  if (a.Has("from-backup") || a.Has("at")) {
    if (a.Has("from-backup") && a.Has("at")) {
      return Fail(a, Status::InvalidArgument("give --from-backup or --at, not both"));
    }
    auto past = OpenPast(a, vol->get(), &scratch);
    if (!past.ok()) return Fail(a, past.status());
    *vol = std::move(*past);
  }
  TreeProgressLine line("exported");
  ExportOptions o;
  o.path = a.Get("path", "/");
  auto threads = a.GetThreads(4);
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  o.progress = [&](const TreeProgress& p) { line.Update(p); };
  auto r = ExportTree(vol->get(), a.pos[1], o);
  if (!r.ok()) return Fail(a, r.status());
  line.Done(*r);
  return 0;
}

}  // namespace

const Command kImportCommand = {
    "import",
    "LOCAL_DIR META-URL",
    "Copy a local tree into the volume (files, dirs, symlinks, hard links, xattrs, modes, "
    "owners, times); a rerun finishes an interrupted import",
    {{"dest", 0, "PATH", "existing directory of the volume to import into", "/"},
     {"threads", 'p', "N", "files uploaded at once", "4"}},
    2,
    2,
    RunImport};
const Command kExportCommand = {
    "export",
    "META-URL LOCAL_DIR",
    "Copy a directory or file of the volume to a local directory, reading its blocks; from "
    "the past with --from-backup (a metadata backup) or --at (point-in-time restore)",
    {{"path", 0, "PATH", "directory (its contents) or file of the volume to export", "/"},
     {"threads", 'p', "N", "files written at once", "4"},
     {"from-backup", 0, "NAME", "export as this backup in meta/ holds the volume (or latest)"},
     {"at", 0, "TIME|REV", "export as the volume was then (needs the two storages below)"},
     {"full-backup-storage", 0, "URL", "--at: where br backup wrote full backups"},
     {"storage", 's', "URL", "--at: the log backup's storage"},
     {"scratch", 0, "DIR", "where the past metadata is restored (removed after)", "$TMPDIR"}},
    2,
    2,
    RunExport};

}  // namespace jfsbr::cli
