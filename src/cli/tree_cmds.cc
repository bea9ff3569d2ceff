// import and export: whole trees between a local directory and a volume.
#include "cli/command.h"
#include "cli/progress.h"
#include "fs/tree.h"

namespace jfsbr::cli {
namespace {

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
    "Copy a directory of the volume to a local directory, reading its blocks",
    {{"path", 0, "PATH", "directory of the volume to export", "/"},
     {"threads", 'p', "N", "files written at once", "4"}},
    2,
    2,
    RunExport};

}  // namespace jfsbr::cli
