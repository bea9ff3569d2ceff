// A lease kept in the volume's engine: at most one holder at a time, taken
// and renewed by compare-and-swap, and free again when its holder has not
// renewed it for `ttl` (a holder that died). Expiry is wall-clock time, so
// hosts' clocks must agree to well within ttl (NTP).
//
// The value is "<holder> <expires-unix-ms>"; the key lies outside JuiceFS's
// key space (which dump, load and check ignore or leave alone).
#pragma once

#include <chrono>
#include <string>

#include "kv/engine.h"
#include "kv/txn.h"

namespace jfsbr {

inline constexpr const char* kBackupLeaseKey = "jfsbr/backup-lease";

struct LeaseState {
  std::string holder;  // empty: never taken
  int64_t expires_ms = 0;
};

class EngineLease {
 public:
  EngineLease(KvEngine* engine, std::string key, std::string holder, std::chrono::milliseconds ttl);
  // Takes the lease if it is free or expired, or renews it if ours. Returns
  // whether we hold it now.
  Result<bool> TryAcquire();
  // Gives it up if ours (another may take it at once).
  Status Release();
  // Within tx: fails with kPermission unless we hold the lease (fencing a
  // write that only the holder may make).
  Status CheckHeld(Txn& tx) const;
  Result<LeaseState> Read() const;
  const std::string& holder() const { return holder_; }

 private:
  KvEngine* engine_;
  std::string key_, holder_;
  std::chrono::milliseconds ttl_;
};

// "host:pid:random", unique per process.
std::string NewHolderId();

}  // namespace jfsbr
