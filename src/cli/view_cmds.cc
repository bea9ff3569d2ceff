// mount and diff: seeing the past without restoring it (view/).
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/command.h"
#include "cli/progress.h"
#include "view/diff.h"
#include "view/mount.h"
#include "view/source.h"

namespace jfsbr::cli {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The flags every SOURCE shares: the storages of at:, the volume whose store
// serves the blocks of a dump file or full backup, the scratch space.
Result<SourceOptions> SourceFlags(const Args& a) {
  SourceOptions o;
  o.scratch_dir = a.Get("scratch");
  o.full_backup_storage = a.Get("full-backup-storage");
  o.log_storage = a.Get("storage");
  o.volume_url = a.Get("meta");
  JFS_ASSIGN_OR_RETURN(o.threads, a.GetThreads(4));
  return o;
}

// SOURCE, with mount's spelled-out forms (--from-backup, --at-version, --at)
// turned into the SOURCE they stand for.
Result<SourceSpec> MountSource(const Args& a) {
  int forms = a.Has("from-backup") + a.Has("at-version") + a.Has("at");
  if (forms > 1) return Status::InvalidArgument("give one of --from-backup, --at-version, --at");
  std::string text = a.pos[0];
  if (a.Has("at")) {
    if (a.pos.size() > 1) {
      return Status::InvalidArgument("--at takes MOUNTPOINT only (the storages name the volume)");
    }
    text = "at:" + a.Get("at");
  } else if (a.Has("from-backup")) {
    text += "#backup=" + a.Get("from-backup");
  } else if (a.Has("at-version")) {
    text += "#version=" + a.Get("at-version");
  }
  return ParseSource(text);
}

int RunMount(const Args& a) {
  auto spec = MountSource(a);
  if (!spec.ok()) return Fail(a, spec.status());
  auto o = SourceFlags(a);
  if (!o.ok()) return Fail(a, o.status());
  auto cache = a.GetUint("cache-size", 256, 0, 1 << 20);
  if (!cache.ok()) return Fail(a, cache.status());
  o->cache_bytes = *cache << 20;
  CountProgress progress("indexed records");
  o->progress = [&](uint64_t n) { progress.Update(n); };
  auto start = std::chrono::steady_clock::now();
  auto view = OpenSource(*spec, *o);
  progress.Clear();
  if (!view.ok()) return Fail(a, view.status().Annotate(SourceText(*spec)));
  const std::string& mountpoint = a.pos.back();
  MountOptions mo;
  mo.ready = [&] {
    fprintf(stderr,
            "mounted %s read-only at %s (ready in %.2f s); unmount with 'fusermount3 -u %s' or "
            "Ctrl-C\n",
            (*view)->description().c_str(), mountpoint.c_str(), SecondsSince(start),
            mountpoint.c_str());
  };
  Status st = ServeMount(view->get(), mountpoint, mo);
  if (!st.ok()) return Fail(a, st);
  std::string reads;
  if (BlockCache* c = (*view)->cache()) {
    BlockCacheStats s = c->stats();
    char line[160];
    snprintf(line, sizeof(line), ": %llu block reads from the store (%.1f MiB), %llu cache hits",
             static_cast<unsigned long long>(s.misses), s.bytes_fetched / 1048576.0,
             static_cast<unsigned long long>(s.hits));
    reads = line;
  }
  fprintf(stderr, "unmounted %s after %.0f s%s\n", mountpoint.c_str(), SecondsSince(start),
          reads.c_str());
  return 0;
}

// A path as diff takes it: absolute, no trailing slash.
Result<std::string> DiffPath(const Args& a) {
  std::string p = a.Get("path", "/");
  if (p.empty() || p[0] != '/') return Status::InvalidArgument("--path must start with '/'");
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

int RunDiff(const Args& a) {
  auto o = SourceFlags(a);
  if (!o.ok()) return Fail(a, o.status());
  auto dir = DiffPath(a);
  if (!dir.ok()) return Fail(a, dir.status());
  auto start = std::chrono::steady_clock::now();
  JsonStream streams[2];
  for (int i = 0; i < 2; i++) {
    auto spec = ParseSource(a.pos[i]);
    if (!spec.ok()) return Fail(a, spec.status());
    auto js = OpenSourceJson(*spec, *o, *dir);
    if (!js.ok()) return Fail(a, js.status().Annotate(a.pos[i]));
    streams[i] = std::move(*js);
  }
  TreeReader ra(streams[0].in.get(), streams[0].root, *dir, "A (" + a.pos[0] + ")");
  TreeReader rb(streams[1].in.get(), streams[1].root, *dir, "B (" + a.pos[1] + ")");
  DiffOptions d;
  d.scratch_dir = ScratchDir(*o);
  CountProgress progress("compared entries");
  // On a terminal the differences themselves show progress; piped, a live count does.
  if (!isatty(STDOUT_FILENO)) d.progress = [&](uint64_t n) { progress.Update(n); };
  bool json = a.Has("json");
  auto stats = DiffTrees(&ra, &rb, d, [&](const DiffEntry& e) {
    std::string line = json ? DiffEntryJson(e) : DiffEntryText(e);
    line.push_back('\n');
    if (fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
      return Status::IOError("cannot write the output");
    }
    return Status::OK();
  });
  fflush(stdout);
  progress.Clear();
  if (!stats.ok()) return Fail(a, stats.status());
  fprintf(stderr,
          "%llu added, %llu removed, %llu changed, %llu renamed; A (%s): %llu entries, B (%s): "
          "%llu entries; %.2f s\n",
          static_cast<unsigned long long>(stats->added),
          static_cast<unsigned long long>(stats->removed),
          static_cast<unsigned long long>(stats->changed),
          static_cast<unsigned long long>(stats->renamed), streams[0].description.c_str(),
          static_cast<unsigned long long>(stats->a_entries), streams[1].description.c_str(),
          static_cast<unsigned long long>(stats->b_entries), SecondsSince(start));
  bool same = stats->added + stats->removed + stats->changed + stats->renamed == 0;
  return same ? 0 : (a.Has("exit-code") ? 2 : 0);
}

#define JFS_SOURCE_FLAGS                                                                      \
  {"full-backup-storage", 0, "URL", "at: SOURCEs: where br backup wrote full backups"},       \
      {"storage", 's', "URL", "at: SOURCEs: the log backup's storage"},                       \
      {"meta", 0, "META-URL", "read blocks from this volume's store (dump files, br:, at:)"}, \
      {"scratch", 0, "DIR", "where a SOURCE that is not live is indexed (removed after)",     \
       "$TMPDIR"},                                                                            \
  {                                                                                           \
    "threads", 'p', "N", "threads indexing a SOURCE", "4"                                     \
  }

}  // namespace

const Command kMountCommand = {
    "mount",
    "SOURCE MOUNTPOINT",
    "Mount a volume, a backup, a dump or a point in time read-only (FUSE) and browse it with "
    "ordinary tools; runs until unmounted. SOURCE: META-URL (live), META-URL#version=N, "
    "META-URL#backup=NAME|latest, a dump file, br:URL, at:TIME|REV",
    {{"from-backup", 0, "NAME", "SOURCE is a META-URL: mount its dump backup (or latest)"},
     {"at-version", 0, "N", "SOURCE is a META-URL: mount it as of engine version N (etcd)"},
     {"at", 0, "TIME|REV", "mount the point of a log backup (then only MOUNTPOINT is given)"},
     {"cache-size", 0, "MiB", "block cache in memory", "256"},
     JFS_SOURCE_FLAGS},
    1,
    2,
    RunMount};

const Command kDiffCommand = {
    "diff",
    "SOURCE-A SOURCE-B",
    "What changed from A to B: added, removed, changed (content by slices, size, mode, owner, "
    "times, xattrs, link target) and renamed paths, renames found by inode number. SOURCE: "
    "META-URL (live), META-URL#version=N, META-URL#backup=NAME|latest, a dump file, br:URL, "
    "at:TIME|REV",
    {{"path", 0, "PATH", "compare this directory only", "/"},
     {"json", 0, "", "one JSON object per line (docs/format/diff.md)"},
     {"exit-code", 0, "", "exit with 2 when the two differ (as diff(1) does with 1)"},
     JFS_SOURCE_FLAGS},
    2,
    2,
    RunDiff};

}  // namespace jfsbr::cli
