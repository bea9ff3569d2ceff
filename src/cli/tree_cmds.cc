// import and export: whole trees between a local directory and a volume,
// and export from the past (a metadata backup, or a point-in-time restore).
#include "cli/command.h"
#include "cli/progress.h"
#include "fs/tree.h"
#include "view/source.h"

namespace jfsbr::cli {
namespace {

// The volume as it was, from a metadata backup or a point-in-time restore:
// its metadata indexed into a scratch copy (view/source.h), its blocks read
// from the live volume's store. Blocks never change once written, so a past
// file reads back whole as long as gc has not removed its objects.
Result<std::unique_ptr<SourceView>> OpenPast(const Args& a) {
  JFS_ASSIGN_OR_RETURN(SourceSpec spec,
                       ParseSource(a.Has("at") ? "at:" + a.Get("at")
                                               : a.pos[0] + "#backup=" + a.Get("from-backup")));
  SourceOptions o;
  o.scratch_dir = a.Get("scratch");
  o.full_backup_storage = a.Get("full-backup-storage");
  o.log_storage = a.Get("storage");
  o.volume_url = a.pos[0];
  JFS_ASSIGN_OR_RETURN(auto view, OpenSource(spec, o));
  fprintf(stderr, "export: %s\n", view->description().c_str());
  return view;
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
  std::unique_ptr<SourceView> past;
  std::unique_ptr<Volume> live;
  if (a.Has("from-backup") || a.Has("at")) {
    if (a.Has("from-backup") && a.Has("at")) {
      return Fail(a, Status::InvalidArgument("give --from-backup or --at, not both"));
    }
    auto opened = OpenPast(a);
    if (!opened.ok()) return Fail(a, opened.status());
    past = std::move(*opened);
  } else {
    auto vol = OpenVolume(a.pos[0]);
    if (!vol.ok()) return Fail(a, vol.status());
    live = std::move(*vol);
  }
  Volume* vol = past ? past->volume() : live.get();
  TreeProgressLine line("exported");
  ExportOptions o;
  o.path = a.Get("path", "/");
  auto threads = a.GetThreads(4);
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  o.progress = [&](const TreeProgress& p) { line.Update(p); };
  auto r = ExportTree(vol, a.pos[1], o);
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
