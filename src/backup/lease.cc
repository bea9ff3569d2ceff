#include "backup/lease.h"

#include <unistd.h>

#include <random>

#include "util/clock.h"

namespace jfsbr {
namespace {

LeaseState Decode(const std::optional<std::string>& v) {
  LeaseState s;
  if (!v) return s;
  size_t sp = v->rfind(' ');
  if (sp == std::string::npos) return s;  // unreadable: treated as free
  s.holder = v->substr(0, sp);
  s.expires_ms = strtoll(v->c_str() + sp + 1, nullptr, 10);
  return s;
}

}  // namespace

std::string NewHolderId() {
  char host[256] = "host";
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" +
         std::to_string(std::random_device{}() % 1000000);
}

EngineLease::EngineLease(KvEngine* engine, std::string key, std::string holder,
                         std::chrono::milliseconds ttl)
    : engine_(engine), key_(std::move(key)), holder_(std::move(holder)), ttl_(ttl) {}

Result<bool> EngineLease::TryAcquire() {
  bool held = false;
  JFS_RETURN_IF_ERROR(RunTxn(engine_, [&](Txn& tx) {
    JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key_));
    LeaseState s = Decode(v);
    int64_t now = UnixMillis();
    held = s.holder.empty() || s.holder == holder_ || s.expires_ms <= now;
    if (held) tx.Put(key_, holder_ + " " + std::to_string(now + ttl_.count()));
    return Status::OK();
  }));
  return held;
}

Status EngineLease::Release() {
  return RunTxn(engine_, [&](Txn& tx) {
    JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key_));
    if (Decode(v).holder == holder_) tx.Delete(key_);
    return Status::OK();
  });
}

Status EngineLease::CheckHeld(Txn& tx) const {
  JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key_));
  LeaseState s = Decode(v);
  if (s.holder != holder_ || s.expires_ms <= UnixMillis()) {
    return Status::Permission("the lease is held by " +
                              (s.holder.empty() ? std::string("no one") : s.holder) +
                              ", not by this runner");
  }
  return Status::OK();
}

Result<LeaseState> EngineLease::Read() const {
  JFS_ASSIGN_OR_RETURN(auto v, engine_->Get(key_));
  return Decode(v);
}

}  // namespace jfsbr
