// Every non-attr value kind of the TKV schema (juicefs-formats.md §1.3-§1.7,
// §2.2): dentries, slice records, counters, dir stats, quotas, delayed slices,
// deleted-file records and POSIX ACL rules. Pure encoders and decoders.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/types.h"
#include "util/result.h"

namespace jfsbr {

// Dentry (A parent D name): type u8 + child inode BE64.
struct Dentry {
  FileType type = FileType::kFile;
  Ino ino = 0;
  bool operator==(const Dentry&) const = default;
};
std::string EncodeDentry(const Dentry& d);
Result<Dentry> DecodeDentry(std::string_view v);

// One 24-byte slice record of a chunk value: pos, id, size, off, len.
struct SliceRecord {
  uint32_t pos = 0;   // offset inside the chunk
  uint64_t id = 0;    // slice id; 0 is a hole
  uint32_t size = 0;  // bytes of the whole slice object set
  uint32_t off = 0;   // start of the used range inside the slice
  uint32_t len = 0;   // length of the used range
  bool operator==(const SliceRecord&) const = default;
};
inline constexpr size_t kSliceRecordBytes = 24;
void AppendSliceRecord(std::string* dst, const SliceRecord& s);
Result<std::vector<SliceRecord>> DecodeChunk(std::string_view v);

// Counters: LE64 for the ones changed by incrBy, BE64 for setIfSmall times.
std::string EncodeCounterLE(int64_t v);
std::string EncodeCounterBE(int64_t v);
Result<int64_t> DecodeCounterLE(std::string_view v);
Result<int64_t> DecodeCounterBE(std::string_view v);
// True for the counter names JuiceFS stores big-endian (last-run timestamps).
bool IsTimestampCounter(std::string_view name);

// Dir usage of direct children (U ino): length, space, inodes.
struct DirStat {
  int64_t length = 0;
  int64_t space = 0;
  int64_t inodes = 0;
  bool operator==(const DirStat&) const = default;
};
std::string EncodeDirStat(const DirStat& s);
Result<DirStat> DecodeDirStat(std::string_view v);

// Quota (QD/QU/QG): max space, max inodes, used space, used inodes.
struct Quota {
  int64_t max_space = 0;
  int64_t max_inodes = 0;
  int64_t used_space = 0;
  int64_t used_inodes = 0;
  bool operator==(const Quota&) const = default;
};
std::string EncodeQuota(const Quota& q);
Result<Quota> DecodeQuota(std::string_view v);

// A slice listed in a delayed-slices value (L ts id): id BE64 + size BE32.
struct SliceId {
  uint64_t id = 0;
  uint32_t size = 0;
  bool operator==(const SliceId&) const = default;
};
std::string EncodeDelayedSlices(const std::vector<SliceId>& slices);
Result<std::vector<SliceId>> DecodeDelayedSlices(std::string_view v);

// Deleted-file record (D ino length) value: BE64 unix seconds.
std::string EncodeDelFileTime(int64_t unix_seconds);
Result<int64_t> DecodeDelFileTime(std::string_view v);

// POSIX ACL rule (R id). Unset permissions are 0xFFFF.
struct AclEntry {
  uint32_t id = 0;
  uint16_t perm = 0;
  bool operator==(const AclEntry&) const = default;
};
struct AclRule {
  uint16_t owner = 0xFFFF;
  uint16_t group = 0xFFFF;
  uint16_t mask = 0xFFFF;
  uint16_t other = 0xFFFF;
  std::vector<AclEntry> users;
  std::vector<AclEntry> groups;
  bool operator==(const AclRule&) const = default;
};
std::string EncodeAclRule(const AclRule& r);
Result<AclRule> DecodeAclRule(std::string_view v);
// Named entries alone, (id u32, perm u16) each with no count before them: how
// JuiceFS's SQL tables keep them (jfs_acl.named_users / named_groups).
std::string EncodeAclEntries(const std::vector<AclEntry>& entries);
Result<std::vector<AclEntry>> DecodeAclEntries(std::string_view v);

}  // namespace jfsbr
