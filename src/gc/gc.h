// `jfsbr gc`: finds the objects under "<volume>/chunks/" that nothing
// references (juicefs-formats.md §5.1) and, with remove, deletes them after
// finishing the volume's pending deletions.
//
// Order: (0) with compact, every chunk with several slice records compacted
// (Volume::CompactChunk); (1) the slices of every retained metadata backup, when kept; (2) the
// slice inventory from one snapshot; (3) a listing of chunks/ in parallel key
// ranges, each object classified. Only if every metadata read and every
// listing succeeded, and with remove: (4) expired trash, pending deleted
// files (D), slices waiting for deletion (K < 0) and expired delayed slices
// (L) are finished, their objects deleted unless a backup uses them; (5) the
// leaked objects are deleted. A failed listing therefore deletes nothing
// (JuiceFS issue #6479 deleted referenced objects after one).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "backup/restore_guard.h"
#include "fs/volume.h"
#include "gc/classify.h"

namespace jfsbr {

struct GcOptions {
  bool remove = false;   // --delete
  bool compact = false;  // --compact: merge the slices of chunks with several
  int threads = 10;
  int64_t skip_newer_sec = 3600;  // objects younger than this are skipped
  bool keep_backup_slices = true;
  // Leaked objects whose slice ids a restore recorded as written after the
  // state it restored (backup/restore_guard.h) are kept unless this is set.
  bool delete_after_restore = false;
  int64_t now = 0;  // unix seconds; 0: the clock
  std::function<void(const std::string&)> log;
};

// Live counters, for a progress display while gc runs.
struct GcProgress {
  std::atomic<uint64_t> listed{0}, deleted{0};
  std::atomic<uint64_t> objects[kObjectClasses] = {}, bytes[kObjectClasses] = {};
};

struct GcReport {
  uint64_t backups = 0;  // retained backups whose slices were kept
  uint64_t used_slices = 0, used_bytes = 0, expected_objects = 0;
  uint64_t pending_slices = 0, pending_bytes = 0;  // K < 0
  uint64_t trash_slices = 0, trash_bytes = 0;      // L
  uint64_t backup_slices = 0;                      // only backups use them
  uint64_t delfiles = 0;                           // D keys left
  uint64_t listed = 0;
  uint64_t objects[kObjectClasses] = {}, bytes[kObjectClasses] = {};
  std::vector<std::string> leaked_examples, foreign_examples;  // the first few
  // With remove.
  Volume::Cleaned trash_purged, files_cleaned, pending_cleaned, delayed_purged;
  // Why expired trash was kept ("" if it was purged): removing files would
  // change usage our writes do not keep (quotas) or go unrecorded in the
  // volume's change log; JuiceFS's clients purge it.
  std::string trash_kept_why;
  // Why pending deletes were kept ("" if they were cleaned): JuiceFS records
  // each cleanup in the volume's change log, which jfsbr does not append to.
  std::string cleanups_kept_why;
  uint64_t leaked_deleted = 0, leaked_deleted_bytes = 0;
  // Leaked objects whose slice id was never handed out (at or past nextChunk:
  // metadata restored from an earlier state, or another writer's objects). A
  // client could be given that id and write the same name, so they are
  // deleted only after nextChunk is raised past them by a transaction that
  // proves no id was handed out since the inventory was read.
  uint64_t unallocated = 0;
  uint64_t next_chunk = 0;         // as the inventory read it
  uint64_t raised_next_chunk = 0;  // to this (0: not raised)
  bool unallocated_kept = false;   // ids were handed out meanwhile: not deleted
  // Leaked objects written after a restored state (ids a restore mark
  // covers): kept by --delete unless delete_after_restore.
  std::vector<RestoreMark> restores;
  uint64_t after_restore = 0, after_restore_bytes = 0;
  // With compact.
  uint64_t chunks_compacted = 0, records_compacted = 0, compacted_bytes = 0;
};

Result<GcReport> RunGc(Volume* vol, const GcOptions& opts, GcProgress* progress);

// The slices a metadata backup's files use, read by loading it into a
// collector (nothing is stored).
Status AddBackupSlices(ObjectStore* store, const std::string& name, SliceInventory* inv);

}  // namespace jfsbr
