// dump and load: JuiceFS's metadata dump formats.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>
#include <utility>

#include "cli/command.h"
#include "cli/progress.h"
#include "dump/binary.h"
#include "dump/dump.h"
#include "meta/registry.h"
#include "util/compress.h"

namespace jfsbr::cli {
namespace {

// One thread a core: the embedded engine is CPU-bound, and more threads only
// add switching (measured: 3.9 s with 2 threads, 6.2 s with 10, on 2 cores).
int DefaultThreads() { return static_cast<int>(std::max(2u, std::thread::hardware_concurrency())); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintDumpSummary(const Args& a, const DumpStats& s, double secs, const std::string& slower) {
  char line[320];
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (a.Has("json")) {
    snprintf(line, sizeof(line),
             "{\"version\": %llu, \"entries\": %llu, \"bytes\": %llu, \"seconds\": %.3f, "
             "\"spilled_bytes\": %llu}\n",
             u(s.version), u(s.entries), u(s.bytes), secs, u(s.spilled_bytes));
  } else {
    char spilled[128] = "";
    if (s.spill_given_up) {
      snprintf(spilled, sizeof(spilled),
               " (too many directories for the temporary file's index: read entry by entry)");
    } else if (s.spilled_bytes) {
      snprintf(spilled, sizeof(spilled), ", %.1f MiB of temporary space",
               static_cast<double>(s.spilled_bytes) / (1 << 20));
    }
    snprintf(line, sizeof(line), "dumped %llu %s (%llu bytes) in %.2fs at version %llu%s\n",
             u(s.entries), a.Has("binary") ? "records" : "entries", u(s.bytes), secs, u(s.version),
             spilled);
  }
  std::cerr << line;
  if (!slower.empty() && !a.Has("json")) std::cerr << "read on one connection: " << slower << "\n";
}

int RunDump(const Args& a) {
  // Every option first: a refused one must not leave an empty output file.
  DumpOptions o;
  o.format = a.Has("binary") ? DumpFormat::kBinary : DumpFormat::kJson;
  o.subdir = a.Get("subdir");
  o.keep_secret = a.Has("keep-secret-key");
  o.skip_trash = a.Has("skip-trash");
  o.spill = !a.Has("no-spill");
  o.spill_dir = a.Get("spill-dir");
  if (o.format == DumpFormat::kBinary) {
    for (const char* json_only : {"threads", "no-spill", "spill-dir"}) {
      if (a.Has(json_only)) {
        return Fail(a, Status::InvalidArgument("--" + std::string(json_only) +
                                               " works with JSON dumps only (the binary dump "
                                               "reads the engine in one pass)"));
      }
    }
  }
  if (Status st = CheckDumpOptions(o); !st.ok()) return Fail(a, st);
  auto threads = a.GetThreads(DefaultThreads());
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  std::optional<uint64_t> at;
  if (a.Has("at-version")) {
    auto v = a.GetUint("at-version", 0, 1);
    if (!v.ok()) return Fail(a, v.status());
    at = *v;
  }
  auto engine = OpenMeta(a.pos[0]);
  if (!engine.ok()) return Fail(a, engine.status());
  auto snap = at ? (*engine)->SnapshotAt(*at) : SnapshotForDump(engine->get(), o);
  if (!snap.ok()) return Fail(a, snap.status());
  std::string path = a.pos.size() > 1 ? a.pos[1] : "";
  auto file = OpenFileSink(path);
  if (!file.ok()) return Fail(a, file.status());
  auto sink = CompressingSink(std::move(*file), CompressionForName(path));
  CountProgress scanned("records read"), progress("dumped entries");
  o.scan_progress = [&](uint64_t n) { scanned.Update(n); };
  bool scanning = true;
  o.progress = [&](uint64_t n) {
    if (std::exchange(scanning, false)) scanned.Clear();  // the walk has begun
    progress.Update(n);
  };
  auto start = std::chrono::steady_clock::now();
  auto stats = DumpVolume(snap->get(), sink.get(), o);
  scanned.Clear();
  progress.Clear();
  if (!stats.ok()) return Fail(a, stats.status());
  if (Status st = sink->Close(); !st.ok()) return Fail(a, st);
  PrintDumpSummary(a, *stats, SecondsSince(start), (*snap)->OneReaderBecause());
  return 0;
}

// `load --binary --stat FILE`: the footer's summary, as JuiceFS prints it.
int BinaryStat(const Args& a) {
  const std::string& path = a.pos.size() > 1 ? a.pos[1] : a.pos[0];
  auto footer = ReadBinaryFooter(path);
  if (!footer.ok()) return Fail(a, footer.status());
  bool offsets = a.Get("offset") == "-1";
  printf("Backup Version: %u\n", footer->version);
  std::string rule(offsets ? 34 : 23, '-');
  printf("%s\n", rule.c_str());
  if (offsets)
    printf("%-10s| %-10s| %-10s\n", "Name", "Num", "Offset");
  else
    printf("%-10s| %-10s\n", "Name", "Num");
  printf("%s\n", rule.c_str());
  for (const auto& [name, info] : footer->segments) {
    printf("%-10s| %-10llu|", name.c_str(), static_cast<unsigned long long>(info.records));
    if (offsets) {
      std::string list = "[";
      for (size_t i = 0; i < info.offsets.size(); i++) {
        list += (i ? " " : "") + std::to_string(info.offsets[i]);
      }
      printf(" %-10s", (list + "]").c_str());
    }
    printf("\n");
  }
  return 0;
}

int RunLoad(const Args& a) {
  if (a.Has("stat")) return BinaryStat(a);
  LoadOptions o;
  o.verify = !a.Has("no-verify");
  auto threads = a.GetThreads(DefaultThreads());
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  auto engine = OpenMeta(a.pos[0], /*create=*/true);
  if (!engine.ok()) return Fail(a, engine.status());
  std::string path = a.pos.size() > 1 ? a.pos[1] : "";
  auto file = OpenFileSource(path);
  if (!file.ok()) return Fail(a, file.status());
  auto source = DecompressingSource(std::move(*file), CompressionForName(path));
  if (a.Has("force")) {
    if (Status st = (*engine)->Clear(); !st.ok()) return Fail(a, st);
  }
  CountProgress progress("loaded entries");
  o.progress = [&](uint64_t n) { progress.Update(n); };
  auto start = std::chrono::steady_clock::now();
  auto format = a.Has("binary") ? DumpFormat::kBinary : DumpFormat::kJson;
  auto stats = LoadVolume(source.get(), engine->get(), format, o);
  progress.Clear();
  if (!stats.ok()) {
    Status st = stats.status();
    if (!st.Is(Code::kExists)) {
      st = st.Annotate(
          "load failed; the target is left without a volume setting (rerun with --force)");
    }
    return Fail(a, st);
  }
  char line[256];
  if (a.Has("binary")) {  // copied as they were: nothing recomputed to report
    snprintf(line, sizeof(line), "loaded %llu records (%llu keys) in %.2fs\n",
             static_cast<unsigned long long>(stats->entries),
             static_cast<unsigned long long>(stats->pairs), SecondsSince(start));
  } else {
    snprintf(line, sizeof(line),
             "loaded %llu entries (%llu keys) in %.2fs: %lld inodes, %lld bytes used\n",
             static_cast<unsigned long long>(stats->entries),
             static_cast<unsigned long long>(stats->pairs), SecondsSince(start),
             static_cast<long long>(stats->used_inodes), static_cast<long long>(stats->used_space));
  }
  std::cerr << line;
  return 0;
}

}  // namespace

const Command kDumpCommand = {
    "dump",
    "META-URL [FILE]",
    "Dump the volume's metadata as JuiceFS's JSON from one consistent snapshot (stdout without "
    "FILE; FILE.gz and FILE.zstd are compressed)",
    {{"subdir", 0, "PATH", "dump only this directory"},
     {"keep-secret-key", 0, "", "keep SecretKey and SessionToken (else \"removed\")"},
     {"skip-trash", 0, "", "leave out the trash (JSON)"},
     {"threads", 'p', "N", "threads reading entries (JSON; 1 to 256)", "the number of cores"},
     {"spill-dir", 0, "DIR",
      "where a full JSON dump keeps its temporary file (about half the dump's size)",
      "$TMPDIR or /tmp"},
     {"no-spill", 0, "", "read the tree entry by entry instead (no temporary file; slower)"},
     {"json", 0, "", "print the summary (with the snapshot version) as JSON on stderr"},
     {"at-version", 0, "N", "dump the volume as it was at this earlier version (etcd revision)"},
     {"binary", 0, "", "JuiceFS's binary format (V2) instead of JSON"}},
    1,
    2,
    RunDump};
const Command kLoadCommand = {
    "load",
    "META-URL [FILE]",
    "Load a JuiceFS JSON dump into an empty engine (stdin without FILE; .gz/.zstd by name)",
    {{"force", 0, "", "clear the target first (every key in it is deleted)"},
     {"binary", 0, "", "the input is JuiceFS's binary format (V2)"},
     {"no-verify", 0, "", "skip checking the loaded volume before it is marked as one"},
     {"stat", 0, "", "with --binary: show the segments of FILE (META-URL may be left out)"},
     {"offset", 0, "N", "with --stat: -1 lists the segments' offsets"},
     {"threads", 'p', "N", "batches written at once", "the number of cores"}},
    1,
    2,
    RunLoad};

}  // namespace jfsbr::cli
