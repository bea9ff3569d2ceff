// JuiceFS's binary metadata dump, format V2 (juicefs-formats.md §4):
//
//   segment* EOS footer footer-length
//   segment = type (BE32) + length (BE64) + a protobuf message of that length
//   EOS     = BE32 0x00747083 where a segment type would be
//   footer  = pb.Footer{magic 0x747083, version 1, name -> {offsets, records}},
//             then its length as BE64: the file's last 8 bytes
//
// Segment order: format, counters, then node/edge/chunk/symlink/xattr/parent
// segments of at most 10,000 records in key order, then sustained, delFile,
// sliceRef, acl, quota (if any), stat. The dump is a near-verbatim copy of the
// engine's keys, read from one snapshot; the load writes them back as they
// are (nothing is recomputed), the setting last.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dump/dump.h"

namespace jfsbr {

inline constexpr uint32_t kBinaryMagic = 0x747083;
inline constexpr uint32_t kBinaryVersion = 1;

// Uses opts.keep_secret (else SecretKey, SessionToken and EncryptKey are
// "removed") and opts.progress; the JSON-only options are not looked at
// (DumpVolume refuses them).
Result<DumpStats> DumpBinary(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts);
// Fails with kExists if target holds any key. Truncated or corrupt input is an
// error naming the byte offset; the setting is only written after the footer
// has been read and matched.
Result<LoadStats> LoadBinary(Source* in, Meta* target, const LoadOptions& opts);

struct BinarySegmentInfo {
  uint64_t records = 0;
  std::vector<uint64_t> offsets;
};
struct BinaryFooter {
  uint32_t version = 0;
  std::map<std::string, BinarySegmentInfo> segments;  // by name, sorted
};
// Reads the footer at the end of a binary dump file (for `load --binary --stat`).
Result<BinaryFooter> ReadBinaryFooter(const std::string& path);

}  // namespace jfsbr
