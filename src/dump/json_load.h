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

#include "dump/dump.h"

namespace jfsbr {

// Fails with kExists if target holds anything.
Result<LoadStats> LoadJson(Source* in, Meta* target, const LoadOptions& opts);

}  // namespace jfsbr
