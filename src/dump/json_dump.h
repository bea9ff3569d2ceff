// The JSON dump, byte for byte as JuiceFS writes it (juicefs-formats.md §3),
// read from one engine snapshot.
//
// Memory stays bounded: the tree is walked depth first and each directory's
// entries are streamed in pages (their key order is the dump's name order),
// while a pool of threads reads and renders the next entries ahead of the
// writer, which writes them in order.
#pragma once

#include <functional>
#include <string>

#include "meta/meta.h"
#include "util/io.h"

namespace jfsbr {

struct DumpOptions {
  std::string subdir;        // dump this directory as FSTree (no Trash, no user/group quotas)
  bool keep_secret = false;  // else SecretKey/SessionToken become "removed"
  bool skip_trash = false;
  int threads = 10;
  // Full dumps first read every inode in key order into a temporary file in
  // spill_dir ($TMPDIR or /tmp when empty), about half the JSON's size, then
  // walk the tree from it; false: read the tree from the engine entry by
  // entry (no temporary space, slower).
  bool spill = true;
  std::string spill_dir;
  // The spill's index holds an entry per directory per 8 MiB of the file;
  // past this many (a volume of many millions of files in many
  // directories), the dump gives the spill up and reads entry by entry.
  size_t spill_index_limit = size_t{1} << 20;
  // Called now and then with the number of keys read into the spill.
  std::function<void(uint64_t keys)> scan_progress;
  // Called now and then with the number of entries written so far.
  std::function<void(uint64_t entries)> progress;
};

struct DumpStats {
  uint64_t version = 0;         // the engine version of the snapshot dumped
  uint64_t entries = 0;         // tree entries written (FSTree and Trash included)
  uint64_t bytes = 0;           // bytes of JSON written
  uint64_t spilled_bytes = 0;   // temporary space used
  bool spill_given_up = false;  // the spill outgrew its index: read entry by entry
};

// Dumps the volume as of `snapshot` into out (not closed).
Result<DumpStats> DumpJson(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts);

}  // namespace jfsbr
