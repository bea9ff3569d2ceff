// The Redis family's Meta: JuiceFS's records in JuiceFS's Redis keys
// (redis/schema.h), never TKV keys.
//
// Transactions are Redis's optimistic ones, as JuiceFS's: every place a
// transaction reads is WATCHed first, writes are buffered and sent in one
// MULTI/EXEC, and a nil EXEC (a watched key changed) is a conflict that
// Meta::Transact runs again, so jfsbr and a mounted juicefs can share a
// volume. A snapshot is the RDB a full sync hands a replica (snapshot.h),
// which is also how the full walks (every record, inode shards) read: a
// SCAN of a live keyspace would mix moments. Loads pipeline plain writes on
// several connections into an empty database.
#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

#include "meta/families.h"
#include "model/attr.h"
#include "model/records.h"
#include "redis/client.h"
#include "redis/schema.h"
#include "redis/snapshot.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

using K = RecordKind;
using PT = redis::Place::Type;
using Args = std::vector<std::string>;

constexpr uint64_t kChunkBytes = uint64_t{64} << 20;

std::vector<std::string_view> Views(const Args& a) { return {a.begin(), a.end()}; }

// A record's identity as a map key.
std::string IdOf(const RecordKey& k) {
  std::string s(1, static_cast<char>(k.kind));
  for (uint64_t v : {k.ino, k.other, k.id, uint64_t{k.index}, static_cast<uint64_t>(k.ts)}) {
    s.append(reinterpret_cast<const char*>(&v), 8);
  }
  return s + k.name;
}

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

// The commands that store value at the places of k (plain: into an empty
// database, nothing to replace).
Status WriteCommands(const std::string& prefix, const RecordKey& k, std::string_view value,
                     bool plain, std::vector<Args>* out) {
  auto places = redis::PlacesOf(prefix, k);
  if (places.empty()) return Status::InvalidArgument("cannot store " + Describe(k) + " in redis");
  JFS_ASSIGN_OR_RETURN(auto parts, redis::Decompose(k, value));
  for (size_t i = 0; i < places.size(); i++) {
    const auto& p = places[i];
    std::string& v = parts[i];
    switch (p.type) {
      case PT::kString:
        out->push_back({"SET", p.key, std::move(v)});
        break;
      case PT::kHashField:
        out->push_back({"HSET", p.key, p.member, std::move(v)});
        break;
      case PT::kZsetMember:
        out->push_back({"ZADD", p.key, std::move(v), p.member});
        break;
      case PT::kSetMember:
        out->push_back({"SADD", p.key, p.member});
        break;
      case PT::kList: {
        if (!plain) out->push_back({"DEL", p.key});
        // 24-byte slices, 100 to a command as JuiceFS pushes them.
        for (size_t at = 0; at < v.size();) {
          Args cmd = {"RPUSH", p.key};
          for (int n = 0; n < 100 && at < v.size(); n++, at += kSliceRecordBytes) {
            cmd.push_back(v.substr(at, kSliceRecordBytes));
          }
          out->push_back(std::move(cmd));
        }
        break;
      }
    }
  }
  return Status::OK();
}

void DeleteCommands(const std::string& prefix, const RecordKey& k, std::vector<Args>* out) {
  for (const auto& p : redis::PlacesOf(prefix, k)) {
    switch (p.type) {
      case PT::kString:
      case PT::kList:
        out->push_back({"DEL", p.key});
        break;
      case PT::kHashField:
        out->push_back({"HDEL", p.key, p.member});
        break;
      case PT::kZsetMember:
        out->push_back({"ZREM", p.key, p.member});
        break;
      case PT::kSetMember:
        out->push_back({"SREM", p.key, p.member});
        break;
    }
  }
}

Status AddCommand(const std::string& prefix, const RecordKey& k, int64_t delta,
                  std::vector<Args>* out) {
  auto places = redis::PlacesOf(prefix, k);
  std::string d = std::to_string(delta);
  if (k.kind == K::kCounter && !IsTimestampCounter(k.name)) {
    out->push_back({"INCRBY", places[0].key, d});
  } else if (k.kind == K::kParent || k.kind == K::kSliceRef) {
    out->push_back({"HINCRBY", places[0].key, places[0].member, d});
  } else {
    return Status::InvalidArgument("cannot add to " + Describe(k));
  }
  return Status::OK();
}

class RedisMeta;

// A connection borrowed from the pool, returned when dropped (unless broken).
class Conn {
 public:
  Conn(RedisMeta* m, std::unique_ptr<RedisClient> c) : m_(m), c_(std::move(c)) {}
  Conn(Conn&&) = default;
  ~Conn();
  RedisClient* operator->() { return c_.get(); }
  RedisClient* get() { return c_.get(); }

 private:
  RedisMeta* m_;
  std::unique_ptr<RedisClient> c_;
};

class RedisMeta : public Meta {
 public:
  RedisMeta(RedisUrl url, RedisAddress primary) : url_(std::move(url)), primary_(primary) {}

  Result<Conn> Take() {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return Conn(this, std::move(c));
      }
    }
    JFS_ASSIGN_OR_RETURN(auto c, RedisClient::Connect(url_, primary_));
    return Conn(this, std::move(c));
  }
  void Give(std::unique_ptr<RedisClient> c) {
    if (!c || !c->healthy() || c->pending() > 0) return;
    std::lock_guard<std::mutex> l(mu_);
    if (idle_.size() < 16) idle_.push_back(std::move(c));
  }
  const std::string& prefix() const { return url_.prefix; }

  // ---- reads on one connection (live, or a transaction's) ----

  static Result<std::optional<std::string>> GetOn(RedisClient* c, const std::string& prefix,
                                                  const RecordKey& k) {
    auto places = redis::PlacesOf(prefix, k);
    if (places.empty()) return std::optional<std::string>();
    for (const auto& p : places) c->Append(Views(ReadCommand(p)));
    std::vector<std::optional<std::string>> parts;
    Status first;
    for (const auto& p : places) {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Next());
      if (r.type() == RedisReply::Type::kError) {
        if (first.ok()) first = RedisErrorStatus(c->where(), r.str());
        continue;
      }
      parts.push_back(PlaceValue(p, r));
    }
    JFS_RETURN_IF_ERROR(first);
    return redis::Compose(k, parts);
  }

  static Status ScanOn(RedisClient* c, const std::string& prefix, const RecordRange& r,
                       const RecordFn& fn);

  // ---- Meta ----

  Result<std::optional<std::string>> Get(const RecordKey& k) override {
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    return GetOn(c.get(), prefix(), k);
  }
  Status Scan(const RecordRange& r, const RecordFn& fn) override {
    if (r.shape == RecordRange::Shape::kAll || r.shape == RecordRange::Shape::kInodeShard) {
      // A walk of everything reads one moment.
      JFS_ASSIGN_OR_RETURN(auto snap, Snapshot());
      return snap->Scan(r, fn);
    }
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    return ScanOn(c.get(), prefix(), r, fn);
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override {
    return RedisSnapshot(url_, primary_);
  }
  Result<uint64_t> Version() override {
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    return ReplicationOffset(c.get());
  }
  std::unique_ptr<MetaTxn> Begin() override;
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) override;
  Result<bool> Empty() override {
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    if (url_.mode != RedisUrl::Mode::kCluster) {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"DBSIZE"}));
      return r.integer() == 0;
    }
    bool any = false;
    JFS_RETURN_IF_ERROR(ScanKeys(c.get(), prefix() + "*", [&](std::string_view) {
      any = true;
      return false;
    }));
    return !any;
  }
  Status Clear() override {
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    std::vector<std::string> batch;
    auto flush = [&]() -> Status {
      if (batch.empty()) return Status::OK();
      Args cmd = {"UNLINK"};
      cmd.insert(cmd.end(), batch.begin(), batch.end());
      batch.clear();
      return c->Run(Views(cmd)).status();
    };
    // SCAN may return a key twice and tolerates deletes while it runs.
    Status st = ScanKeys(c.get(), prefix() + "*", [&](std::string_view k) {
      batch.emplace_back(k);
      return true;
    });
    JFS_RETURN_IF_ERROR(st);
    return flush();
  }
  bool CheapSnapshots() const override { return false; }
  std::string Describe() const override { return "redis " + DescribeRedis(url_); }
  std::vector<std::pair<std::string, std::string>> Stats() override {
    auto c = Take();
    if (!c.ok()) return {};
    auto r = (*c)->Run({"INFO", "server"});
    if (!r.ok()) return {};
    std::string_view info = r->str();
    size_t at = info.find("redis_version:");
    if (at == std::string_view::npos) return {};
    std::string_view v = info.substr(at + 14);
    v = v.substr(0, v.find_first_of("\r\n"));
    return {{"redis_version", "\"" + std::string(v) + "\""}};
  }

  // Calls fn for each key matching pattern (fn false: stop).
  static Status ScanKeys(RedisClient* c, const std::string& pattern,
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

 private:
  RedisUrl url_;
  RedisAddress primary_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisClient>> idle_;
};

Conn::~Conn() {
  if (m_ && c_) m_->Give(std::move(c_));
}

// ---- live scans ----

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
      JFS_RETURN_IF_ERROR(RedisMeta::ScanKeys(c, head + "[0-9]*", [&](std::string_view k) {
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
    JFS_RETURN_IF_ERROR(RedisMeta::ScanKeys(c, prefix + pattern, [&](std::string_view k) {
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
      JFS_ASSIGN_OR_RETURN(auto v, RedisMeta::GetOn(c, prefix, RecordKey::Setting()));
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
        JFS_ASSIGN_OR_RETURN(auto v, RedisMeta::GetOn(c, prefix, rk));
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

Status RedisMeta::ScanOn(RedisClient* c, const std::string& prefix, const RecordRange& r,
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
    JFS_ASSIGN_OR_RETURN(auto v, GetOn(c, prefix, k));
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

// ---- transactions ----

class RedisTxn : public MetaTxn {
 public:
  RedisTxn(RedisMeta* m) : m_(m) {}
  ~RedisTxn() override {
    if (conn_ && watching_) (*conn_)->Run({"UNWATCH"});
  }

  Result<std::optional<std::string>> Get(const RecordKey& k) override {
    std::string id = IdOf(k);
    if (auto it = overlay_.find(id); it != overlay_.end()) return it->second;
    JFS_RETURN_IF_ERROR(Open());
    RedisClient* c = conn_->get();
    auto places = redis::PlacesOf(m_->prefix(), k);
    Args watch = {"WATCH"};
    for (const auto& p : places) watch.push_back(p.key);
    if (watch.size() > 1) {
      JFS_RETURN_IF_ERROR(c->Run(Views(watch)).status());
      watching_ = true;
    }
    JFS_ASSIGN_OR_RETURN(auto v, RedisMeta::GetOn(c, m_->prefix(), k));
    if (auto add = adds_.find(id); add != adds_.end()) {
      int64_t n = 0;
      if (v) {
        JFS_ASSIGN_OR_RETURN(n, DecodeCounterLE(*v));
      }
      v = EncodeCounterLE(n + add->second);
    }
    return v;
  }
  Status Scan(const RecordRange& r, const RecordFn& fn) override {
    if (r.shape == RecordRange::Shape::kAll || r.shape == RecordRange::Shape::kInodeShard) {
      return m_->Scan(r, fn);
    }
    JFS_RETURN_IF_ERROR(Open());
    return RedisMeta::ScanOn(conn_->get(), m_->prefix(), r, fn);
  }
  void Put(const RecordKey& key, std::string value) override {
    std::string id = IdOf(key);
    adds_.erase(id);
    overlay_[id] = value;
    ops_.push_back({Op::kPut, key, std::move(value), 0});
  }
  void Delete(const RecordKey& key) override {
    std::string id = IdOf(key);
    adds_.erase(id);
    overlay_[id] = std::nullopt;
    ops_.push_back({Op::kDelete, key, {}, 0});
  }
  void Add(const RecordKey& key, int64_t delta) override {
    std::string id = IdOf(key);
    if (auto it = overlay_.find(id); it != overlay_.end()) {
      int64_t n = 0;
      if (it->second) {
        auto d = DecodeCounterLE(*it->second);
        n = d.ok() ? *d : 0;
      }
      it->second = EncodeCounterLE(n + delta);
    } else {
      adds_[id] += delta;
    }
    ops_.push_back({Op::kAdd, key, {}, delta});
  }
  Status Commit() override {
    if (ops_.empty()) {
      if (conn_ && watching_) JFS_RETURN_IF_ERROR((*conn_)->Run({"UNWATCH"}).status());
      watching_ = false;
      return Status::OK();
    }
    std::vector<Args> cmds;
    for (const auto& op : ops_) {
      switch (op.kind) {
        case Op::kPut:
          JFS_RETURN_IF_ERROR(WriteCommands(m_->prefix(), op.key, op.value, false, &cmds));
          break;
        case Op::kDelete:
          DeleteCommands(m_->prefix(), op.key, &cmds);
          break;
        case Op::kAdd:
          JFS_RETURN_IF_ERROR(AddCommand(m_->prefix(), op.key, op.delta, &cmds));
          break;
      }
    }
    JFS_RETURN_IF_ERROR(Open());
    RedisClient* c = conn_->get();
    c->Append({"MULTI"});
    for (const auto& cmd : cmds) c->Append(Views(cmd));
    c->Append({"EXEC"});
    watching_ = false;  // EXEC (or its abort) ends the watch
    Status queued;
    for (size_t i = 0; i < cmds.size() + 1; i++) {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Next());
      if (r.type() == RedisReply::Type::kError && queued.ok()) {
        queued = RedisErrorStatus(c->where(), r.str());
      }
    }
    JFS_ASSIGN_OR_RETURN(RedisReply exec, c->Next());
    JFS_RETURN_IF_ERROR(queued);
    if (exec.type() == RedisReply::Type::kError) return RedisErrorStatus(c->where(), exec.str());
    if (exec.nil()) return Status::Conflict("redis: a watched key changed");
    for (size_t i = 0; i < exec.size(); i++) {
      if (exec.at(i).type() == RedisReply::Type::kError) {
        return RedisErrorStatus(c->where(), exec.at(i).str());
      }
    }
    ops_.clear();
    return Status::OK();
  }

 private:
  struct Op {
    enum Kind { kPut, kDelete, kAdd } kind;
    RecordKey key;
    std::string value;
    int64_t delta;
  };
  Status Open() {
    if (conn_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(Conn c, m_->Take());
    conn_.emplace(std::move(c));
    return Status::OK();
  }

  RedisMeta* m_;
  std::optional<Conn> conn_;
  bool watching_ = false;
  std::vector<Op> ops_;
  std::unordered_map<std::string, std::optional<std::string>> overlay_;
  std::unordered_map<std::string, int64_t> adds_;  // pending adds to records not read or put
};

std::unique_ptr<MetaTxn> RedisMeta::Begin() { return std::make_unique<RedisTxn>(this); }

// ---- bulk loads ----

// Loads pipeline plain writes, and few of them: the writes of a batch that
// go to one key become one command (HSET of many fields, RPUSH of many
// slices, SADD, ZADD), and string keys one MSET, as JuiceFS's load batches
// them; a batch is sent on a connection of its own while the next fills.
class RedisBulkWriter : public MetaBulkWriter {
 public:
  RedisBulkWriter(RedisMeta* m, int threads) : m_(m), group_(std::max(1, threads)) {}
  ~RedisBulkWriter() override { group_.Wait(); }

  Status Put(const RecordKey& key, std::string value) override {
    // A list is appended to: a chunk met twice would double its slices
    // (other records are overwritten, the last one counting, as in TKV).
    if (key.kind == K::kChunk) chunks_.emplace_back(key.ino, key.index);
    scratch_.clear();
    JFS_RETURN_IF_ERROR(WriteCommands(m_->prefix(), key, value, /*plain=*/true, &scratch_));
    for (auto& cmd : scratch_) Add(std::move(cmd));
    records_++;
    if (args_ >= kBatchArgs) return Flush();
    return Status::OK();
  }
  Status Finish() override {
    JFS_RETURN_IF_ERROR(Flush());
    JFS_RETURN_IF_ERROR(group_.Wait());
    std::sort(chunks_.begin(), chunks_.end());
    auto dup = std::adjacent_find(chunks_.begin(), chunks_.end());
    if (dup != chunks_.end()) {
      return Status::Corruption("the dump names the same record twice (a damaged dump?): " +
                                Describe(RecordKey::Chunk(dup->first, dup->second)));
    }
    return Status::OK();
  }
  uint64_t records() const override { return records_; }

 private:
  static constexpr size_t kBatchArgs = 60000;  // about 2-4 MiB of commands
  static constexpr size_t kCommandArgs = 512;  // arguments of one merged command

  void Add(Args cmd) {
    const std::string& name = cmd[0];
    bool set = name == "SET";
    if (!set && name != "HSET" && name != "RPUSH" && name != "SADD" && name != "ZADD") {
      args_ += cmd.size();
      cmds_.push_back(std::move(cmd));
      return;
    }
    std::string slot = set ? std::string("MSET") : name + '\0' + cmd[1];
    auto it = open_.find(slot);
    if (it == open_.end() || cmds_[it->second].size() >= kCommandArgs) {
      if (set) cmd[0] = "MSET";
      open_[slot] = cmds_.size();
      args_ += cmd.size();
      cmds_.push_back(std::move(cmd));
      return;
    }
    Args& into = cmds_[it->second];
    for (size_t i = set ? 1 : 2; i < cmd.size(); i++) into.push_back(std::move(cmd[i]));
    args_ += cmd.size() - (set ? 1 : 2);
  }

  Status Flush() {
    if (cmds_.empty()) return Status::OK();
    auto cmds = std::make_shared<std::vector<Args>>(std::move(cmds_));
    cmds_.clear();
    open_.clear();
    args_ = 0;
    return group_.Submit([this, cmds]() -> Status {
      std::string resp;
      for (const auto& cmd : *cmds) EncodeRedisCommand(cmd, &resp);
      JFS_ASSIGN_OR_RETURN(Conn c, m_->Take());
      c->AppendEncoded(resp, cmds->size());
      return c->Drain();
    });
  }

  RedisMeta* m_;
  TaskGroup group_;
  std::vector<Args> cmds_, scratch_;
  std::unordered_map<std::string, size_t> open_;  // a mergeable command's key -> its place
  size_t args_ = 0;
  uint64_t records_ = 0;
  std::vector<std::pair<Ino, uint32_t>> chunks_;  // 12 bytes a chunk, checked at the end
};

std::unique_ptr<MetaBulkWriter> RedisMeta::NewBulkWriter(int threads) {
  return std::make_unique<RedisBulkWriter>(this, threads);
}

}  // namespace

Result<std::unique_ptr<Meta>> OpenRedisMeta(std::string_view url, bool create) {
  JFS_ASSIGN_OR_RETURN(RedisUrl u, ParseRedisUrl(url));
  JFS_ASSIGN_OR_RETURN(RedisAddress primary, ResolveRedisMaster(u));
  auto meta = std::make_unique<RedisMeta>(u, primary);
  // Reach the server now: a wrong address or password is reported by the
  // command that opened it, in one line.
  JFS_ASSIGN_OR_RETURN(Conn c, meta->Take());
  if (u.mode == RedisUrl::Mode::kServer) {
    // A server that is a cluster node: JuiceFS then prefixes every key.
    auto info = c->Run({"INFO", "cluster"});
    if (info.ok() && info->str().find("cluster_enabled:1") != std::string_view::npos) {
      u.mode = RedisUrl::Mode::kCluster;
      u.prefix = "{" + std::to_string(u.db) + "}";
      JFS_ASSIGN_OR_RETURN(primary, ResolveRedisMaster(u));
      meta = std::make_unique<RedisMeta>(u, primary);
    }
  }
  (void)create;  // a Redis database always exists
  return std::unique_ptr<Meta>(std::move(meta));
}

}  // namespace jfsbr
