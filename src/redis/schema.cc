// JuiceFS's Redis keys for each record, and values between Redis's forms and
// the records' (see schema.h).
#include "redis/schema.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "model/records.h"
#include "util/coding.h"

namespace jfsbr::redis {
namespace {

using K = RecordKind;
using PT = Place::Type;
using KT = KeyInfo::Type;

constexpr std::string_view kToolPrefix = "jfsbr/";

// Counters whose Redis key is spelt differently, and nextinode/nextchunk,
// which hold the last id handed out where records hold the next free one.
struct CounterName {
  std::string_view record, key;
  int64_t offset;  // record = redis + offset
};
constexpr CounterName kRenamed[] = {{"nextInode", "nextinode", 1},
                                    {"nextChunk", "nextchunk", 1},
                                    {"nextSession", "nextsession", 0},
                                    {"lastChangelog", "txnLastLog", 0}};

std::string RedisCounterKey(std::string_view name, int64_t* offset) {
  *offset = 0;
  for (const auto& c : kRenamed) {
    if (c.record == name) {
      *offset = c.offset;
      return std::string(c.key);
    }
  }
  return std::string(name);
}

std::string Dec(int64_t v) { return std::to_string(v); }

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return false;
    v = next;
  }
  *out = v;
  return true;
}

// A decimal Redis keeps (counters, counts): optionally negative.
Result<int64_t> ParseDec(std::string_view s) {
  bool neg = s.starts_with("-");
  uint64_t v = 0;
  if (!ParseU64(s.substr(neg ? 1 : 0), &v) || v > uint64_t{INT64_MAX}) {
    return Status::Corruption(std::string("not a number: '").append(s).append("'"));
  }
  return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

Result<int64_t> ParseScore(std::string_view s) {
  char* end = nullptr;
  std::string text(s);
  double d = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || std::isnan(d))
    return Status::Corruption("not a score: '" + text + "'");
  return static_cast<int64_t>(d);
}

std::string Limits(int64_t space, int64_t inodes) {
  std::string v;
  PutBE64(&v, static_cast<uint64_t>(space));
  PutBE64(&v, static_cast<uint64_t>(inodes));
  return v;
}

// The three hashes of a quota kind: limits, used space, used inodes.
const char* const* QuotaHashes(RecordKind kind) {
  static const char* const kDir[] = {"dirQuota", "dirQuotaUsedSpace", "dirQuotaUsedInodes"};
  static const char* const kUser[] = {"userQuota", "userQuotaUsedSpace", "userQuotaUsedInodes"};
  static const char* const kGroup[] = {"groupQuota", "groupQuotaUsedSpace", "groupQuotaUsedInodes"};
  return kind == K::kDirQuota ? kDir : kind == K::kUserQuota ? kUser : kGroup;
}
constexpr const char* kDirStatHashes[] = {"dirDataLength", "dirUsedSpace", "dirUsedInodes"};

}  // namespace

const std::vector<std::string_view>& CounterKeys() {
  static const std::vector<std::string_view> kKeys = {
      "usedSpace",        "totalInodes",         "nextinode",        "nextchunk",
      "nextsession",      "nextTrash",           "aclMaxId",         "krbTokenMaxId",
      "txnLastLog",       "lastCleanupSessions", "lastCleanupFiles", "nextCleanupSlices",
      "lastCleanupTrash", "lastCleanupChangelog"};
  return kKeys;
}

std::string ScoreText(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  char buf[64];
  if (score == std::floor(score) && std::fabs(score) < 1e17) {
    snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(score));
  } else {
    snprintf(buf, sizeof(buf), "%.17g", score);
  }
  return buf;
}

std::vector<Place> PlacesOf(std::string_view prefix, const RecordKey& k) {
  std::string p(prefix);
  auto ino = [&](char c, uint64_t n) { return p + c + std::to_string(n); };
  switch (k.kind) {
    case K::kSetting:
      return {{PT::kString, p + "setting"}};
    case K::kTool:
      return {{PT::kString, p + std::string(kToolPrefix) + k.name}};
    case K::kCounter: {
      int64_t offset;
      return {{PT::kString, p + RedisCounterKey(k.name, &offset)}};
    }
    case K::kAttr:
      return {{PT::kString, ino('i', k.ino)}};
    case K::kEntry:
      return {{PT::kHashField, ino('d', k.ino), k.name}};
    case K::kParent:
      return {{PT::kHashField, ino('p', k.ino), std::to_string(k.other)}};
    case K::kChunk:
      return {{PT::kList, ino('c', k.ino) + "_" + std::to_string(k.index)}};
    case K::kSymlink:
      return {{PT::kString, ino('s', k.ino)}};
    case K::kXattr:
      return {{PT::kHashField, ino('x', k.ino), k.name}};
    case K::kDelFile:
      return {
          {PT::kZsetMember, p + "delfiles", std::to_string(k.ino) + ":" + std::to_string(k.id)}};
    case K::kSliceRef:
      return {{PT::kHashField, p + "sliceRef",
               "k" + std::to_string(k.id) + "_" + std::to_string(k.index)}};
    case K::kDelayedSlices:
      return {{PT::kHashField, p + "delSlices", std::to_string(k.id) + "_" + std::to_string(k.ts)}};
    case K::kDirStat: {
      std::vector<Place> v;
      for (const char* h : kDirStatHashes)
        v.push_back({PT::kHashField, p + h, std::to_string(k.ino)});
      return v;
    }
    case K::kDirQuota:
    case K::kUserQuota:
    case K::kGroupQuota: {
      std::string field = std::to_string(k.kind == K::kDirQuota ? k.ino : k.id);
      std::vector<Place> v;
      const char* const* hashes = QuotaHashes(k.kind);
      for (int i = 0; i < 3; i++) v.push_back({PT::kHashField, p + hashes[i], field});
      return v;
    }
    case K::kAclRule:
      return {{PT::kHashField, p + "acl", std::to_string(k.id)}};
    case K::kSessionExpire:
      return {{PT::kZsetMember, p + "allSessions", std::to_string(k.id)}};
    case K::kSessionInfo:
      return {{PT::kHashField, p + "sessionInfos", std::to_string(k.id)}};
    case K::kSustained:
      return {{PT::kSetMember, p + "session" + std::to_string(k.id), std::to_string(k.ino)}};
    case K::kDetached:
      return {{PT::kZsetMember, p + "detachedNodes", std::to_string(k.ino)}};
    case K::kUnknown:
      return {};
  }
  return {};
}

Result<std::optional<std::string>> Compose(const RecordKey& k,
                                           const std::vector<std::optional<std::string>>& parts) {
  bool any = false;
  for (const auto& part : parts) any = any || part.has_value();
  if (!any) {
    // A missing nextinode is "none used yet": the next free id is 1 (and
    // INCRBY then means what adding to the record means).
    int64_t offset = 0;
    if (k.kind == K::kCounter) RedisCounterKey(k.name, &offset);
    if (offset == 0) return std::optional<std::string>();
    return std::optional<std::string>(EncodeCounterLE(offset));
  }
  auto num = [&](size_t i) -> Result<int64_t> { return parts[i] ? ParseDec(*parts[i]) : 0; };
  switch (k.kind) {
    case K::kCounter: {
      int64_t offset;
      RedisCounterKey(k.name, &offset);
      JFS_ASSIGN_OR_RETURN(int64_t v, num(0));
      v += offset;
      return std::optional<std::string>(IsTimestampCounter(k.name) ? EncodeCounterBE(v)
                                                                   : EncodeCounterLE(v));
    }
    case K::kParent:
    case K::kSliceRef: {
      JFS_ASSIGN_OR_RETURN(int64_t v, num(0));
      return std::optional<std::string>(EncodeCounterLE(v));
    }
    case K::kDelFile: {
      JFS_ASSIGN_OR_RETURN(int64_t t, ParseScore(*parts[0]));
      return std::optional<std::string>(EncodeDelFileTime(t));
    }
    case K::kSessionExpire:
    case K::kDetached: {
      JFS_ASSIGN_OR_RETURN(int64_t t, ParseScore(*parts[0]));
      return std::optional<std::string>(EncodeCounterBE(t));
    }
    case K::kSustained:
      if (*parts[0] != "1") return std::optional<std::string>();
      return std::optional<std::string>(std::string("\x01", 1));
    case K::kDirStat: {
      DirStat s;
      JFS_ASSIGN_OR_RETURN(s.length, num(0));
      JFS_ASSIGN_OR_RETURN(s.space, num(1));
      JFS_ASSIGN_OR_RETURN(s.inodes, num(2));
      return std::optional<std::string>(EncodeDirStat(s));
    }
    case K::kDirQuota:
    case K::kUserQuota:
    case K::kGroupQuota: {
      Quota q;
      q.max_space = q.max_inodes = -1;
      if (parts[0]) {
        if (parts[0]->size() != 16)
          return Status::Corruption("quota limits of " + std::to_string(parts[0]->size()) +
                                    " bytes");
        q.max_space = static_cast<int64_t>(GetBE64(parts[0]->data()));
        q.max_inodes = static_cast<int64_t>(GetBE64(parts[0]->data() + 8));
      }
      JFS_ASSIGN_OR_RETURN(q.used_space, num(1));
      JFS_ASSIGN_OR_RETURN(q.used_inodes, num(2));
      return std::optional<std::string>(EncodeQuota(q));
    }
    default:
      return parts[0];
  }
}

Result<std::vector<std::string>> Decompose(const RecordKey& k, std::string_view value) {
  switch (k.kind) {
    case K::kCounter: {
      int64_t offset;
      RedisCounterKey(k.name, &offset);
      JFS_ASSIGN_OR_RETURN(
          int64_t v, IsTimestampCounter(k.name) ? DecodeCounterBE(value) : DecodeCounterLE(value));
      return std::vector<std::string>{Dec(v - offset)};
    }
    case K::kParent:
    case K::kSliceRef: {
      JFS_ASSIGN_OR_RETURN(int64_t v, DecodeCounterLE(value));
      return std::vector<std::string>{Dec(v)};
    }
    case K::kDelFile: {
      JFS_ASSIGN_OR_RETURN(int64_t t, DecodeDelFileTime(value));
      return std::vector<std::string>{Dec(t)};
    }
    case K::kSessionExpire:
    case K::kDetached: {
      JFS_ASSIGN_OR_RETURN(int64_t t, DecodeCounterBE(value));
      return std::vector<std::string>{Dec(t)};
    }
    case K::kSustained:
      return std::vector<std::string>{""};
    case K::kDirStat: {
      JFS_ASSIGN_OR_RETURN(DirStat s, DecodeDirStat(value));
      return std::vector<std::string>{Dec(s.length), Dec(s.space), Dec(s.inodes)};
    }
    case K::kDirQuota:
    case K::kUserQuota:
    case K::kGroupQuota: {
      JFS_ASSIGN_OR_RETURN(Quota q, DecodeQuota(value));
      return std::vector<std::string>{Limits(q.max_space, q.max_inodes), Dec(q.used_space),
                                      Dec(q.used_inodes)};
    }
    case K::kChunk:
      if (value.size() % kSliceRecordBytes != 0) {
        return Status::Corruption("a chunk of " + std::to_string(value.size()) + " bytes");
      }
      return std::vector<std::string>{std::string(value)};
    default:
      return std::vector<std::string>{std::string(value)};
  }
}

KeyInfo ParseKey(std::string_view key) {
  KeyInfo info;
  if (key.empty()) return info;
  if (key == "setting") {
    info.type = KT::kSetting;
    return info;
  }
  if (key.starts_with(kToolPrefix)) {
    info.type = KT::kTool;
    info.name = std::string(key.substr(kToolPrefix.size()));
    return info;
  }
  for (auto c : CounterKeys()) {
    if (key == c) {
      info.type = KT::kCounter;
      info.name = std::string(key);
      for (const auto& r : kRenamed) {
        if (r.key == key) info.name = std::string(r.record);
      }
      return info;
    }
  }
  struct Named {
    std::string_view key;
    KT type;
    uint32_t part;
  };
  static constexpr Named kNamed[] = {{"delfiles", KT::kDelFiles, 0},
                                     {"sliceRef", KT::kSliceRefs, 0},
                                     {"delSlices", KT::kDelSlices, 0},
                                     {"dirDataLength", KT::kDirStatPart, 0},
                                     {"dirUsedSpace", KT::kDirStatPart, 1},
                                     {"dirUsedInodes", KT::kDirStatPart, 2},
                                     {"dirQuota", KT::kDirQuotaPart, 0},
                                     {"dirQuotaUsedSpace", KT::kDirQuotaPart, 1},
                                     {"dirQuotaUsedInodes", KT::kDirQuotaPart, 2},
                                     {"userQuota", KT::kUserQuotaPart, 0},
                                     {"userQuotaUsedSpace", KT::kUserQuotaPart, 1},
                                     {"userQuotaUsedInodes", KT::kUserQuotaPart, 2},
                                     {"groupQuota", KT::kGroupQuotaPart, 0},
                                     {"groupQuotaUsedSpace", KT::kGroupQuotaPart, 1},
                                     {"groupQuotaUsedInodes", KT::kGroupQuotaPart, 2},
                                     {"acl", KT::kAcl, 0},
                                     {"allSessions", KT::kSessionExpires, 0},
                                     {"sessionInfos", KT::kSessionInfos, 0},
                                     {"detachedNodes", KT::kDetached, 0}};
  for (const auto& n : kNamed) {
    if (key == n.key) {
      info.type = n.type;
      info.index = n.part;
      return info;
    }
  }
  if (key.starts_with("session") && ParseU64(key.substr(7), &info.n)) {
    info.type = KT::kSustained;
    return info;
  }
  std::string_view rest = key.substr(1);
  switch (key[0]) {
    case 'c': {
      size_t us = rest.find('_');
      uint64_t index;
      if (us == std::string_view::npos || !ParseU64(rest.substr(0, us), &info.n) ||
          !ParseU64(rest.substr(us + 1), &index) || index > UINT32_MAX) {
        return info;
      }
      info.index = static_cast<uint32_t>(index);
      info.type = KT::kChunk;
      return info;
    }
    case 'i':
      info.type = KT::kAttr;
      break;
    case 'd':
      info.type = KT::kEntries;
      break;
    case 'p':
      info.type = KT::kParents;
      break;
    case 's':
      info.type = KT::kSymlink;
      break;
    case 'x':
      info.type = KT::kXattrs;
      break;
    default:
      return info;
  }
  if (!ParseU64(rest, &info.n)) info.type = KT::kUnknown;
  return info;
}

bool ElementRecord(const KeyInfo& info, std::string_view field, std::string_view value,
                   double score, RecordKey* key, int* part, std::string* part_value) {
  *part = 0;
  uint64_t n = 0;
  auto num_field = [&]() { return ParseU64(field, &n); };
  switch (info.type) {
    case KT::kUnknown:
      return false;
    case KT::kSetting:
      *key = RecordKey::Setting();
      break;
    case KT::kTool:
      *key = RecordKey::Tool(info.name);
      break;
    case KT::kCounter:
      *key = RecordKey::Counter(info.name);
      break;
    case KT::kAttr:
      *key = RecordKey::Attr(info.n);
      break;
    case KT::kEntries:
      *key = RecordKey::Entry(info.n, field);
      break;
    case KT::kParents:
      if (!num_field()) return false;
      *key = RecordKey::Parent(info.n, n);
      break;
    case KT::kChunk:
      *key = RecordKey::Chunk(info.n, info.index);
      break;
    case KT::kSymlink:
      *key = RecordKey::Symlink(info.n);
      break;
    case KT::kXattrs:
      *key = RecordKey::Xattr(info.n, field);
      break;
    case KT::kDelFiles: {
      size_t colon = field.find(':');
      uint64_t len;
      if (colon == std::string_view::npos || !ParseU64(field.substr(0, colon), &n) ||
          !ParseU64(field.substr(colon + 1), &len)) {
        return false;  // a legacy member, cleaned by JuiceFS
      }
      *key = RecordKey::DelFile(n, len);
      *part_value = ScoreText(score);
      return true;
    }
    case KT::kSliceRefs: {
      size_t us = field.find('_');
      uint64_t size;
      if (!field.starts_with("k") || us == std::string_view::npos ||
          !ParseU64(field.substr(1, us - 1), &n) || !ParseU64(field.substr(us + 1), &size) ||
          size > UINT32_MAX) {
        return false;
      }
      *key = RecordKey::SliceRef(n, static_cast<uint32_t>(size));
      break;
    }
    case KT::kDelSlices: {
      size_t us = field.find('_');
      uint64_t ts;
      if (us == std::string_view::npos || !ParseU64(field.substr(0, us), &n) ||
          !ParseU64(field.substr(us + 1), &ts)) {
        return false;
      }
      *key = RecordKey::DelayedSlices(static_cast<int64_t>(ts), n);
      break;
    }
    case KT::kDirStatPart:
    case KT::kDirQuotaPart:
    case KT::kUserQuotaPart:
    case KT::kGroupQuotaPart:
      if (!num_field()) return false;
      *key = info.type == KT::kDirStatPart     ? RecordKey::DirStat(n)
             : info.type == KT::kDirQuotaPart  ? RecordKey::DirQuota(n)
             : info.type == KT::kUserQuotaPart ? RecordKey::UserQuota(n)
                                               : RecordKey::GroupQuota(n);
      *part = static_cast<int>(info.index);
      break;
    case KT::kAcl:
      if (!num_field() || n > UINT32_MAX) return false;
      *key = RecordKey::AclRule(static_cast<uint32_t>(n));
      break;
    case KT::kSessionExpires:
    case KT::kDetached:
      if (!num_field()) return false;
      *key = info.type == KT::kDetached ? RecordKey::Detached(n) : RecordKey::SessionExpire(n);
      *part_value = ScoreText(score);
      return true;
    case KT::kSessionInfos:
      if (!num_field()) return false;
      *key = RecordKey::SessionInfo(n);
      break;
    case KT::kSustained:
      if (!num_field()) return false;
      *key = RecordKey::Sustained(info.n, n);
      *part_value = "1";
      return true;
  }
  part_value->assign(value);
  return true;
}

}  // namespace jfsbr::redis
