// Loading a JSON dump (JuiceFS's format) into an empty engine, streaming.
//
// As JuiceFS's loader, nlink, directory usage (U), the usage counters,
// slice refs (K) and quota usage are recomputed from the tree, and so are
// nextInode/nextChunk/nextTrash; unlike JuiceFS, these id counters (and
// nextSession, which JuiceFS resets to 0) never go below the dumped values,
// so no id is handed out twice and dump -> load -> dump gives the same bytes.
// Memory is bounded by the tree's depth, the hard-linked inodes, the
// distinct slices (16 bytes each) and a few batches in flight: never the tree.
//
// The volume's `setting` is written last: a load that fails part way leaves a
// target without one, which no command takes for a volume.
#pragma once

#include <functional>

#include "meta/meta.h"
#include "util/io.h"

namespace jfsbr {

struct LoadOptions {
  int threads = 10;  // batches committed at once
  // Refuse a dump that would load into an inconsistent volume, before the
  // setting is written: JSON loads (which recompute everything else) check
  // that no inode is given to two entries (8 bytes an inode); binary loads
  // (which copy keys as they are) run `check` (~60 bytes an inode).
  bool verify = true;
  std::function<void(uint64_t entries)> progress;
  // A last check before the setting is written (e.g. the input's checksum):
  // its error fails the load, leaving no setting.
  std::function<Status()> before_setting;
};

struct LoadStats {
  uint64_t entries = 0;  // tree entries read
  uint64_t pairs = 0;    // keys written
  int64_t used_space = 0, used_inodes = 0, next_inode = 0, next_chunk = 0;
};

// Fails with kExists if target holds anything.
Result<LoadStats> LoadJson(Source* in, Meta* target, const LoadOptions& opts);

// kExists naming target unless it is empty: what every load checks first.
Status CheckLoadTarget(Meta* target);

// The verification a load runs before it writes the setting: kCorruption
// naming the first problems if the loaded records are not a consistent volume.
Status VerifyLoaded(Meta* meta);

}  // namespace jfsbr
