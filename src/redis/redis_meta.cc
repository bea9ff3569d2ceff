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
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "meta/families.h"
#include "model/attr.h"
#include "model/records.h"
#include "redis/client.h"
#include "redis/reads.h"
#include "redis/schema.h"
#include "redis/snapshot.h"
#include "util/external_sorter.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

using K = RecordKind;
using PT = redis::Place::Type;
using Args = std::vector<std::string>;

std::vector<std::string_view> Views(const Args& a) { return {a.begin(), a.end()}; }

// A record's identity as a map key.
std::string IdOf(const RecordKey& k) {
  std::string s(1, static_cast<char>(k.kind));
  for (uint64_t v : {k.ino, k.other, k.id, uint64_t{k.index}, static_cast<uint64_t>(k.ts)}) {
    s.append(reinterpret_cast<const char*>(&v), 8);
  }
  return s + k.name;
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

  // ---- Meta ----

  Result<std::optional<std::string>> Get(const RecordKey& k) override {
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    return GetRecord(c.get(), prefix(), k);
  }
  Status Scan(const RecordRange& r, const RecordFn& fn) override {
    if (r.shape == RecordRange::Shape::kAll || r.shape == RecordRange::Shape::kInodeShard) {
      // A walk of everything reads one moment.
      JFS_ASSIGN_OR_RETURN(auto snap, Snapshot());
      return snap->Scan(r, fn);
    }
    JFS_ASSIGN_OR_RETURN(Conn c, Take());
    return ScanRecords(c.get(), prefix(), r, fn);
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
    JFS_RETURN_IF_ERROR(ScanKeyNames(c.get(), prefix() + "*", [&](std::string_view) {
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
    Status st = ScanKeyNames(c.get(), prefix() + "*", [&](std::string_view k) {
      batch.emplace_back(k);
      return true;
    });
    JFS_RETURN_IF_ERROR(st);
    return flush();
  }
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

 private:
  RedisUrl url_;
  RedisAddress primary_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisClient>> idle_;
};

Conn::~Conn() {
  if (m_ && c_) m_->Give(std::move(c_));
}

// ---- transactions ----

class RedisTxn : public MetaTxn {
 public:
  RedisTxn(RedisMeta* m) : m_(m) {}
  ~RedisTxn() override {
    if (conn_ && watching_) (void)(*conn_)->Run({"UNWATCH"});
  }

  Result<std::optional<std::string>> Get(const RecordKey& k) override {
    std::string id = IdOf(k);
    if (auto it = overlay_.find(id); it != overlay_.end()) return it->second;
    if (!reads_.contains(id)) JFS_RETURN_IF_ERROR(Read({&k, 1}));
    std::optional<std::string> v = reads_[id];
    if (auto add = adds_.find(id); add != adds_.end()) {
      int64_t n = 0;
      if (v) {
        JFS_ASSIGN_OR_RETURN(n, DecodeCounterLE(*v));
      }
      v = EncodeCounterLE(n + add->second);
    }
    return v;
  }
  Status Prefetch(std::span<const RecordKey> keys) override {
    std::vector<RecordKey> todo;
    std::unordered_set<std::string> ids;
    for (const auto& k : keys) {
      std::string id = IdOf(k);
      if (!overlay_.contains(id) && !reads_.contains(id) && ids.insert(id).second) {
        todo.push_back(k);
      }
    }
    return todo.empty() ? Status::OK() : Read(todo);
  }
  Status Scan(const RecordRange& r, const RecordFn& fn) override {
    if (r.shape == RecordRange::Shape::kAll || r.shape == RecordRange::Shape::kInodeShard) {
      return m_->Scan(r, fn);
    }
    JFS_RETURN_IF_ERROR(Open());
    return ScanRecords(conn_->get(), m_->prefix(), r, fn);
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
  // Watches the keys' places, then reads them into reads_: two round trips
  // for any number of records.
  Status Read(std::span<const RecordKey> keys) {
    JFS_RETURN_IF_ERROR(Open());
    RedisClient* c = conn_->get();
    std::set<std::string> watched;
    for (const auto& k : keys) {
      for (const auto& p : redis::PlacesOf(m_->prefix(), k)) watched.insert(p.key);
    }
    if (!watched.empty()) {
      Args watch = {"WATCH"};
      watch.insert(watch.end(), watched.begin(), watched.end());
      JFS_RETURN_IF_ERROR(c->Run(Views(watch)).status());
      watching_ = true;
    }
    JFS_ASSIGN_OR_RETURN(auto values, GetRecords(c, m_->prefix(), keys));
    for (size_t i = 0; i < keys.size(); i++) reads_[IdOf(keys[i])] = std::move(values[i]);
    return Status::OK();
  }
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
  std::unordered_map<std::string, std::optional<std::string>> reads_;  // as read (watched)
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
  ~RedisBulkWriter() override { (void)group_.Wait(); }

  Status Put(const RecordKey& key, std::string value) override {
    // A list is appended to: a chunk met twice would double its slices
    // (other records are overwritten, the last one counting, as in TKV).
    if (key.kind == K::kChunk) JFS_RETURN_IF_ERROR(chunks_.Add({key.ino, key.index}));
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
    JFS_RETURN_IF_ERROR(chunks_.Finish());
    ChunkId prev{}, c;
    for (bool first = true; chunks_.Next(&c); first = false) {
      if (!first && c == prev) {
        return Status::Corruption("the dump names the same record twice (a damaged dump?): " +
                                  Describe(RecordKey::Chunk(c.ino, c.index)));
      }
      prev = c;
    }
    return chunks_.status();
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
  // Every chunk written, checked for repeats at the end: sorted through disk
  // beyond 8 MiB, so that a load's memory stays flat (a vector here grew by
  // 16-32 bytes a file: +34 MiB from 1.1 M to 3 M files).
  ExternalSorter<ChunkId, std::less<ChunkId>> chunks_{8 << 20};
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
