// fsck: lost or damaged block objects with the broken files' paths, the
// metadata invariants, and --repair of what the metadata can settle.
#include <cstdio>

#include "cli/command.h"
#include "cli/progress.h"
#include "fs/fsck.h"

namespace jfsbr::cli {
namespace {

int RunFsck(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  FsckOptions o;
  o.path = a.Get("path");
  o.recursive = a.Has("recursive");
  o.repair = a.Has("repair");
  auto threads = a.GetThreads(10);
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  CountProgress progress("blocks checked");
  o.progress = [&](uint64_t n) { progress.Update(n); };
  auto r = Fsck(vol->get(), o);
  progress.Clear();
  if (!r.ok()) return Fail(a, r.status());
  for (const auto& p : r->check.problems) fprintf(stderr, "fsck: %s\n", p.c_str());
  if (r->check.problem_count > r->check.problems.size()) {
    fprintf(stderr, "fsck: ... and %llu more metadata problems\n",
            static_cast<unsigned long long>(r->check.problem_count - r->check.problems.size()));
  }
  for (const auto& w : r->check.warnings) fprintf(stderr, "fsck: warning: %s\n", w.c_str());
  for (const auto& d : r->damaged_examples) fprintf(stderr, "fsck: object %s\n", d.c_str());
  if (!r->broken.empty()) {
    fprintf(stderr,
            "fsck: %llu objects are lost (%s), %llu have the wrong size; %zu broken files:\n",
            static_cast<unsigned long long>(r->lost_blocks), FormatBytes(r->lost_bytes).c_str(),
            static_cast<unsigned long long>(r->wrong_size), r->broken.size());
    for (const auto& b : r->broken) {
      printf("%llu\t%s\t%llu damaged blocks\n", static_cast<unsigned long long>(b.ino),
             b.path.c_str(), static_cast<unsigned long long>(b.lost_blocks));
    }
  }
  for (const auto& fix : r->repairs.applied) fprintf(stderr, "fsck: repaired %s\n", fix.c_str());
  for (const auto& fix : r->repairs.skipped) {
    fprintf(stderr, "fsck: not repaired (changed since the check; run again): %s\n", fix.c_str());
  }
  bool metadata_ok = r->check.ok();
  if (o.repair && !r->repairs.applied.empty()) {
    auto snap = (*vol)->meta()->Snapshot();
    if (!snap.ok()) return Fail(a, snap.status());
    auto after = CheckVolume(snap->get());
    if (!after.ok()) return Fail(a, after.status());
    metadata_ok = after->ok();
    for (const auto& p : after->problems) fprintf(stderr, "fsck: still: %s\n", p.c_str());
  }
  bool objects_ok = r->lost_blocks == 0 && r->wrong_size == 0;
  std::string hint =
      r->check.warning_count > 0 ? ", " + std::to_string(r->check.warning_count) + " warnings" : "";
  if (!o.repair && !r->check.repairs.empty()) {
    hint += " (--repair rewrites " + std::to_string(r->check.repairs.size()) + " records)";
  }
  fprintf(stderr,
          "fsck: %llu files, %llu blocks checked: %s; metadata (%llu inodes, %llu entries): %s%s\n",
          static_cast<unsigned long long>(r->files), static_cast<unsigned long long>(r->blocks),
          objects_ok ? "all present" : "DAMAGED", static_cast<unsigned long long>(r->check.inodes),
          static_cast<unsigned long long>(r->check.entries), metadata_ok ? "OK" : "PROBLEMS",
          hint.c_str());
  return objects_ok && metadata_ok ? 0 : 1;
}

}  // namespace

const Command kFsckCommand = {
    "fsck",
    "META-URL",
    "Check that every block object the files need exists with the right size (naming the broken "
    "files) and the metadata invariants; --repair rewrites nlink, usage records and counters",
    {{"path", 0, "PATH", "check this file or directory only (HEAD per block)"},
     {"recursive", 'r', "", "with --path: every file under the directory"},
     {"repair", 0, "", "fix what the metadata can settle (nlink, dir usage, counters, refs)"},
     {"threads", 'p', "N", "objects checked at once", "10"}},
    1,
    1,
    RunFsck};

}  // namespace jfsbr::cli
