// A lease: at most one holder at a time, taken and renewed by compare-and-
// swap of one stored value, and free again when its holder has not renewed
// it for `ttl` (a holder that died). Expiry is wall-clock time, so hosts'
// clocks must agree to well within ttl (NTP).
//
// Where the value lives is the Slot's business: a record of the volume's
// metadata (meta/lease.h: dump backups) or a key beside it (tkv/txn.h: log
// backup tasks). The value is "<holder> <expires-unix-ms>".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "util/result.h"

namespace jfsbr {

struct LeaseState {
  std::string holder;  // empty: never taken
  int64_t expires_ms = 0;
};

class Lease {
 public:
  // The lease's one value in some transactional store.
  using UpdateFn = std::function<Status(std::optional<std::string>*)>;
  class Slot {
   public:
    virtual ~Slot() = default;
    // Runs fn on the current value (nullopt: absent) in a transaction,
    // retried on conflict, and stores what fn leaves in it.
    virtual Status Update(const UpdateFn& fn) = 0;
    virtual Result<std::optional<std::string>> Read() = 0;
  };
  // The body of a Slot::Update in a transaction tx of any kind whose Get,
  // Put and Delete take key: fn on what tx reads, written back if changed.
  template <typename Txn, typename Key>
  static Status UpdateIn(Txn& tx, const Key& key, const UpdateFn& fn) {
    JFS_ASSIGN_OR_RETURN(std::optional<std::string> v, tx.Get(key));
    auto before = v;
    JFS_RETURN_IF_ERROR(fn(&v));
    if (v == before) return Status::OK();
    if (v) {
      tx.Put(key, *v);
    } else {
      tx.Delete(key);
    }
    return Status::OK();
  }

  Lease(std::unique_ptr<Slot> slot, std::string holder, std::chrono::milliseconds ttl);
  // Takes the lease if it is free or expired, or renews it if ours. Returns
  // whether we hold it now.
  Result<bool> TryAcquire();
  // Gives it up if ours (another may take it at once).
  Status Release();
  // kPermission unless value (the lease's value as a transaction read it)
  // says we hold the lease: fences a write only the holder may make, when
  // the read is one of that transaction's conditions.
  Status CheckHeld(const std::optional<std::string>& value) const;
  Result<LeaseState> Read() const;
  const std::string& holder() const { return holder_; }

 private:
  std::unique_ptr<Slot> slot_;
  std::string holder_;
  std::chrono::milliseconds ttl_;
};

// "host:pid:random", unique per process.
std::string NewHolderId();

}  // namespace jfsbr
