// bench: build a synthetic volume for the dump/load benchmarks, and time a raw
// scan of every key (the engine's own read limit, for comparison).
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/progress.h"
#include "fs/bench_gen.h"
#include "meta/registry.h"

namespace jfsbr::cli {
namespace {

int Gen(const Args& a) {
  auto files = a.GetUint("files", 1100000, 1, 1000000000);
  if (!files.ok()) return Fail(a, files.status());
  auto slices = a.GetUint("slices", 1, 1, 8192);
  if (!slices.ok()) return Fail(a, slices.status());
  auto engine = OpenMeta(a.pos[0], /*create=*/true);
  if (!engine.ok()) return Fail(a, engine.status());
  auto start = std::chrono::steady_clock::now();
  FormatOptions o;
  o.storage = a.Get("storage", "file");
  o.bucket = a.Get("bucket");
  o.access_key = a.Get("access-key");
  o.secret_key = a.Get("secret-key");
  auto s = GenerateBenchVolume(engine->get(), *files, 4, o, static_cast<uint32_t>(*slices));
  if (!s.ok()) return Fail(a, s.status());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fprintf(stderr,
          "generated %llu files, %llu dirs, %llu hard links, %llu symlinks, %llu xattrs "
          "(%llu keys) in %.2fs\n",
          static_cast<unsigned long long>(s->files), static_cast<unsigned long long>(s->dirs),
          static_cast<unsigned long long>(s->hard_links),
          static_cast<unsigned long long>(s->symlinks), static_cast<unsigned long long>(s->xattrs),
          static_cast<unsigned long long>(s->keys), secs);
  return 0;
}

int Scan(const Args& a) {
  auto engine = OpenMeta(a.pos[0]);
  if (!engine.ok()) return Fail(a, engine.status());
  auto snap = (*engine)->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  auto start = std::chrono::steady_clock::now();
  uint64_t keys = 0, bytes = 0;
  Status st = (*snap)->Scan(RecordRange::All(), [&](const RecordKey&, auto v) {
    keys++;
    bytes += v.size();
    return true;
  });
  if (!st.ok()) return Fail(a, st);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fprintf(stderr, "scanned %llu records (%llu bytes of values) in %.2fs\n",
          static_cast<unsigned long long>(keys), static_cast<unsigned long long>(bytes), secs);
  return 0;
}

int Objects(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  auto threads = a.GetThreads(4);
  auto leaked = a.GetUint("leaked", 0);
  if (!threads.ok()) return Fail(a, threads.status());
  if (!leaked.ok()) return Fail(a, leaked.status());
  CountProgress progress("objects written");
  auto start = std::chrono::steady_clock::now();
  auto r =
      WriteBenchObjects(vol->get(), *threads, *leaked, [&](uint64_t n) { progress.Update(n); });
  progress.Clear();
  if (!r.ok()) return Fail(a, r.status());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fprintf(stderr, "wrote %llu objects (%llu of them leaked), %s, in %.1fs\n",
          static_cast<unsigned long long>(r->objects), static_cast<unsigned long long>(r->leaked),
          FormatBytes(r->bytes).c_str(), secs);
  return 0;
}

const Command kBenchGenCommand = {
    "gen",
    "META-URL",
    "Build a metadata-only volume shaped like JuiceFS's dump/load benchmark in an empty engine",
    {{"files", 0, "N", "files to generate", "1100000"},
     {"slices", 0, "N", "slices per file, as if written in N appends (a fragmented volume)", "1"},
     {"storage", 0, "TYPE", "the volume's storage (file or s3)", "file"},
     {"bucket", 0, "URL", "the volume's bucket (none: an in-memory store)"},
     {"access-key", 0, "KEY", "s3 access key"},
     {"secret-key", 0, "KEY", "s3 secret key"}},
    1,
    1,
    Gen};
const Command kBenchScanCommand = {
    "scan", "META-URL", "Time a read of every record of the volume from one snapshot", {}, 1,
    1,      Scan};
const Command kBenchObjectsCommand = {
    "objects",
    "META-URL",
    "Write the block objects the volume's files use (zeros), for the gc and fsck benchmarks",
    {{"leaked", 0, "N", "also write N objects no slice uses", "0"},
     {"threads", 'p', "N", "objects written at once", "4"}},
    1,
    1,
    Objects};

}  // namespace

const Command kBenchCommand = {
    "bench", "",      "Benchmark helpers: build a volume, time a scan, write its objects", {}, 0,
    0,       nullptr, {&kBenchGenCommand, &kBenchScanCommand, &kBenchObjectsCommand}};

}  // namespace jfsbr::cli
