// The Redis log backup's capture and restore (see log_backup.h and
// docs/format/redis-log-backup.md).
#include "redis/log_backup.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "meta/lease.h"
#include "meta/registry.h"
#include "redis/client.h"
#include "redis/replica.h"
#include "redis/resp.h"
#include "redis/snapshot.h"
#include "util/clock.h"
#include "util/coding.h"
#include "util/crc32.h"
#include "util/lease.h"

namespace jfsbr {
namespace {

constexpr const char* kBaseRdb = "redis/base.rdb";
constexpr const char* kBaseInfo = "redis/base.info";
constexpr const char* kCheckpoint = "redis/checkpoint";
constexpr const char* kLogDir = "redis/log/";

std::string Hex16(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llX", static_cast<unsigned long long>(v));
  return buf;
}

// "name value" lines.
std::map<std::string, std::string> ParseInfo(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t eol = text.find('\n', at);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(at, eol - at);
    size_t sp = line.find(' ');
    if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1);
    at = eol + 1;
  }
  return out;
}

struct Frame {
  uint64_t end_offset = 0;
  int64_t ms = 0;
  uint32_t db = 0;
  std::string_view commands;  // RESP; empty for a time mark
};

void AppendFrame(const Frame& f, std::string* out) {
  std::string payload;
  PutLE64(&payload, f.end_offset);
  PutLE64(&payload, static_cast<uint64_t>(f.ms));
  PutLE32(&payload, f.db);
  payload.append(f.commands);
  PutLE32(out, static_cast<uint32_t>(payload.size()));
  PutLE32(out, Crc32(0, payload));
  out->append(payload);
}

// The frames of a data file, in order; a torn or damaged frame is an error.
Status ForEachFrame(std::string_view file, const std::string& name,
                    const std::function<Status(const Frame&)>& fn) {
  size_t at = 0;
  while (at < file.size()) {
    if (file.size() - at < 8) return Status::Corruption(name + ": a torn frame");
    uint32_t len = GetLE32(file.data() + at), crc = GetLE32(file.data() + at + 4);
    if (len < 20 || file.size() - at - 8 < len) return Status::Corruption(name + ": a torn frame");
    std::string_view payload = file.substr(at + 8, len);
    if (Crc32(0, payload) != crc) return Status::Corruption(name + ": a frame fails its CRC");
    Frame f;
    f.end_offset = GetLE64(payload.data());
    f.ms = static_cast<int64_t>(GetLE64(payload.data() + 8));
    f.db = GetLE32(payload.data() + 16);
    f.commands = payload.substr(20);
    JFS_RETURN_IF_ERROR(fn(f));
    at += 8 + len;
  }
  return Status::OK();
}

struct DataFile {
  uint64_t from, to;
  std::string key;
};

Result<std::vector<DataFile>> DataFiles(ObjectStore* store) {
  std::vector<DataFile> out;
  std::string after;
  for (;;) {
    JFS_ASSIGN_OR_RETURN(ListPage page, store->List(kLogDir, after, 1000));
    for (const auto& o : page.objects) {
      std::string name = o.key.substr(std::string(kLogDir).size());
      unsigned long long from, to;
      if (sscanf(name.c_str(), "%16llX-%16llX.log", &from, &to) == 2)
        out.push_back({from, to, o.key});
      after = o.key;
    }
    if (!page.truncated) break;
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.from < b.from; });
  return out;
}

// Where a capture's stream starts.
struct StreamPoint {
  uint64_t offset = 0;
  uint32_t db = 0;  // the database the stream's commands apply to there
};

// Starts a new capture: the full sync's snapshot stored as the base.
Result<StreamPoint> StoreBase(const RedisUrl& u, ReplicaLink* link, ObjectStore* store,
                              const std::function<void(const std::string&)>& say) {
  JFS_ASSIGN_OR_RETURN(auto sync, link->StartFullSync(/*rdb_only=*/false));
  {
    JFS_ASSIGN_OR_RETURN(auto sink, store->Create(kBaseRdb));
    std::string buf(1 << 20, '\0');
    for (;;) {
      JFS_ASSIGN_OR_RETURN(size_t got, link->rdb()->Read(buf.data(), buf.size()));
      if (got == 0) break;
      JFS_RETURN_IF_ERROR(sink->Write(std::string_view(buf.data(), got)));
    }
    JFS_RETURN_IF_ERROR(sink->Close());
  }
  const int db = u.mode == RedisUrl::Mode::kCluster ? 0 : u.db;
  // Written last: the storage holds a log backup from here on.
  JFS_RETURN_IF_ERROR(store->Put(kBaseInfo, "offset " + std::to_string(sync.offset) + "\nreplid " +
                                                sync.replid + "\ndb " + std::to_string(db) +
                                                "\nprefix " + u.prefix + "\ntime_ms " +
                                                std::to_string(UnixMillis()) + "\n"));
  say("base snapshot at offset " + std::to_string(sync.offset) + " (" +
      std::to_string(sync.rdb_bytes) + " bytes)");
  return StreamPoint{sync.offset, 0};
}

// Goes on from the checkpoint of the capture stored before, if the
// primary still holds the stream from there.
Result<StreamPoint> ContinueCapture(const RedisUrl& u, ReplicaLink* link, ObjectStore* store,
                                    const std::function<void(const std::string&)>& say) {
  JFS_ASSIGN_OR_RETURN(std::string text, store->Get(kBaseInfo));
  auto info = ParseInfo(text);
  const int db = u.mode == RedisUrl::Mode::kCluster ? 0 : u.db;
  if (info["db"] != std::to_string(db) || info["prefix"] != u.prefix) {
    return Status::InvalidArgument(store->Describe() + " holds the log backup of database " +
                                   info["db"] + ", not this volume's");
  }
  uint64_t offset = std::strtoull(info["offset"].c_str(), nullptr, 10);
  uint32_t cur_db = 0;
  if (auto cp = store->Get(kCheckpoint); cp.ok()) {
    // "offset unix_ms db": a continued stream names no database again
    unsigned long long off = 0, db = 0;
    long long ms = 0;
    if (sscanf(cp->c_str(), "%llu %lld %llu", &off, &ms, &db) >= 1) offset = off;
    cur_db = static_cast<uint32_t>(db);
  }
  JFS_ASSIGN_OR_RETURN(bool continued, link->ContinueFrom(info["replid"], offset));
  if (!continued) {
    return Status::Unavailable("the primary no longer holds its replication stream from offset " +
                               std::to_string(offset) +
                               " (its backlog moved on, or it restarted): the log backup in " +
                               store->Describe() + " ends there; start a new one in a new storage");
  }
  say("continuing the stream from offset " + std::to_string(offset));
  return StreamPoint{offset, cur_db};
}

}  // namespace

bool IsRedisLogBackup(ObjectStore* store) { return store->Head(kBaseInfo).ok(); }

namespace {

constexpr const char* kLeaseName = "redis-log-lease";

// One period of holding the lease: the stream captured (from a new base or
// the checkpoint) until stopped or the lease is lost.
Status CaptureWhileHeld(const RedisUrl& u, const RedisAddress& primary, ObjectStore* store,
                        Lease* lease, const RedisLogOptions& o,
                        const std::function<void(const std::string&)>& say) {
  JFS_ASSIGN_OR_RETURN(auto link, ReplicaLink::Open(u, primary));
  JFS_ASSIGN_OR_RETURN(StreamPoint start, IsRedisLogBackup(store)
                                              ? ContinueCapture(u, link.get(), store, say)
                                              : StoreBase(u, link.get(), store, say));
  uint64_t offset = start.offset, file_from = start.offset;
  uint32_t cur_db = start.db;
  std::string frames, tx;
  bool in_tx = false;
  auto last_flush = std::chrono::steady_clock::now(), last_ack = last_flush,
       last_renew = last_flush;
  auto flush = [&]() -> Status {
    if (frames.empty()) return Status::OK();
    JFS_RETURN_IF_ERROR(
        store->Put(kLogDir + Hex16(file_from) + "-" + Hex16(offset) + ".log", frames));
    JFS_RETURN_IF_ERROR(store->Put(kCheckpoint, std::to_string(offset) + " " +
                                                    std::to_string(UnixMillis()) + " " +
                                                    std::to_string(cur_db) + "\n"));
    frames.clear();
    file_from = offset;
    return Status::OK();
  };
  std::vector<std::string_view> args;
  while (!o.stop || !o.stop->load()) {
    JFS_ASSIGN_OR_RETURN(std::string cmd, link->NextCommand(100));
    auto now = std::chrono::steady_clock::now();
    if (!cmd.empty()) {
      JFS_RETURN_IF_ERROR(ParseRespCommand(cmd, &args).status());
      offset += cmd.size();
      std::string name = args.empty() ? "" : CommandName(args[0]);
      if (name == "SELECT" && args.size() == 2) {
        cur_db = static_cast<uint32_t>(std::strtoul(std::string(args[1]).c_str(), nullptr, 10));
      } else if (name == "REPLCONF") {  // GETACK: the primary asks where we are
        JFS_RETURN_IF_ERROR(link->Ack(offset));
        last_ack = now;
      } else if (name == "PING") {  // a time mark
        if (!in_tx) AppendFrame({offset, UnixMillis(), cur_db, {}}, &frames);
      } else if (name == "MULTI") {
        in_tx = true;
        tx = cmd;
      } else if (in_tx) {
        tx += cmd;
        if (name == "EXEC") {
          AppendFrame({offset, UnixMillis(), cur_db, tx}, &frames);
          in_tx = false;
        }
      } else {
        AppendFrame({offset, UnixMillis(), cur_db, cmd}, &frames);
      }
    }
    if (now - last_renew >= o.lease_ttl / 3) {  // still ours, or stop writing
      JFS_ASSIGN_OR_RETURN(bool held, lease->TryAcquire());
      if (!held) return Status::Conflict("lost the capture's lease: another capture took over");
      last_renew = now;
    }
    if (now - last_ack >= std::chrono::seconds(1)) {
      JFS_RETURN_IF_ERROR(link->Ack(offset));
      last_ack = now;
    }
    if (!in_tx && now - last_flush >= std::chrono::duration<double>(o.flush_interval)) {
      JFS_RETURN_IF_ERROR(flush());
      last_flush = now;
    }
  }
  if (in_tx) offset -= tx.size();  // an unfinished transaction is not kept
  return flush();
}

}  // namespace

Status RunRedisLogCapture(const std::string& url, ObjectStore* store, const RedisLogOptions& o) {
  auto say = [&](const std::string& s) {
    if (o.log) o.log(s);
  };
  JFS_ASSIGN_OR_RETURN(RedisUrl u, ParseRedisUrl(url));
  JFS_ASSIGN_OR_RETURN(RedisAddress primary, ResolveRedisMaster(u));
  // One capture of a volume at a time: a lease in its own database (a
  // jfsbr record); others stand by and take over from the checkpoint.
  JFS_ASSIGN_OR_RETURN(auto meta, OpenMeta(url));
  Lease lease(LeaseSlotIn(meta.get(), kLeaseName), NewHolderId(), o.lease_ttl);
  bool said = false;
  for (;;) {
    if (o.stop && o.stop->load()) return Status::OK();
    JFS_ASSIGN_OR_RETURN(bool held, lease.TryAcquire());
    if (held) break;
    if (!said) {
      auto s = lease.Read();
      say("standby: the capture's lease is held by " + (s.ok() ? s->holder : std::string("?")));
      said = true;
    }
    std::this_thread::sleep_for(std::min(o.lease_ttl / 3, std::chrono::milliseconds(1000)));
  }
  if (said) say("took over the capture's lease as " + lease.holder());
  Status st = CaptureWhileHeld(u, primary, store, &lease, o, say);
  Status released = lease.Release();
  return st.ok() ? released : st;
}

Result<RedisPointResult> RestoreRedisPoint(ObjectStore* store, const std::string& target_url,
                                           const RedisPointOptions& o) {
  RedisPointResult r;
  auto info_text = store->Get(kBaseInfo);
  if (!info_text.ok()) {
    return Status::NotFound(store->Describe() + " holds no Redis log backup");
  }
  auto info = ParseInfo(*info_text);
  r.base_offset = std::strtoull(info["offset"].c_str(), nullptr, 10);
  const uint32_t src_db = static_cast<uint32_t>(std::strtoul(info["db"].c_str(), nullptr, 10));
  const std::string prefix = info["prefix"];
  uint64_t checkpoint = r.base_offset;
  if (auto cp = store->Get(kCheckpoint); cp.ok())
    checkpoint = std::strtoull(cp->c_str(), nullptr, 10);
  JFS_ASSIGN_OR_RETURN(auto files, DataFiles(store));

  // The point: an offset, or the last frame received at or before a time
  // (frames are in arrival order: the replay below stops at the first
  // later one), or the checkpoint.
  const bool by_time = !o.offset && o.time_ms;
  r.target_offset = o.offset ? *o.offset : checkpoint;
  if (by_time) {
    int64_t base_ms = std::strtoll(info["time_ms"].c_str(), nullptr, 10);
    if (*o.time_ms < base_ms) {
      return Status::InvalidArgument("the log backup starts later (its base is from " +
                                     std::to_string(base_ms) + " ms)");
    }
  }
  if (r.target_offset < r.base_offset || r.target_offset > checkpoint) {
    return Status::InvalidArgument(
        "offset " + std::to_string(r.target_offset) + " is outside the log backup's window [" +
        std::to_string(r.base_offset) + ", " + std::to_string(checkpoint) + "]");
  }

  JFS_ASSIGN_OR_RETURN(RedisUrl tu, ParseRedisUrl(target_url));
  if (tu.prefix != prefix) {
    return Status::InvalidArgument("the volume's keys carry the prefix '" + prefix +
                                   "': restore into a database with the same");
  }
  JFS_ASSIGN_OR_RETURN(auto target, OpenMeta(target_url, /*create=*/true));
  JFS_ASSIGN_OR_RETURN(bool empty, target->Empty());
  if (!empty) return Status::NotEmpty(target->Describe() + " is not empty");

  // The base's records, the setting held back.
  std::string setting;
  {
    JFS_ASSIGN_OR_RETURN(auto src, store->Open(kBaseRdb, 1 << 20));
    JFS_ASSIGN_OR_RETURN(
        auto snap, SnapshotFromRdb(src.get(), static_cast<int>(src_db), prefix, r.base_offset));
    auto w = target->NewBulkWriter(2);
    Status put;
    JFS_RETURN_IF_ERROR(snap->Scan(RecordRange::All(), [&](const RecordKey& k, std::string_view v) {
      if (k.kind == RecordKind::kSetting) {
        setting.assign(v);
        return true;
      }
      if (k.kind == RecordKind::kUnknown) return true;
      put = w->Put(k, std::string(v));
      return put.ok();
    }));
    JFS_RETURN_IF_ERROR(put);
    JFS_RETURN_IF_ERROR(w->Finish());
  }

  // The frames after the base, up to the point, each applied whole.
  JFS_ASSIGN_OR_RETURN(RedisAddress at, ResolveRedisMaster(tu));
  JFS_ASSIGN_OR_RETURN(auto c, RedisClient::Connect(tu, at));
  const std::string setting_key = prefix + "setting", tool_prefix = prefix + "jfsbr/";
  std::vector<std::string_view> args;
  uint64_t applied = r.base_offset;
  bool past = false;  // by_time: a frame received after the moment was met
  for (const auto& f : files) {
    if (past) break;
    if (f.to <= r.base_offset || f.from >= r.target_offset) continue;
    JFS_ASSIGN_OR_RETURN(std::string data, store->Get(f.key));
    JFS_RETURN_IF_ERROR(ForEachFrame(data, f.key, [&](const Frame& fr) -> Status {
      if (fr.end_offset <= applied || fr.end_offset > r.target_offset) return Status::OK();
      if (past || (by_time && fr.ms > *o.time_ms)) {
        past = true;
        return Status::OK();
      }
      applied = fr.end_offset;
      if (fr.commands.empty() || fr.db != src_db) return Status::OK();
      // Count the commands; a lone SET of the setting is held back too, and
      // a transaction of jfsbr's own records only (a capture's or a backup
      // daemon's lease) is not the volume's.
      size_t n = 0;
      bool only_tool = true;
      for (std::string_view rest = fr.commands; !rest.empty(); n++) {
        JFS_ASSIGN_OR_RETURN(size_t used, ParseRespCommand(rest, &args));
        if (used == 0) return Status::Corruption(f.key + ": a torn command");
        std::string name = args.empty() ? "" : CommandName(args[0]);
        if (n == 0 && used == rest.size() && args.size() == 3 && name == "SET" &&
            args[1] == setting_key) {
          setting.assign(args[2]);
          return Status::OK();
        }
        if (name != "MULTI" && name != "EXEC") {
          only_tool = only_tool && args.size() > 1 && args[1].starts_with(tool_prefix);
        }
        rest.remove_prefix(used);
      }
      if (only_tool) return Status::OK();
      c->AppendEncoded(fr.commands, n);  // pipelined: replies are taken in batches
      if (c->pending() >= 4096) JFS_RETURN_IF_ERROR(c->Drain());
      r.frames++;
      r.commands += n;
      if (o.progress) o.progress(r.frames);
      return Status::OK();
    }));
  }
  JFS_RETURN_IF_ERROR(c->Drain());
  if (by_time) r.target_offset = applied;
  if (setting.empty()) return Status::Corruption("the log backup's base holds no volume");
  JFS_RETURN_IF_ERROR(c->Run({"SET", setting_key, setting}).status());
  return r;
}

}  // namespace jfsbr
