// JuiceFS's metadata dump formats behind one interface: JSON (json_dump.h,
// json_load.h) and binary V2 (binary.h). A dump reads one MetaSnapshot, so
// it is one point in time while writers go on; a load writes into an empty
// Meta and writes the volume's setting last, so a load that fails leaves
// nothing that looks like a volume.
#pragma once

#include <functional>
#include <string>

#include "meta/meta.h"
#include "util/io.h"

namespace jfsbr {

enum class DumpFormat { kJson, kBinary };

struct DumpOptions {
  DumpFormat format = DumpFormat::kJson;
  bool keep_secret = false;  // else secrets are "removed" (binary: the encryption key too)
  // JSON only (the binary format is a whole-volume copy; DumpVolume refuses them):
  std::string subdir;  // dump this directory as FSTree (no Trash, no user/group quotas)
  bool skip_trash = false;
  int threads = 10;
  // Full JSON dumps first read every inode into a temporary file in
  // spill_dir ($TMPDIR or /tmp when empty), about half the JSON's size, then
  // walk the tree from it; false: read the tree entry by entry (no temporary
  // space, slower).
  bool spill = true;
  std::string spill_dir;
  // The spill's index holds an entry per directory per 8 MiB of the file;
  // past this many (a volume of many millions of files in many
  // directories), the dump gives the spill up and reads entry by entry.
  size_t spill_index_limit = size_t{1} << 20;
  // Called now and then with the number of records read into the spill.
  std::function<void(uint64_t records)> scan_progress;
  // Called now and then with the number of entries (binary: records) written.
  std::function<void(uint64_t entries)> progress;
};

struct DumpStats {
  uint64_t version = 0;         // the engine version of the snapshot dumped
  uint64_t entries = 0;         // tree entries (binary: records) written
  uint64_t bytes = 0;           // bytes written
  uint64_t spilled_bytes = 0;   // temporary space used
  bool spill_given_up = false;  // the spill outgrew its index: read entry by entry
};

// kInvalidArgument when opts asks for what its format cannot do.
Status CheckDumpOptions(const DumpOptions& opts);
// The view of meta a dump with opts reads: one that all its reading
// threads can scan at once (Meta::SnapshotForReaders).
Result<std::unique_ptr<MetaSnapshot>> SnapshotForDump(Meta* meta, const DumpOptions& opts);
// Dumps the volume as of snapshot into out (not closed), in opts.format.
// kInvalidArgument for an option the format cannot honour.
Result<DumpStats> DumpVolume(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts);

struct LoadOptions {
  int threads = 10;  // batches written at once
  // Refuse a dump that would load into an inconsistent volume, before the
  // setting is written: JSON loads (which recompute everything else) check
  // that no inode is given to two entries (counted on disk, bounded memory);
  // binary loads (which copy records as they are) run `check` (~70 bytes an
  // inode in memory).
  bool verify = true;
  // JSON: false leaves out the slice refs (K records), and the counting of
  // every slice: for a read-only view of the dump, which never reads them.
  bool slice_refs = true;
  std::function<void(uint64_t entries)> progress;
  // A last check before the setting is written (e.g. the input's checksum):
  // its error fails the load, leaving no setting.
  std::function<Status()> before_setting;
};

struct LoadStats {
  uint64_t entries = 0;  // tree entries (binary: records) read
  uint64_t pairs = 0;    // records written
  int64_t used_space = 0, used_inodes = 0, next_inode = 0, next_chunk = 0;
};

// Loads a dump of format into target, which must be empty (kExists).
Result<LoadStats> LoadVolume(Source* in, Meta* target, DumpFormat format, const LoadOptions& opts);

// kExists naming target unless it is empty: what every load checks first.
Status CheckLoadTarget(Meta* target);

struct CheckReport;
// The verdict of a load's check (run before it writes the setting):
// kCorruption naming the first problems if the loaded records are not a
// consistent volume.
Status LoadVerdict(const CheckReport& report);

}  // namespace jfsbr
