// gc: leaked objects of a volume (gc META-URL [--delete]) and etcd history
// compaction (gc compact META-URL --keep DURATION).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/command.h"
#include "gc/gc.h"
#include "pitr/history.h"
#include "tkv/registry.h"
#include "util/clock.h"

namespace jfsbr::cli {
namespace {

std::string Counts(const GcProgress& p, double secs) {
  char buf[512];
  auto n = [&](ObjectClass c) {
    return static_cast<unsigned long long>(p.objects[static_cast<int>(c)].load());
  };
  snprintf(buf, sizeof(buf),
           "listed %llu objects (%.0f/s): %llu valid, %llu pending delete, %llu compacted, "
           "%llu kept for backups, %llu leaked, %llu skipped, %llu foreign; %llu deleted",
           static_cast<unsigned long long>(p.listed.load()),
           p.listed.load() / (secs > 0.001 ? secs : 0.001), n(ObjectClass::kValid),
           n(ObjectClass::kPendingDelete), n(ObjectClass::kCompacted), n(ObjectClass::kBackup),
           n(ObjectClass::kLeaked), n(ObjectClass::kSkipped), n(ObjectClass::kForeign),
           static_cast<unsigned long long>(p.deleted.load()));
  return buf;
}

// Redraws the counters every 250 ms on a terminal until stopped.
class LiveLine {
 public:
  explicit LiveLine(const GcProgress& p) : p_(p), tty_(isatty(STDERR_FILENO) != 0) {
    if (tty_) thread_ = std::thread([this] { Loop(); });
  }
  ~LiveLine() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    fprintf(stderr, "\r\033[K");
  }

 private:
  void Loop() {
    auto start = std::chrono::steady_clock::now();
    std::unique_lock l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(250), [&] { return stop_; })) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fprintf(stderr, "\r\033[K%s", Counts(p_, secs).c_str());
      fflush(stderr);
    }
  }
  const GcProgress& p_;
  bool tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

void Say(const std::string& s) { fprintf(stderr, "gc: %s\n", s.c_str()); }

std::string Cleaned(const char* what, const Volume::Cleaned& c) {
  std::string s = std::string(what) + ": " + std::to_string(c.records) + ", " +
                  std::to_string(c.slices) + " slices deleted (" + FormatBytes(c.bytes) + ")";
  if (c.kept) s += ", " + std::to_string(c.kept) + " slices' objects kept for backups";
  return s;
}

int RunObjectGc(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  GcOptions o;
  o.remove = a.Has("delete");
  o.compact = a.Has("compact");
  if (a.Has("keep-backup-slices") && a.Has("no-keep-backup-slices")) {
    return Fail(a, Status::InvalidArgument("give --keep-backup-slices or --no-keep-backup-slices"));
  }
  o.keep_backup_slices = !a.Has("no-keep-backup-slices");
  o.delete_after_restore = a.Has("delete-after-restore");
  if (o.delete_after_restore && !o.remove) {
    return Fail(a, Status::InvalidArgument("--delete-after-restore goes with --delete"));
  }
  auto threads = a.GetThreads(10);
  std::string skip_text = a.Get("skip-newer", "1h");
  Result<std::chrono::milliseconds> skip = std::chrono::milliseconds(0);
  if (skip_text != "0" && skip_text != "0s") skip = a.GetDuration("skip-newer", "1h");
  if (!threads.ok()) return Fail(a, threads.status());
  if (!skip.ok()) return Fail(a, skip.status());
  o.threads = *threads;
  o.skip_newer_sec = std::chrono::duration_cast<std::chrono::seconds>(*skip).count();
  o.log = Say;
  GcProgress progress;
  auto start = std::chrono::steady_clock::now();
  LiveLine live(progress);
  auto r = RunGc(vol->get(), o, &progress);
  live.Stop();
  if (!r.ok()) return Fail(a, r.status());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.compact) {
    Say("compacted " + std::to_string(r->chunks_compacted) +
        " chunks: " + std::to_string(r->records_compacted) + " slice records into one each (" +
        FormatBytes(r->compacted_bytes) + " written)");
  }
  if (o.remove) {
    if (r->trash_kept_why.empty()) {
      Say(Cleaned("expired trash dirs", r->trash_purged));
    } else {
      Say("expired trash kept: " + r->trash_kept_why);
    }
    if (r->cleanups_kept_why.empty()) {
      Say(Cleaned("pending deleted files", r->files_cleaned));
      Say(Cleaned("pending deleted slices", r->pending_cleaned));
      Say(Cleaned("expired delayed slices", r->delayed_purged));
    } else {
      Say("pending deletes kept: " + r->cleanups_kept_why);
    }
  }
  for (const auto& k : r->foreign_examples) Say("foreign (not a block of this volume): " + k);
  for (const auto& k : r->leaked_examples) Say("leaked: " + k);
  auto cls = [&](ObjectClass c) {
    int i = static_cast<int>(c);
    return std::to_string(r->objects[i]) + " " + ObjectClassName(c) + " (" +
           FormatBytes(r->bytes[i]) + ")";
  };
  fprintf(stderr, "gc: scanned %llu objects in %.1f s: %s, %s, %s, %s, %s, %s, %s\n",
          static_cast<unsigned long long>(r->listed), secs, cls(ObjectClass::kValid).c_str(),
          cls(ObjectClass::kPendingDelete).c_str(), cls(ObjectClass::kCompacted).c_str(),
          cls(ObjectClass::kBackup).c_str(), cls(ObjectClass::kLeaked).c_str(),
          cls(ObjectClass::kSkipped).c_str(), cls(ObjectClass::kForeign).c_str());
  fprintf(stderr,
          "gc: metadata: %llu slices in use (%s, %llu objects expected), %llu pending delete, "
          "%llu delayed (trash), %llu pending deleted files, %llu slices only in %llu backups\n",
          static_cast<unsigned long long>(r->used_slices), FormatBytes(r->used_bytes).c_str(),
          static_cast<unsigned long long>(r->expected_objects),
          static_cast<unsigned long long>(r->pending_slices),
          static_cast<unsigned long long>(r->trash_slices),
          static_cast<unsigned long long>(r->delfiles),
          static_cast<unsigned long long>(r->backup_slices),
          static_cast<unsigned long long>(r->backups));
  uint64_t leaked = r->objects[static_cast<int>(ObjectClass::kLeaked)];
  if (r->after_restore > 0) {
    const RestoreMark& m = r->restores.back();
    Say(std::to_string(r->after_restore) + " of the leaked objects (" +
        FormatBytes(r->after_restore_bytes) +
        ") were written after a state this volume was restored to (the last restore: " + m.source +
        ", " + FormatTime(m.restored_at, "%Y-%m-%d %H:%M:%S UTC", true) + "): " +
        (o.delete_after_restore ? "deleted too (--delete-after-restore)"
                                : "kept, a newer backup may still need them "
                                  "(--delete-after-restore deletes them)"));
  }
  if (o.remove && r->raised_next_chunk) {
    Say(std::to_string(r->unallocated) + " leaked objects have slice ids never handed out " +
        "(at or past nextChunk " + std::to_string(r->next_chunk) + "): nextChunk raised to " +
        std::to_string(r->raised_next_chunk) + " first, so no client can be given them");
  }
  if (o.remove && r->unallocated_kept) {
    Say(std::to_string(r->unallocated) + " leaked objects with slice ids at or past nextChunk " +
        std::to_string(r->next_chunk) + " were kept: ids were handed out during gc (run it again)");
  }
  if (o.remove) {
    Say("deleted " + std::to_string(r->leaked_deleted) + " leaked objects (" +
        FormatBytes(r->leaked_deleted_bytes) + ")");
  } else if (leaked > 0) {
    Say("add --delete to delete the leaked objects");
  }
  return 0;
}

int RunCompact(const Args& a) {
  if (!a.Has("keep")) return Fail(a, Status::InvalidArgument("--keep DURATION is required"));
  auto keep = a.GetDuration("keep", "");
  if (!keep.ok()) return Fail(a, keep.status());
  auto root = OpenEngineUnprefixed(a.pos[0]);
  if (!root.ok()) return Fail(a, root.status());
  auto r = CompactHistory(root->get(), *keep);
  if (!r.ok()) return Fail(a, r.status());
  std::string hold = r->task_hold ? "; log backup tasks hold revision " +
                                        std::to_string(r->task_hold) + " and after"
                                  : "";
  if (r->compacted_to) {
    fprintf(stderr, "compacted etcd history to revision %llu (was %llu; current %llu)%s\n",
            static_cast<unsigned long long>(r->compacted_to),
            static_cast<unsigned long long>(r->before), static_cast<unsigned long long>(r->current),
            hold.c_str());
  } else {
    fprintf(stderr,
            "nothing to compact: history starts at revision %llu; the newest revision known to "
            "be older than --keep is %llu (each run records one; run it periodically)%s\n",
            static_cast<unsigned long long>(r->before), static_cast<unsigned long long>(r->by_keep),
            hold.c_str());
  }
  printf("%llu\n", static_cast<unsigned long long>(r->compacted_to));
  return 0;
}

}  // namespace

const Command kGcCompactCommand = {
    "compact",
    "META-URL",
    "Compact etcd's history, never past what a log backup task has not captured",
    {{"keep", 0, "DURATION", "history to keep (1h, 1d)"}},
    1,
    1,
    RunCompact};
const Command kGcCommand = {
    "gc",
    "META-URL",
    "Find the volume's leaked objects (--delete removes them after finishing pending deletions; "
    "nothing is deleted unless the whole listing succeeded)",
    {{"delete", 0, "", "delete leaked objects, expired trash and pending deletions"},
     {"compact", 0, "", "merge the slices of every chunk that has several into one"},
     {"threads", 'p', "N", "listings and deletions at once", "10"},
     {"skip-newer", 0, "DURATION", "skip objects younger than this (being written)", "1h"},
     {"keep-backup-slices", 0, "",
      "keep the objects of slices that retained metadata backups use (the default)"},
     {"no-keep-backup-slices", 0, "",
      "let gc delete objects that only retained metadata backups use"},
     {"delete-after-restore", 0, "",
      "with --delete, also delete leaked objects written after a state the volume was restored "
      "to (kept by default)"}},
    1,
    1,
    RunObjectGc,
    {&kGcCompactCommand}};

}  // namespace jfsbr::cli
