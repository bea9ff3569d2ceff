// Restoring removed files from the trash (`jfsbr restore-trash`, like
// `juicefs restore`, juicefs-formats.md §5.4). A removed node sits in the
// hourly trash dir (".trash/2026-11-21-10") as "<parent>-<ino>-<name>".
#pragma once

#include <string>
#include <vector>

#include "fs/volume.h"

namespace jfsbr {

struct TrashRestoreResult {
  uint64_t entries = 0;               // in the hourly dir
  uint64_t rebuilt = 0;               // moved under their parent, itself in this hour's trash
  uint64_t put_back = 0;              // moved back to where they were removed from
  uint64_t need_put_back = 0;         // without put_back: left for a --put-back run
  uint64_t conflicts = 0;             // their old name is taken again
  std::vector<std::string> problems;  // one line each (conflicts, missing parents)
};

// First rebuilds the removed trees inside the hourly dir (an entry whose old
// parent was removed in the same hour goes back under it); with put_back,
// then moves every remaining entry back to its old parent and name, never
// replacing what took that name since.
Result<TrashRestoreResult> RestoreTrash(Volume* vol, const std::string& hour, bool put_back);

}  // namespace jfsbr
