// The hiredis connection behind RedisClient (see client.h).
#include "redis/client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <chrono>
#include <thread>

namespace jfsbr {
namespace {

timeval Timeval(double seconds) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}

std::string AddressText(const RedisAddress& a) {
  return a.host.empty() ? a.path : a.host + ":" + std::to_string(a.port);
}

}  // namespace

RedisReply::Type RedisReply::type() const {
  if (!r_) return Type::kNil;
  switch (r_->type) {
    case REDIS_REPLY_STRING:
      return Type::kString;
    case REDIS_REPLY_ARRAY:
      return Type::kArray;
    case REDIS_REPLY_INTEGER:
      return Type::kInteger;
    case REDIS_REPLY_STATUS:
      return Type::kStatus;
    case REDIS_REPLY_ERROR:
      return Type::kError;
    default:
      return Type::kNil;
  }
}
std::string_view RedisReply::str() const {
  return r_ && r_->str ? std::string_view(r_->str, r_->len) : std::string_view();
}
long long RedisReply::integer() const { return r_ ? r_->integer : 0; }
size_t RedisReply::size() const { return r_ && r_->type == REDIS_REPLY_ARRAY ? r_->elements : 0; }
RedisReply RedisReply::at(size_t i) const { return RedisReply(root_, r_->element[i]); }

Status RedisErrorStatus(std::string_view where, std::string_view message) {
  std::string m = "redis " + std::string(where) + ": " + std::string(message);
  if (message.starts_with("NOAUTH") || message.starts_with("WRONGPASS") ||
      message.starts_with("NOPERM") || message.find("invalid password") != std::string_view::npos) {
    return Status::Permission(m);
  }
  if (message.starts_with("LOADING") || message.starts_with("MASTERDOWN") ||
      message.starts_with("TRYAGAIN") || message.starts_with("CLUSTERDOWN")) {
    return Status::Unavailable(m);
  }
  return Status::InvalidArgument(m);
}

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisUrl& url,
                                                          const RedisAddress& at) {
  const int timeout_ms = static_cast<int>(std::max(url.read_timeout, url.write_timeout) * 1000);
  std::unique_ptr<RedisClient> client;
  if (url.tls) {
    JFS_ASSIGN_OR_RETURN(auto tls, TlsStream::Connect(url, at));
    client.reset(new RedisClient(nullptr, std::move(tls), AddressText(at), timeout_ms));
  } else {
    JFS_ASSIGN_OR_RETURN(client, ConnectPlain(url, at, timeout_ms));
  }
  return Authenticate(std::move(client), url);
}

Result<std::unique_ptr<RedisClient>> RedisClient::ConnectPlain(const RedisUrl& url,
                                                               const RedisAddress& at,
                                                               int timeout_ms) {
  redisContext* c =
      at.host.empty()
          ? redisConnectUnixWithTimeout(at.path.c_str(), Timeval(url.dial_timeout))
          : redisConnectWithTimeout(at.host.c_str(), at.port, Timeval(url.dial_timeout));
  std::string where = AddressText(at);
  if (!c) return Status::Unavailable("redis " + where + ": out of memory");
  if (c->err) {
    std::string why = c->errstr;
    redisFree(c);
    return Status::Unavailable("cannot connect to redis at " + where + ": " + why);
  }
  redisSetTimeout(c, Timeval(timeout_ms / 1000.0));
  return std::unique_ptr<RedisClient>(new RedisClient(c, nullptr, where, timeout_ms));
}

Result<std::unique_ptr<RedisClient>> RedisClient::Authenticate(std::unique_ptr<RedisClient> client,
                                                               const RedisUrl& url) {
  const std::string where = client->where_;
  if (!url.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password);
    auto r = client->Run(auth);
    if (!r.ok() && !r.status().Is(Code::kPermission)) return r.status();
    if (!r.ok()) {
      return Status::Permission("redis " + where + ": authentication failed" +
                                (url.user.empty() ? "" : " for user '" + url.user + "'") +
                                " (wrong password?)");
    }
  }
  // A server that just restarted answers LOADING while it reads its AOF or
  // RDB back: wait for it (as JuiceFS's client retries), a minute at most.
  for (int i = 0;; i++) {
    auto r = client->Run({"DBSIZE"});
    if (r.ok() || !r.status().Is(Code::kUnavailable) ||
        r.status().message().find("LOADING") == std::string::npos || i == 600) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (url.db != 0 && url.mode != RedisUrl::Mode::kCluster) {
    std::string db = std::to_string(url.db);
    auto selected = client->Run({"SELECT", db});
    // A cluster node named alone: the caller finds out and uses the hash tag.
    if (!selected.ok() && selected.status().message().find("cluster mode") == std::string::npos) {
      return selected.status();
    }
  }
  return client;
}

RedisClient::RedisClient(redisContext* c, std::unique_ptr<TlsStream> tls, std::string where,
                         int timeout_ms)
    : c_(c), tls_(std::move(tls)), where_(std::move(where)), timeout_ms_(timeout_ms) {
  if (tls_) reader_ = redisReaderCreate();
}

RedisClient::~RedisClient() {
  if (c_) redisFree(c_);
  if (reader_) redisReaderFree(reader_);
}

bool RedisClient::healthy() const { return c_ ? c_->err == 0 : !broken_; }

Status RedisClient::IoError(std::string_view doing) const {
  std::string why = c_ && c_->errstr[0] ? c_->errstr : "connection lost";
  return Status::Unavailable("redis " + where_ + ": " + why + " (" + std::string(doing) + ")");
}

void RedisClient::Append(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv(args.size());
  std::vector<size_t> lens(args.size());
  for (size_t i = 0; i < args.size(); i++) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  if (tls_) {
    char* cmd = nullptr;
    int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
    if (n > 0) out_.append(cmd, static_cast<size_t>(n));
    free(cmd);
  } else {
    redisAppendCommandArgv(c_, static_cast<int>(args.size()), argv.data(), lens.data());
  }
  pending_++;
}

// The next reply over TLS: what is queued goes out, bytes come in until
// hiredis's parser has a whole reply.
Result<void*> RedisClient::NextTls() {
  if (!out_.empty()) {
    Status st = tls_->Write(out_);
    out_.clear();
    if (!st.ok()) {
      broken_ = true;
      return st;
    }
  }
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      broken_ = true;
      return Status::Corruption("redis " + where_ + ": a malformed reply");
    }
    if (raw) return raw;
    char buf[1 << 16];
    auto got = tls_->Read(buf, sizeof(buf), timeout_ms_);
    if (!got.ok() || *got == 0) {
      broken_ = true;
      if (got.ok())
        return Status::Unavailable("redis " + where_ + ": timed out waiting for a reply");
      return got.status();
    }
    redisReaderFeed(reader_, buf, *got);
  }
}

void RedisClient::AppendEncoded(std::string_view resp, size_t commands) {
  if (tls_) {
    out_.append(resp);
  } else {
    redisAppendFormattedCommand(c_, resp.data(), resp.size());
  }
  pending_ += commands;
}

void EncodeRedisCommand(const std::vector<std::string>& args, std::string* out) {
  out->append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) {
    out->append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
}

Result<RedisReply> RedisClient::Next() {
  if (pending_ == 0) return Status::InvalidArgument("redis: no pending reply");
  void* raw = nullptr;
  pending_--;
  if (tls_) {
    JFS_ASSIGN_OR_RETURN(raw, NextTls());
  } else if (redisGetReply(c_, &raw) != REDIS_OK || !raw) {
    return IoError("reading a reply");
  }
  std::shared_ptr<redisReply> root(static_cast<redisReply*>(raw),
                                   [](redisReply* r) { freeReplyObject(r); });
  const redisReply* r = root.get();
  return RedisReply(std::move(root), r);
}

Result<RedisReply> RedisClient::Run(const std::vector<std::string_view>& args) {
  Append(args);
  JFS_ASSIGN_OR_RETURN(RedisReply r, Next());
  if (r.type() == RedisReply::Type::kError) return RedisErrorStatus(where_, r.str());
  return r;
}

Status RedisClient::Drain() {
  Status first;
  while (pending_ > 0) {
    auto r = Next();
    if (!r.ok()) return r.status();
    if (r->type() == RedisReply::Type::kError && first.ok()) {
      first = RedisErrorStatus(where_, r->str());
    }
  }
  return first;
}

Result<RedisAddress> ResolveRedisMaster(const RedisUrl& url) {
  if (url.addresses.empty()) return Status::InvalidArgument("redis: no address");
  if (url.mode == RedisUrl::Mode::kServer) return url.addresses[0];
  if (url.mode == RedisUrl::Mode::kSentinel) {
    RedisUrl s = url;
    s.password = url.sentinel_password;
    s.user.clear();
    s.db = 0;
    s.mode = RedisUrl::Mode::kCluster;  // no SELECT on a sentinel
    Status last;
    for (const auto& a : url.addresses) {
      auto c = RedisClient::Connect(s, a);
      if (!c.ok()) {
        last = c.status();
        continue;
      }
      auto r = (*c)->Run({"SENTINEL", "get-master-addr-by-name", url.master_name});
      if (!r.ok()) {
        last = r.status();
        continue;
      }
      if (r->size() != 2) {
        last = Status::NotFound("redis sentinel " + AddressText(a) + " knows no master named '" +
                                url.master_name + "'");
        continue;
      }
      RedisAddress m;
      m.host = std::string(r->at(0).str());
      m.port = std::stoi(std::string(r->at(1).str()));
      return m;
    }
    return last;
  }
  // A cluster: every key of the volume carries the hash tag "{DB}"; the node
  // that serves its slot holds them all.
  Status last;
  for (const auto& a : url.addresses) {
    auto c = RedisClient::Connect(url, a);
    if (!c.ok()) {
      last = c.status();
      continue;
    }
    auto slot = (*c)->Run({"CLUSTER", "KEYSLOT", url.prefix});
    auto slots = (*c)->Run({"CLUSTER", "SLOTS"});
    if (!slot.ok() || !slots.ok()) {
      last = !slot.ok() ? slot.status() : slots.status();
      continue;
    }
    for (size_t i = 0; i < slots->size(); i++) {
      RedisReply range = slots->at(i);
      if (range.size() < 3) continue;
      if (slot->integer() < range.at(0).integer() || slot->integer() > range.at(1).integer()) {
        continue;
      }
      RedisAddress m;
      m.host = std::string(range.at(2).at(0).str());
      m.port = static_cast<int>(range.at(2).at(1).integer());
      if (m.host.empty()) m.host = a.host;
      return m;
    }
    last = Status::Unavailable("redis cluster at " + AddressText(a) + ": no node serves slot " +
                               std::to_string(slot->integer()));
  }
  return last;
}

}  // namespace jfsbr
