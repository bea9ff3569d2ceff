// Optimistic transactions over a KvEngine.
//
// A Txn reads through to the engine (recording every value it saw), buffers
// its writes, and on Commit hands the engine one WriteBatch whose conditions
// are the recorded reads: if any key read has changed since, the commit fails
// with kConflict and RunTxn runs the whole body again. Reads see the txn's own
// buffered writes. Scans are not recorded and do not see buffered writes:
// operations guard their scans by also reading and writing a key that a
// conflicting operation must write too (a parent directory's attr).
#pragma once

#include <functional>
#include <map>

#include "tkv/engine.h"
#include "util/lease.h"

namespace jfsbr {

class Txn {
 public:
  explicit Txn(KvEngine* engine) : engine_(engine) {}

  Result<std::optional<std::string>> Get(const std::string& key);
  // Reads the keys not read or written yet, in one engine call, as Get would.
  Status Prefetch(const std::vector<std::string>& keys);
  Status Scan(std::string_view begin, std::string_view end, const ScanFn& fn) {
    return engine_->Scan(begin, end, fn);
  }
  void Put(const std::string& key, std::string value);
  void Delete(const std::string& key);
  // Adds delta to an LE64 counter at commit time, without a read condition.
  void AddLE64(const std::string& key, int64_t delta) { batch_.AddLE64(key, delta); }

  Status Commit();

 private:
  KvEngine* engine_;
  std::map<std::string, StampedValue, std::less<>> reads_;
  std::map<std::string, std::optional<std::string>, std::less<>> writes_;
  WriteBatch batch_;
};

// Runs body in a fresh Txn and commits it, retrying on kConflict with a short
// randomized backoff (up to max_attempts). Other errors end the loop at once.
Status RunTxn(KvEngine* engine, const std::function<Status(Txn&)>& body, int max_attempts = 64);

// The slot of a lease kept in key of engine (which must outlive it).
std::unique_ptr<Lease::Slot> KvLeaseSlot(KvEngine* engine, std::string key);

}  // namespace jfsbr
