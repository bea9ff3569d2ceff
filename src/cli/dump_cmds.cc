// dump and load: JuiceFS's metadata dump formats.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/progress.h"
#include "dump/json_dump.h"
#include "dump/json_load.h"
#include "kv/registry.h"
#include "util/compress.h"

namespace jfsbr::cli {
namespace {

// One thread a core: the embedded engine is CPU-bound, and more threads only
// add switching (measured: 3.9 s with 2 threads, 6.2 s with 10, on 2 cores).
int DefaultThreads() { return static_cast<int>(std::max(2u, std::thread::hardware_concurrency())); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintDumpSummary(const Args& a, const DumpStats& s, double secs) {
  char line[256];
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (a.Has("json")) {
    snprintf(line, sizeof(line),
             "{\"version\": %llu, \"entries\": %llu, \"bytes\": %llu, \"seconds\": %.3f}\n",
             u(s.version), u(s.entries), u(s.bytes), secs);
  } else {
    snprintf(line, sizeof(line),
             "dumped %llu entries (%llu bytes of JSON) in %.2fs at version %llu\n", u(s.entries),
             u(s.bytes), secs, u(s.version));
  }
  std::cerr << line;
}

int RunDump(const Args& a) {
  auto engine = OpenEngine(a.pos[0]);
  if (!engine.ok()) return Fail(a, engine.status());
  auto snap = (*engine)->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  DumpOptions o;
  o.subdir = a.Get("subdir");
  o.keep_secret = a.Has("keep-secret-key");
  o.skip_trash = a.Has("skip-trash");
  auto threads = a.GetThreads(DefaultThreads());
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  std::string path = a.pos.size() > 1 ? a.pos[1] : "";
  auto file = OpenFileSink(path);
  if (!file.ok()) return Fail(a, file.status());
  auto sink = CompressingSink(std::move(*file), CompressionForName(path));
  CountProgress progress("dumped entries");
  o.progress = [&](uint64_t n) { progress.Update(n); };
  auto start = std::chrono::steady_clock::now();
  auto stats = DumpJson(snap->get(), sink.get(), o);
  progress.Clear();
  if (!stats.ok()) return Fail(a, stats.status());
  if (Status st = sink->Close(); !st.ok()) return Fail(a, st);
  PrintDumpSummary(a, *stats, SecondsSince(start));
  return 0;
}

int RunLoad(const Args& a) {
  auto engine = OpenEngine(a.pos[0], /*create=*/true);
  if (!engine.ok()) return Fail(a, engine.status());
  std::string path = a.pos.size() > 1 ? a.pos[1] : "";
  auto file = OpenFileSource(path);
  if (!file.ok()) return Fail(a, file.status());
  auto source = DecompressingSource(std::move(*file), CompressionForName(path));
  if (a.Has("force")) {
    if (Status st = ClearEngine(engine->get()); !st.ok()) return Fail(a, st);
  }
  LoadOptions o;
  auto threads = a.GetThreads(DefaultThreads());
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  CountProgress progress("loaded entries");
  o.progress = [&](uint64_t n) { progress.Update(n); };
  auto start = std::chrono::steady_clock::now();
  auto stats = LoadJson(source.get(), engine->get(), o);
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
  snprintf(line, sizeof(line),
           "loaded %llu entries (%llu keys) in %.2fs: %lld inodes, %lld bytes used\n",
           static_cast<unsigned long long>(stats->entries),
           static_cast<unsigned long long>(stats->pairs), SecondsSince(start),
           static_cast<long long>(stats->used_inodes), static_cast<long long>(stats->used_space));
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
     {"skip-trash", 0, "", "leave out the trash"},
     {"threads", 'p', "N", "threads reading entries", "the number of cores"},
     {"json", 0, "", "print the summary (with the snapshot version) as JSON on stderr"}},
    1,
    2,
    RunDump};
const Command kLoadCommand = {
    "load",
    "META-URL [FILE]",
    "Load a JuiceFS JSON dump into an empty engine (stdin without FILE; .gz/.zstd by name)",
    {{"force", 0, "", "clear the target first (every key in it is deleted)"},
     {"threads", 'p', "N", "batches written at once", "the number of cores"}},
    1,
    2,
    RunLoad};

}  // namespace jfsbr::cli
