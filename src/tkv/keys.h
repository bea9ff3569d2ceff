// The TKV key schema of JuiceFS (juicefs-formats.md §1.3): how the TKV family
// (RocksDB, etcd, memkv; JuiceFS's TiKV, FoundationDB, badger) stores each
// record of meta/record.h. Nothing outside tkv/ (and the TKV-specific backup
// code) may include it.
//
// Keys are built by concatenation with no separators. Inode numbers inside keys
// are little-endian (so an inode's "A" keys are contiguous but inodes are not
// numerically ordered); every other integer is big-endian. These are logical
// keys: a shared engine adds the volume prefix below this layer (tkv/prefix).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meta/record.h"
#include "model/types.h"
#include "util/coding.h"

namespace jfsbr::keys {

std::string Setting();
std::string Counter(std::string_view name);
std::string Attr(Ino ino);                             // A ino I
std::string Entry(Ino parent, std::string_view name);  // A parent D name
std::string EntryPrefix(Ino parent);                   // A parent D
std::string Parent(Ino ino, Ino parent);               // A ino P parent
std::string Chunk(Ino ino, uint32_t index);            // A ino C index
std::string Symlink(Ino ino);                          // A ino S
std::string Xattr(Ino ino, std::string_view name);     // A ino X name
std::string XattrPrefix(Ino ino);                      // A ino X
std::string InodePrefix(Ino ino);                      // A ino
std::string DelFile(Ino ino, uint64_t length);         // D ino length
std::string SliceRef(uint64_t id, uint32_t size);      // K id size
std::string DelayedSlices(int64_t ts, uint64_t id);    // L ts id
std::string DirStat(Ino ino);                          // U ino
std::string DirQuota(Ino ino);                         // QD ino
std::string UserQuota(uint64_t uid);                   // QU uid (BE64)
std::string GroupQuota(uint64_t gid);                  // QG gid (BE64)
std::string AclRule(uint32_t id);                      // R id
std::string SessionExpire(uint64_t sid);               // SE sid
std::string SessionInfo(uint64_t sid);                 // SI sid
std::string Sustained(uint64_t sid, Ino ino);          // SS sid ino
std::string Detached(Ino ino);                         // N ino

// jfsbr's own records (RecordKind::kTool) are "jfsbr/" + name: outside
// JuiceFS's key space (its keys start with a capital letter or "setting").
inline constexpr std::string_view kToolPrefix = "jfsbr/";

using jfsbr::PrefixEnd;

// A logical key taken apart (kind kUnknown: not a JuiceFS key). ParseInto
// reuses *out's storage: the way to parse the keys of a long scan.
RecordKey Parse(std::string_view key);
void ParseInto(std::string_view key, RecordKey* out);
// The key of a record; kUnknown gives "".
std::string Encode(const RecordKey& key);

}  // namespace jfsbr::keys
