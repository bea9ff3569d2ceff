// RDB snapshot to records in a scratch engine (see snapshot.h).
#include "redis/snapshot.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "redis/client.h"
#include "redis/replica.h"
#include "redis/schema.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"

namespace jfsbr {
namespace {

using KT = redis::KeyInfo::Type;

// The Redis type each kind of key must have; another is not JuiceFS's.
RedisType ExpectedType(KT t) {
  switch (t) {
    case KT::kSetting:
    case KT::kTool:
    case KT::kCounter:
    case KT::kAttr:
    case KT::kSymlink:
      return RedisType::kString;
    case KT::kChunk:
      return RedisType::kList;
    case KT::kDelFiles:
    case KT::kSessionExpires:
    case KT::kDetached:
      return RedisType::kZset;
    case KT::kSustained:
      return RedisType::kSet;
    default:
      return RedisType::kHash;
  }
}

// Files each element's record through a bulk writer.
class RecordFiler : public RdbVisitor {
 public:
  RecordFiler(int db, std::string prefix, MetaBulkWriter* out)
      : db_(static_cast<uint64_t>(db)), prefix_(std::move(prefix)), out_(out) {}

  Status BeginKey(uint64_t db, std::string_view key, RedisType type) override {
    skip_ = db != db_ || !key.starts_with(prefix_);
    if (skip_) return Status::OK();
    info_ = redis::ParseKey(key.substr(prefix_.size()));
    skip_ = info_.type == KT::kUnknown || type != ExpectedType(info_.type);
    chunk_.clear();
    return Status::OK();
  }
  Status Element(std::string_view field, std::string_view value, double score) override {
    if (skip_) return Status::OK();
    if (info_.type == KT::kChunk) {
      chunk_.append(value);
      return Status::OK();
    }
    if (!redis::ElementRecord(info_, field, value, score, &key_, &part_, &part_value_)) {
      return Status::OK();
    }
    if (key_.kind == RecordKind::kDirStat || key_.kind == RecordKind::kDirQuota ||
        key_.kind == RecordKind::kUserQuota || key_.kind == RecordKind::kGroupQuota) {
      uint64_t n = key_.kind == RecordKind::kDirStat || key_.kind == RecordKind::kDirQuota
                       ? key_.ino
                       : key_.id;
      merged_[{key_.kind, n}][part_] = part_value_;
      return Status::OK();
    }
    if (key_.kind == RecordKind::kSetting) seen_setting_ = true;
    if (key_.kind == RecordKind::kCounter) seen_counters_.insert(key_.name);
    parts_.assign(1, std::move(part_value_));
    JFS_ASSIGN_OR_RETURN(auto v, redis::Compose(key_, parts_));
    if (!v) return Status::OK();
    return out_->Put(key_, std::move(*v));
  }
  Status EndKey() override {
    if (skip_ || info_.type != KT::kChunk || chunk_.empty()) return Status::OK();
    return out_->Put(RecordKey::Chunk(info_.n, info_.index), std::move(chunk_));
  }
  // The records kept in several hashes, once every part was seen; the
  // counters a missing key stands for (nextinode: the next id is 1).
  Status Finish() {
    for (auto name : redis::CounterKeys()) {
      RecordKey k = RecordKey::Counter(redis::ParseKey(name).name);
      if (!seen_setting_ || seen_counters_.count(k.name)) continue;
      JFS_ASSIGN_OR_RETURN(auto v, redis::Compose(k, {std::nullopt}));
      if (v) JFS_RETURN_IF_ERROR(out_->Put(k, std::move(*v)));
    }
    for (auto& [id, parts] : merged_) {
      RecordKey k;
      switch (id.first) {
        case RecordKind::kDirStat:
          k = RecordKey::DirStat(id.second);
          break;
        case RecordKind::kDirQuota:
          k = RecordKey::DirQuota(id.second);
          break;
        case RecordKind::kUserQuota:
          k = RecordKey::UserQuota(id.second);
          break;
        default:
          k = RecordKey::GroupQuota(id.second);
          break;
      }
      std::vector<std::optional<std::string>> v(parts.begin(), parts.end());
      JFS_ASSIGN_OR_RETURN(auto value, redis::Compose(k, v));
      if (value) JFS_RETURN_IF_ERROR(out_->Put(k, std::move(*value)));
    }
    merged_.clear();
    return Status::OK();
  }

 private:
  uint64_t db_;
  std::string prefix_;
  MetaBulkWriter* out_;
  bool skip_ = true;
  redis::KeyInfo info_;
  std::string chunk_;
  RecordKey key_;
  int part_ = 0;
  std::string part_value_;
  std::vector<std::optional<std::string>> parts_;
  bool seen_setting_ = false;
  std::set<std::string> seen_counters_;
  std::map<std::pair<RecordKind, uint64_t>, std::array<std::optional<std::string>, 3>> merged_;
};

// The scratch engine's snapshot, owning the engine and its directory.
class ScratchSnapshot : public MetaSnapshot {
 public:
  ScratchSnapshot(std::unique_ptr<Meta> meta, std::unique_ptr<MetaSnapshot> snap, std::string dir,
                  uint64_t version)
      : meta_(std::move(meta)), snap_(std::move(snap)), dir_(std::move(dir)), version_(version) {}
  ~ScratchSnapshot() override {
    snap_.reset();
    meta_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Result<std::optional<std::string>> Get(const RecordKey& k) override { return snap_->Get(k); }
  Status Scan(const RecordRange& r, const RecordFn& fn) override { return snap_->Scan(r, fn); }
  Status ScanMany(const std::vector<RecordRange>& r, const RangeRecordFn& fn) override {
    return snap_->ScanMany(r, fn);
  }
  uint64_t version() const override { return version_; }

 private:
  std::unique_ptr<Meta> meta_;
  std::unique_ptr<MetaSnapshot> snap_;
  std::string dir_;
  uint64_t version_;
};

}  // namespace

Result<uint64_t> ReplicationOffset(RedisClient* c) {
  JFS_ASSIGN_OR_RETURN(RedisReply r, c->Run({"INFO", "replication"}));
  std::string_view info = r.str();
  size_t at = info.find("master_repl_offset:");
  if (at == std::string_view::npos) return uint64_t{0};
  return std::strtoull(std::string(info.substr(at + 19, 24)).c_str(), nullptr, 10);
}

namespace {

// The records feed() hands filer, filed in a scratch RocksDB, as a snapshot.
Result<std::unique_ptr<MetaSnapshot>> FiledSnapshot(
    int db, const std::string& prefix, uint64_t version, const std::string& scratch_dir,
    const std::function<Status(RdbVisitor*)>& feed) {
  std::string parent = scratch_dir;
  if (parent.empty()) parent = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  std::string tmpl = parent + "/jfsbr-redis-snapshot-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    return Status::IOError("cannot make a scratch directory in " + parent + ": " + strerror(errno));
  }
  std::string dir = tmpl;
  auto cleanup = [&](Status st) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return st;
  };
  auto engine = OpenEngine("rocksdb://" + dir + "/db?scratch", /*create=*/true);
  if (!engine.ok()) return cleanup(engine.status());
  std::unique_ptr<Meta> meta = NewTkvMeta(std::move(*engine));
  {
    auto writer = meta->NewBulkWriter(2);
    RecordFiler filer(db, prefix, writer.get());
    Status st = feed(&filer);
    if (st.ok()) st = filer.Finish();
    Status fin = writer->Finish();
    if (st.ok()) st = fin;
    if (!st.ok()) {
      meta.reset();
      return cleanup(st);
    }
  }
  auto snap = meta->Snapshot();
  if (!snap.ok()) {
    meta.reset();
    return cleanup(snap.status());
  }
  return std::unique_ptr<MetaSnapshot>(
      new ScratchSnapshot(std::move(meta), std::move(*snap), dir, version));
}

RedisType TypeNamed(std::string_view t) {
  return t == "hash"   ? RedisType::kHash
         : t == "list" ? RedisType::kList
         : t == "set"  ? RedisType::kSet
         : t == "zset" ? RedisType::kZset
                       : RedisType::kString;
}

// Every key under prefix, read one by one (SCAN, then its type and its
// elements, pipelined a page at a time), into visitor.
Status ScanKeysInto(RedisClient* c, uint64_t db, const std::string& prefix, RdbVisitor* v) {
  std::string cursor = "0";
  std::vector<std::string> keys;
  do {
    JFS_ASSIGN_OR_RETURN(RedisReply page,
                         c->Run({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"}));
    if (page.size() != 2) return Status::Corruption("redis " + c->where() + ": odd SCAN reply");
    cursor = std::string(page.at(0).str());
    keys.clear();
    for (size_t i = 0; i < page.at(1).size(); i++) keys.emplace_back(page.at(1).at(i).str());
    for (const auto& k : keys) c->Append({"TYPE", k});
    std::vector<RedisType> types;
    for (size_t i = 0; i < keys.size(); i++) {
      JFS_ASSIGN_OR_RETURN(RedisReply t, c->Next());
      types.push_back(TypeNamed(t.str()));
      if (t.str() == "none" || t.str() == "stream")
        types.back() = RedisType::kString, keys[i].clear();
    }
    for (size_t i = 0; i < keys.size(); i++) {
      const std::string& k = keys[i];
      if (k.empty()) {
        c->Append({"PING"});
        continue;
      }
      switch (types[i]) {
        case RedisType::kString:
          c->Append({"GET", k});
          break;
        case RedisType::kHash:
          c->Append({"HGETALL", k});
          break;
        case RedisType::kList:
          c->Append({"LRANGE", k, "0", "-1"});
          break;
        case RedisType::kSet:
          c->Append({"SMEMBERS", k});
          break;
        case RedisType::kZset:
          c->Append({"ZRANGE", k, "0", "-1", "WITHSCORES"});
          break;
      }
    }
    for (size_t i = 0; i < keys.size(); i++) {
      JFS_ASSIGN_OR_RETURN(RedisReply r, c->Next());
      if (keys[i].empty() || r.type() == RedisReply::Type::kError || r.nil()) continue;
      JFS_RETURN_IF_ERROR(v->BeginKey(db, keys[i], types[i]));
      switch (types[i]) {
        case RedisType::kString:
          JFS_RETURN_IF_ERROR(v->Element("", r.str(), 0));
          break;
        case RedisType::kList:
          for (size_t e = 0; e < r.size(); e++)
            JFS_RETURN_IF_ERROR(v->Element("", r.at(e).str(), 0));
          break;
        case RedisType::kSet:
          for (size_t e = 0; e < r.size(); e++)
            JFS_RETURN_IF_ERROR(v->Element(r.at(e).str(), "", 0));
          break;
        case RedisType::kHash:
          for (size_t e = 0; e + 1 < r.size(); e += 2) {
            JFS_RETURN_IF_ERROR(v->Element(r.at(e).str(), r.at(e + 1).str(), 0));
          }
          break;
        case RedisType::kZset:
          for (size_t e = 0; e + 1 < r.size(); e += 2) {
            double score = std::strtod(std::string(r.at(e + 1).str()).c_str(), nullptr);
            JFS_RETURN_IF_ERROR(v->Element(r.at(e).str(), "", score));
          }
          break;
      }
      JFS_RETURN_IF_ERROR(v->EndKey());
    }
  } while (cursor != "0");
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<MetaSnapshot>> SnapshotFromRdb(Source* source, int db,
                                                      const std::string& prefix, uint64_t version,
                                                      const std::string& scratch_dir) {
  return FiledSnapshot(db, prefix, version, scratch_dir,
                       [&](RdbVisitor* v) { return ReadRdb(source, v).status(); });
}

Result<std::unique_ptr<MetaSnapshot>> RedisSnapshot(const RedisUrl& url,
                                                    const RedisAddress& primary) {
  // A primary that is already saving a snapshot for another replica hands
  // a new one that snapshot, which may predate this call: writes finished
  // before it would be missing. So the offset it names must not be below
  // the primary's offset now; else wait for that save to end and ask again.
  JFS_ASSIGN_OR_RETURN(auto client, RedisClient::Connect(url, primary));
  const int db = url.mode == RedisUrl::Mode::kCluster ? 0 : url.db;
  if (url.scan_snapshot) {
    JFS_ASSIGN_OR_RETURN(uint64_t now, ReplicationOffset(client.get()));
    return FiledSnapshot(db, url.prefix, now, "", [&](RdbVisitor* v) {
      return ScanKeysInto(client.get(), static_cast<uint64_t>(db), url.prefix, v);
    });
  }
  for (int attempt = 0;; attempt++) {
    JFS_ASSIGN_OR_RETURN(uint64_t now, ReplicationOffset(client.get()));
    JFS_ASSIGN_OR_RETURN(auto link, ReplicaLink::Open(url, primary));
    JFS_ASSIGN_OR_RETURN(auto sync, link->StartFullSync(/*rdb_only=*/true));
    if (sync.offset < now && attempt < 5) {
      link.reset();
      for (int i = 0; i < 600; i++) {  // a minute at most
        auto info = client->Run({"INFO", "persistence"});
        if (!info.ok() || info->str().find("rdb_bgsave_in_progress:1") == std::string_view::npos) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    return SnapshotFromRdb(link->rdb(), db, url.prefix, sync.offset);
  }
}

}  // namespace jfsbr
