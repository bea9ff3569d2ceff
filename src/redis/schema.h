// JuiceFS's Redis schema (juicefs-redis-sql.md §2.2-§2.3): where each record
// of meta/record.h lives among Redis keys, hashes, lists, sets and sorted
// sets, and how its value converts. The only code that knows Redis keys.
//
// A record is kept in one or more *places* (a string key, a field of a hash,
// a whole list, a member of a sorted set or of a set): most in one, a
// directory's stats and a quota in three hashes (limits, used space, used
// inodes). Values in Redis are JuiceFS's: counters and counts in decimal,
// nextinode and nextchunk holding the last id used (records nextInode and
// nextChunk the next one: a missing key reads as 1), txnLastLog being the
// change log's lastChangelog, scores for times. jfsbr's own records are string keys "jfsbr/NAME".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meta/record.h"
#include "util/result.h"

namespace jfsbr::redis {

struct Place {
  enum class Type { kString, kHashField, kList, kZsetMember, kSetMember };
  Type type = Type::kString;
  std::string key;     // with the volume's prefix
  std::string member;  // hash field / zset or set member
};

// The places of a record (empty for kUnknown).
std::vector<Place> PlacesOf(std::string_view prefix, const RecordKey& k);

// A record's value from its places' values as Redis gives them (GET, HGET,
// the LRANGE elements concatenated, ZSCORE, SISMEMBER as "1"); nullopt
// parts are absent. std::nullopt: the record is absent.
Result<std::optional<std::string>> Compose(const RecordKey& k,
                                           const std::vector<std::optional<std::string>>& parts);
// The values to store at each place for value (for a set member: "").
Result<std::vector<std::string>> Decompose(const RecordKey& k, std::string_view value);

// What a key of the volume is (without its prefix).
struct KeyInfo {
  enum class Type {
    kUnknown,
    kSetting,
    kTool,
    kCounter,
    kAttr,
    kEntries,
    kParents,
    kChunk,
    kSymlink,
    kXattrs,
    kDelFiles,
    kSliceRefs,
    kDelSlices,
    kDirStatPart,
    kDirQuotaPart,
    kUserQuotaPart,
    kGroupQuotaPart,
    kAcl,
    kSessionExpires,
    kSessionInfos,
    kSustained,
    kDetached,
  };
  Type type = Type::kUnknown;
  uint64_t n = 0;  // the inode or session of kAttr..kXattrs, kSustained
  uint32_t index =
      0;  // kChunk: the chunk index; *Part: which part (0 limits/length, 1 space, 2 inodes)
  std::string name;  // kCounter: the record's name; kTool: its name
};
KeyInfo ParseKey(std::string_view key);

// One element of a key (a hash field and value, a set member, a sorted set
// member and score, a string's value) as the record it is part of: *part is
// its place among the record's places. kChunk elements are parts of one
// record, appended in order (*part 0). False: not a record (kUnknown).
bool ElementRecord(const KeyInfo& info, std::string_view field, std::string_view value,
                   double score, RecordKey* key, int* part, std::string* part_value);

// The string keys of the counters JuiceFS keeps, as stored (lowercased
// nextinode, nextchunk, nextsession).
const std::vector<std::string_view>& CounterKeys();
// Score of a sorted set member as Redis returns it ("1.5", "1e+20", "inf").
std::string ScoreText(double score);

}  // namespace jfsbr::redis
