// Dispatch of dumps and loads to their format.
#include "dump/dump.h"

#include <algorithm>

#include "dump/binary.h"
#include "dump/json_dump.h"
#include "dump/json_load.h"

namespace jfsbr {

Status CheckDumpOptions(const DumpOptions& opts) {
  if (opts.format == DumpFormat::kJson) return Status::OK();
  // JuiceFS ignores these with --binary; a dump that is not what was asked
  // for is worse than no dump.
  if (!opts.subdir.empty()) {
    return Status::InvalidArgument(
        "the binary format holds whole volumes: --subdir works with JSON dumps only");
  }
  if (opts.skip_trash) {
    return Status::InvalidArgument(
        "the binary format holds whole volumes: --skip-trash works with JSON dumps only");
  }
  return Status::OK();
}

Result<std::unique_ptr<MetaSnapshot>> SnapshotForDump(Meta* meta, const DumpOptions& opts) {
  // A JSON dump reads on its threads; the binary dump of the engines that
  // take the hint (SQL) reads on one.
  return meta->SnapshotForReaders(opts.format == DumpFormat::kJson ? std::max(1, opts.threads) : 1);
}

Result<DumpStats> DumpVolume(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts) {
  JFS_RETURN_IF_ERROR(CheckDumpOptions(opts));
  if (opts.format == DumpFormat::kJson) return DumpJson(snapshot, out, opts);
  return DumpBinary(snapshot, out, opts);
}

Result<LoadStats> LoadVolume(Source* in, Meta* target, DumpFormat format, const LoadOptions& opts) {
  return format == DumpFormat::kJson ? LoadJson(in, target, opts) : LoadBinary(in, target, opts);
}

}  // namespace jfsbr
