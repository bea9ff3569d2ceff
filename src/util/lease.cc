// The lease protocol over a Slot.
#include "util/lease.h"

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

Lease::Lease(std::unique_ptr<Slot> slot, std::string holder, std::chrono::milliseconds ttl)
    : slot_(std::move(slot)), holder_(std::move(holder)), ttl_(ttl) {}

Result<bool> Lease::TryAcquire() {
  bool held = false;
  JFS_RETURN_IF_ERROR(slot_->Update([&](std::optional<std::string>* v) {
    LeaseState s = Decode(*v);
    int64_t now = UnixMillis();
    held = s.holder.empty() || s.holder == holder_ || s.expires_ms <= now;
    if (held) *v = holder_ + " " + std::to_string(now + ttl_.count());
    return Status::OK();
  }));
  return held;
}

Status Lease::Release() {
  return slot_->Update([&](std::optional<std::string>* v) {
    if (Decode(*v).holder == holder_) v->reset();
    return Status::OK();
  });
}

Status Lease::CheckHeld(const std::optional<std::string>& v) const {
  LeaseState s = Decode(v);
  if (s.holder != holder_ || s.expires_ms <= UnixMillis()) {
    return Status::Permission("the lease is held by " +
                              (s.holder.empty() ? std::string("no one") : s.holder) +
                              ", not by this runner");
  }
  return Status::OK();
}

Result<LeaseState> Lease::Read() const {
  JFS_ASSIGN_OR_RETURN(auto v, slot_->Read());
  return Decode(v);
}

}  // namespace jfsbr
