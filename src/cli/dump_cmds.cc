// dump and load: JuiceFS's metadata dump formats.
#include <iostream>

#include "cli/command.h"
#include "dump/json_dump.h"
#include "dump/json_load.h"
#include "kv/registry.h"

namespace jfsbr::cli {
namespace {

int RunDump(const Args& a) {
  auto engine = OpenEngine(a.pos[0]);
  if (!engine.ok()) return Fail(a, engine.status());
  auto snap = (*engine)->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  DumpOptions o;
  o.subdir = a.Get("subdir");
  o.keep_secret = a.Has("keep-secret-key");
  o.skip_trash = a.Has("skip-trash");
  auto threads = a.GetThreads(10);
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  std::string path = a.pos.size() > 1 ? a.pos[1] : "";
  auto sink = OpenFileSink(path);
  if (!sink.ok()) return Fail(a, sink.status());
  auto stats = DumpJson(snap->get(), sink->get(), o);
  if (!stats.ok()) return Fail(a, stats.status());
  if (Status st = (*sink)->Close(); !st.ok()) return Fail(a, st);
  std::cerr << "dumped " << stats->entries << " entries (" << stats->bytes << " bytes) at version "
            << stats->version << "\n";
  return 0;
}

int RunLoad(const Args& a) {
  auto engine = OpenEngine(a.pos[0], /*create=*/true);
  if (!engine.ok()) return Fail(a, engine.status());
  std::string path = a.pos.size() > 1 ? a.pos[1] : "";
  auto source = OpenFileSource(path);
  if (!source.ok()) return Fail(a, source.status());
  if (a.Has("force")) {
    if (Status st = ClearEngine(engine->get()); !st.ok()) return Fail(a, st);
  }
  LoadOptions o;
  auto threads = a.GetThreads(10);
  if (!threads.ok()) return Fail(a, threads.status());
  o.threads = *threads;
  auto stats = LoadJson(source->get(), engine->get(), o);
  if (!stats.ok()) {
    Status st = stats.status();
    if (!st.Is(Code::kExists)) {
      st = st.Annotate(
          "load failed; the target is left without a volume setting (rerun with --force)");
    }
    return Fail(a, st);
  }
  std::cerr << "loaded " << stats->entries << " entries (" << stats->pairs
            << " keys): " << stats->used_inodes << " inodes, " << stats->used_space
            << " bytes used\n";
  return 0;
}

}  // namespace

const Command kDumpCommand = {
    "dump",
    "META-URL [FILE]",
    "Dump the volume's metadata as JuiceFS's JSON, from one consistent snapshot (stdout without "
    "FILE)",
    {{"subdir", 0, "PATH", "dump only this directory"},
     {"keep-secret-key", 0, "", "keep SecretKey and SessionToken (else \"removed\")"},
     {"skip-trash", 0, "", "leave out the trash"},
     {"threads", 'p', "N", "entries read at once", "10"}},
    1,
    2,
    RunDump};
const Command kLoadCommand = {
    "load",
    "META-URL [FILE]",
    "Load a JuiceFS JSON dump into an empty engine (stdin without FILE)",
    {{"force", 0, "", "clear the target first (every key in it is deleted)"},
     {"threads", 'p', "N", "batches written at once", "10"}},
    1,
    2,
    RunLoad};

}  // namespace jfsbr::cli
