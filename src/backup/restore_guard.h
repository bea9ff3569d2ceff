// Restoring an earlier state over a bucket that lived on, safely.
//
// A restore puts old metadata in front of a bucket that kept changing after
// that state: every object written since looks leaked to the restored
// volume (JuiceFS users have lost data running gc after such a restore), and
// the restored nextChunk would hand out slice ids whose object names exist
// already (a new write would overwrite them). So before a restore writes the
// setting, GuardRestoredBucket lists the bucket's chunks/, raises nextChunk
// past every slice id in use, and records the restore in the bucket
// (jfsbr/restores/, docs/format/backup.md): where the state came from, when,
// and which objects were written after it (by slice id, and by time where
// the state's time is known). gc keeps those that leaked unless told.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "meta/meta.h"
#include "store/object_store.h"
#include "util/result.h"

namespace jfsbr {

struct RestoreMark {
  std::string source;             // "backup meta/dump-...", "point at revision N", ...
  std::string target;             // the restored engine, for people (no password)
  int64_t point_time = 0;         // unix seconds of the state restored (0: unknown)
  int64_t restored_at = 0;        // unix seconds
  uint64_t point_next_chunk = 0;  // nextChunk as the state had it
  uint64_t next_chunk = 0;        // raised to this: ids in [point, next) came after the state
  uint64_t newer_objects = 0, newer_bytes = 0;  // objects it covered when it was restored
  std::string key;                              // where the mark is stored (read back)

  // Whether an object (its slice id, its mtime) was written after the
  // restored state: an id handed out after it, or an object made between
  // the state and the restore (ids a client had reserved in a batch before
  // the state can be used after it).
  bool Covers(uint64_t slice_id, int64_t mtime) const {
    if (slice_id >= point_next_chunk && slice_id < next_chunk) return true;
    return point_time > 0 && mtime >= point_time && mtime <= restored_at;
  }
};

std::string EncodeRestoreMark(const RestoreMark& m);
Result<RestoreMark> DecodeRestoreMark(std::string_view json);

// Call with the restored records in target and its setting not yet written.
// source, target_desc and point_time describe the restore. The bucket is
// listed with `threads` at once.
Result<RestoreMark> GuardRestoredBucket(Meta* target, ObjectStore* store, bool hash_prefix,
                                        RestoreMark mark, int threads);

// Every restore recorded in the bucket, oldest first.
Result<std::vector<RestoreMark>> ListRestoreMarks(ObjectStore* store);

}  // namespace jfsbr
