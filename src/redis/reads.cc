// Reads of a live Redis volume (see reads.h).
#include "redis/reads.h"

#include <algorithm>
#include <map>

#include "model/attr.h"
#include "model/records.h"
#include "redis/schema.h"

namespace jfsbr {
namespace {

using K = RecordKind;
using PT = redis::Place::Type;
using Args = std::vector<std::string>;

constexpr uint64_t kChunkBytes = uint64_t{64} << 20;

std::vector<std::string_view> Views(const Args& a) { return {a.begin(), a.end()}; }

// The command that reads a place, and its reply as the place's value.
Args ReadCommand(const redis::Place& p) {
  switch (p.type) {
    case PT::kString:
      return {"GET", p.key};
    case PT::kHashField:
      return {"HGET", p.key, p.member};
    case PT::kList:
      return {"LRANGE", p.key, "0", "-1"};
    case PT::kZsetMember:
      return {"ZSCORE", p.key, p.member};
    case PT::kSetMember:
      return {"SISMEMBER", p.key, p.member};
  }
  return {};
}
std::optional<std::string> PlaceValue(const redis::Place& p, const RedisReply& r) {
  switch (p.type) {
    case PT::kList: {
      if (r.size() == 0) return std::nullopt;
      std::string v;
      for (size_t i = 0; i < r.size(); i++) v.append(r.at(i).str());
      return v;
    }
    case PT::kSetMember:
      if (r.integer() == 0) return std::nullopt;
      return std::string("1");
    default:
      if (r.nil()) return std::nullopt;
      return std::string(r.str());
  }
}

// Every field and value of a hash, sorted by field (bytewise).
Result<std::vector<std::pair<std::string, std::string>>> SortedHash(RedisClient* c,
                                                                    const std::string& key) {
  JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"HGETALL", key}));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(r.size() / 2);
  for (size_t i = 0; i + 1 < r.size(); i += 2) {
    out.emplace_back(std::string(r.at(i).str()), std::string(r.at(i + 1).str()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Emits every element of one key (hash fields, set or zset members) as the
// records they are; multi-part records are not handled here.
Status EmitKey(RedisClient* c, const std::string& key, const redis::KeyInfo& info,
               const RecordFn& fn, bool* stopped) {
  RecordKey rk;
  int part;
  std::string pv;
  std::vector<std::optional<std::string>> parts(1);
  auto emit = [&](std::string_view field, std::string_view value, double score) -> Status {
    if (*stopped || !redis::ElementRecord(info, field, value, score, &rk, &part, &pv)) {
      return Status::OK();
    }
    parts[0] = pv;
    JFS_ASSIGN_OR_RETURN(auto v, redis::Compose(rk, parts));
    if (v && !fn(rk, *v)) *stopped = true;
    return Status::OK();
  };
  using KT = redis::KeyInfo::Type;
  switch (info.type) {
    case KT::kDelFiles:
    case KT::kSessionExpires:
    case KT::kDetached: {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"ZRANGE", key, "0", "-1", "WITHSCORES"}));
      for (size_t i = 0; i + 1 < r.size() && !*stopped; i += 2) {
        double score = std::strtod(std::string(r.at(i + 1).str()).c_str(), nullptr);
        JFS_RETURN_IF_ERROR(emit(r.at(i).str(), "", score));
      }
      return Status::OK();
    }
    case KT::kSustained: {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"SMEMBERS", key}));
      for (size_t i = 0; i < r.size() && !*stopped; i++)
        JFS_RETURN_IF_ERROR(emit(r.at(i).str(), "", 0));
      return Status::OK();
    }
    default: {
      JFS_ASSIGN_OR_RETURN(auto fields, SortedHash(c, key));
      for (const auto& [f, v] : fields) {
        if (*stopped) break;
        JFS_RETURN_IF_ERROR(emit(f, v, 0));
      }
      return Status::OK();
    }
  }
}

// The chunk indexes a file's length reaches, as JuiceFS derives them.
Result<uint32_t> ChunkCount(RedisClient* c, const std::string& prefix, Ino ino) {
  JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"GET", prefix + "i" + std::to_string(ino)}));
  if (r.nil()) return uint32_t{0};
  auto attr = DecodeAttr(r.str());
  if (!attr.ok() || attr->type != FileType::kFile) return uint32_t{0};
  return static_cast<uint32_t>((attr->length + kChunkBytes - 1) / kChunkBytes);
}

// The chunks of ino in [first, last): probed where the range is bounded,
// else up to the attr's length; an inode without an attr (a deleted file's
// data) has its chunk keys found by a SCAN of the keyspace.
Status ScanChunks(RedisClient* c, const std::string& prefix, Ino ino, uint32_t first, uint32_t last,
                  const RecordFn& fn, bool* stopped) {
  if (last == UINT32_MAX) {
    JFS_ASSIGN_OR_RETURN(RedisReply attr, c->Run({"EXISTS", prefix + "i" + std::to_string(ino)}));
    if (attr.integer() == 0) {
      std::vector<uint32_t> found;
      const std::string head = prefix + "c" + std::to_string(ino) + "_";
      JFS_RETURN_IF_ERROR(ScanKeyNames(c, head + "[0-9]*", [&](std::string_view k) {
        auto info = redis::ParseKey(k.substr(prefix.size()));
        if (info.type == redis::KeyInfo::Type::kChunk && info.n == ino && info.index >= first) {
          found.push_back(info.index);
        }
        return true;
      }));
      if (found.empty()) return Status::OK();
      last = *std::max_element(found.begin(), found.end()) + 1;
    } else {
      JFS_ASSIGN_OR_RETURN(uint32_t n, ChunkCount(c, prefix, ino));
      last = n;
    }
  }
  for (uint32_t i = first; i < last && !*stopped;) {
    uint32_t end = std::min<uint32_t>(last, i + 256);
    for (uint32_t k = i; k < end; k++) {
      c->Append(
          {"LRANGE", prefix + "c" + std::to_string(ino) + "_" + std::to_string(k), "0", "-1"});
    }
    for (uint32_t k = i; k < end; k++) {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Next());
      if (r.type() == RedisReply::Type::kError) {
        Status st = RedisErrorStatus(c->where(), r.str());
        JFS_RETURN_IF_ERROR(c->Drain());
        return st;
      }
      if (r.size() == 0 || *stopped) continue;
      std::string v;
      for (size_t e = 0; e < r.size(); e++) v.append(r.at(e).str());
      if (!fn(RecordKey::Chunk(ino, k), v)) *stopped = true;
    }
    i = end;
  }
  return Status::OK();
}

// The records of several hashes that make one record per field (dir
// stats, quotas), merged.
Status ScanMerged(RedisClient* c, const std::string& prefix, RecordKind kind, const RecordFn& fn,
                  bool* stopped) {
  RecordKey sample = kind == K::kDirStat     ? RecordKey::DirStat(0)
                     : kind == K::kDirQuota  ? RecordKey::DirQuota(0)
                     : kind == K::kUserQuota ? RecordKey::UserQuota(0)
                                             : RecordKey::GroupQuota(0);
  auto places = redis::PlacesOf(prefix, sample);
  std::map<uint64_t, std::vector<std::optional<std::string>>> merged;
  for (size_t i = 0; i < places.size(); i++) {
    JFS_ASSIGN_OR_RETURN(auto fields, SortedHash(c, places[i].key));
    for (auto& [f, v] : fields) {
      uint64_t n = std::strtoull(f.c_str(), nullptr, 10);
      auto& parts = merged[n];
      parts.resize(places.size());
      parts[i] = std::move(v);
    }
  }
  for (auto& [n, parts] : merged) {
    if (*stopped) break;
    RecordKey k = kind == K::kDirStat     ? RecordKey::DirStat(n)
                  : kind == K::kDirQuota  ? RecordKey::DirQuota(n)
                  : kind == K::kUserQuota ? RecordKey::UserQuota(n)
                                          : RecordKey::GroupQuota(n);
    JFS_ASSIGN_OR_RETURN(auto v, redis::Compose(k, parts));
    if (v && !fn(k, *v)) *stopped = true;
  }
  return Status::OK();
}

// Every record of one kind.
Status ScanKind(RedisClient* c, const std::string& prefix, RecordKind kind, const RecordFn& fn,
                bool* stopped) {
  auto one_key = [&](const std::string& name) {
    return EmitKey(c, prefix + name, redis::ParseKey(name), fn, stopped);
  };
  auto by_pattern = [&](const std::string& pattern) -> Status {
    std::vector<std::string> keys;
    JFS_RETURN_IF_ERROR(ScanKeyNames(c, prefix + pattern, [&](std::string_view k) {
      keys.emplace_back(k);
      return true;
    }));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& key : keys) {
      if (*stopped) break;
      auto info = redis::ParseKey(std::string_view(key).substr(prefix.size()));
      RecordKey rk;
      int part;
      std::string pv;
      if (info.type == redis::KeyInfo::Type::kUnknown) continue;
      if (info.type == redis::KeyInfo::Type::kChunk) {
        JFS_RETURN_IF_ERROR(ScanChunks(c, prefix, info.n, info.index, info.index + 1, fn, stopped));
        continue;
      }
      if (info.type == redis::KeyInfo::Type::kAttr || info.type == redis::KeyInfo::Type::kSymlink ||
          info.type == redis::KeyInfo::Type::kTool) {
        JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"GET", key}));
        if (r.nil() || !redis::ElementRecord(info, "", r.str(), 0, &rk, &part, &pv)) continue;
        if (!fn(rk, pv)) *stopped = true;
        continue;
      }
      JFS_RETURN_IF_ERROR(EmitKey(c, key, info, fn, stopped));
    }
    return Status::OK();
  };
  switch (kind) {
    case K::kSetting: {
      JFS_ASSIGN_OR_RETURN(auto v, GetRecord(c, prefix, RecordKey::Setting()));
      if (v && !fn(RecordKey::Setting(), *v)) *stopped = true;
      return Status::OK();
    }
    case K::kTool:
      return by_pattern("jfsbr/*");
    case K::kCounter: {
      for (auto name : redis::CounterKeys()) {
        if (*stopped) break;
        auto info = redis::ParseKey(name);
        RecordKey rk = RecordKey::Counter(info.name);
        JFS_ASSIGN_OR_RETURN(auto v, GetRecord(c, prefix, rk));
        if (v && !fn(rk, *v)) *stopped = true;
      }
      return Status::OK();
    }
    case K::kAttr:
      return by_pattern("i[0-9]*");
    case K::kEntry:
      return by_pattern("d[0-9]*");
    case K::kParent:
      return by_pattern("p[0-9]*");
    case K::kChunk:
      return by_pattern("c[0-9]*_[0-9]*");
    case K::kSymlink:
      return by_pattern("s[0-9]*");
    case K::kXattr:
      return by_pattern("x[0-9]*");
    case K::kSustained:
      return by_pattern("session[0-9]*");
    case K::kDelFile:
      return one_key("delfiles");
    case K::kSliceRef:
      return one_key("sliceRef");
    case K::kDelayedSlices:
      return one_key("delSlices");
    case K::kAclRule:
      return one_key("acl");
    case K::kSessionExpire:
      return one_key("allSessions");
    case K::kSessionInfo:
      return one_key("sessionInfos");
    case K::kDetached:
      return one_key("detachedNodes");
    case K::kDirStat:
    case K::kDirQuota:
    case K::kUserQuota:
    case K::kGroupQuota:
      return ScanMerged(c, prefix, kind, fn, stopped);
    case K::kUnknown:
      return Status::OK();
  }
  return Status::OK();
}

}  // namespace

Result<std::optional<std::string>> GetRecord(RedisClient* c, const std::string& prefix,
                                             const RecordKey& k) {
  JFS_ASSIGN_OR_RETURN(auto values, GetRecords(c, prefix, {&k, 1}));
  return std::move(values[0]);
}

Result<std::vector<std::optional<std::string>>> GetRecords(RedisClient* c,
                                                           const std::string& prefix,
                                                           std::span<const RecordKey> keys) {
  std::vector<std::vector<redis::Place>> places;
  places.reserve(keys.size());
  for (const auto& k : keys) {
    places.push_back(redis::PlacesOf(prefix, k));
    for (const auto& p : places.back()) c->Append(Views(ReadCommand(p)));
  }
  // Every reply is read before anything is returned: the connection goes
  // back to the pool with nothing pending.
  std::vector<std::vector<std::optional<std::string>>> parts(keys.size());
  Status first;
  for (size_t i = 0; i < keys.size(); i++) {
    for (const auto& p : places[i]) {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Next());
      if (r.type() == RedisReply::Type::kError) {
        if (first.ok()) first = RedisErrorStatus(c->where(), r.str());
        continue;
      }
      parts[i].push_back(PlaceValue(p, r));
    }
  }
  JFS_RETURN_IF_ERROR(first);
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); i++) {
    if (places[i].empty()) continue;
    JFS_ASSIGN_OR_RETURN(out[i], redis::Compose(keys[i], parts[i]));
  }
  return out;
}

Status ScanKeyNames(RedisClient* c, const std::string& pattern,
                    const std::function<bool(std::string_view)>& fn) {
  std::string cursor = "0";
  do {
    JFS_ASSIGN_OR_RETURN(RedisReply r,
                         c->Run({"SCAN", cursor, "MATCH", pattern, "COUNT", "10000"}));
    if (r.size() != 2) return Status::Corruption("redis " + c->where() + ": odd SCAN reply");
    cursor = std::string(r.at(0).str());
    RedisReply keys = r.at(1);
    for (size_t i = 0; i < keys.size(); i++) {
      if (!fn(keys.at(i).str())) return Status::OK();
    }
  } while (cursor != "0");
  return Status::OK();
}

Status ScanRecords(RedisClient* c, const std::string& prefix, const RecordRange& r,
                   const RecordFn& fn) {
  using Shape = RecordRange::Shape;
  bool stopped = false;
  std::string ino = std::to_string(r.ino);
  auto hash = [&](char type, const std::string& from,
                  const std::function<RecordKey(std::string_view)>& key_of,
                  bool numeric) -> Status {
    JFS_ASSIGN_OR_RETURN(auto fields, SortedHash(c, prefix + type + ino));
    if (numeric) {
      std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
        return std::strtoull(a.first.c_str(), nullptr, 10) <
               std::strtoull(b.first.c_str(), nullptr, 10);
      });
    }
    for (const auto& [f, v] : fields) {
      if (stopped) break;
      if (f < from) continue;
      RecordKey k = key_of(f);
      std::string value = v;
      if (type == 'p') {
        JFS_ASSIGN_OR_RETURN(auto composed, redis::Compose(k, {v}));
        value = *composed;
      }
      if (!fn(k, value)) stopped = true;
    }
    return Status::OK();
  };
  auto entries = [&](const std::string& from) {
    return hash(
        'd', from, [&](std::string_view n) { return RecordKey::Entry(r.ino, n); }, false);
  };
  auto xattrs = [&]() {
    return hash(
        'x', "", [&](std::string_view n) { return RecordKey::Xattr(r.ino, n); }, false);
  };
  auto parents = [&]() {
    return hash(
        'p', "",
        [&](std::string_view n) {
          return RecordKey::Parent(r.ino, std::strtoull(std::string(n).c_str(), nullptr, 10));
        },
        true);
  };
  auto single = [&](const RecordKey& k) -> Status {
    if (stopped) return Status::OK();
    JFS_ASSIGN_OR_RETURN(auto v, GetRecord(c, prefix, k));
    if (v && !fn(k, *v)) stopped = true;
    return Status::OK();
  };
  switch (r.shape) {
    case Shape::kKind:
      return ScanKind(c, prefix, r.kind, fn, &stopped);
    case Shape::kOfInode:
      switch (r.kind) {
        case K::kEntry:
          return entries(r.from);
        case K::kXattr:
          return xattrs();
        case K::kParent:
          return parents();
        case K::kChunk:
          return ScanChunks(c, prefix, r.ino, r.first, r.last, fn, &stopped);
        default:
          return Status::InvalidArgument("no such inode range in redis");
      }
    case Shape::kInode:
    case Shape::kNode:
      JFS_RETURN_IF_ERROR(single(RecordKey::Attr(r.ino)));
      if (r.shape == Shape::kInode && !stopped) JFS_RETURN_IF_ERROR(entries(""));
      if (!stopped) JFS_RETURN_IF_ERROR(parents());
      if (!stopped) JFS_RETURN_IF_ERROR(ScanChunks(c, prefix, r.ino, 0, UINT32_MAX, fn, &stopped));
      JFS_RETURN_IF_ERROR(single(RecordKey::Symlink(r.ino)));
      if (!stopped) JFS_RETURN_IF_ERROR(xattrs());
      return Status::OK();
    default:
      return Status::InvalidArgument("redis: a full walk reads a snapshot");
  }
}

}  // namespace jfsbr
