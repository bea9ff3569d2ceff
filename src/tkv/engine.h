// KvEngine: the transactional key-value engine a volume's metadata lives in.
//
// The interface is deliberately small: point reads, ordered range scans, a
// consistent snapshot, and one atomic Commit of a WriteBatch guarded by
// conditions (optimistic concurrency: the batch applies only if every key it
// depends on still holds the value the writer read). Everything else
// (transactions with retry, prefixes, typed helpers) is built on top.
//
// Implementations are thread-safe. Keys and values are arbitrary bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace jfsbr {

// Called for each key/value of a scan in ascending key order; return false to stop.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

// A key range [begin, end) for ScanRanges.
struct KeyRange {
  std::string begin, end;
};
// Called for each key/value of range number `range` (an index into the list).
using RangeScanFn = std::function<void(size_t range, std::string_view key, std::string_view value)>;

class KvReader {
 public:
  virtual ~KvReader() = default;
  // The value of key, std::nullopt if absent.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  // Every key in [begin, end) in ascending byte order; an empty end means no
  // upper bound. Stops early when fn returns false (not an error).
  virtual Status Scan(std::string_view begin, std::string_view end, const ScanFn& fn) = 0;
  // Every key of each range, range by range in the order given. The way to
  // read many small ranges (the keys of many inodes): engines serve a list in
  // few requests (RocksDB with one iterator, etcd with one transaction per
  // --max-txn-ops ranges). The default scans them one by one.
  virtual Status ScanRanges(const std::vector<KeyRange>& ranges, const RangeScanFn& fn);
};

// A scan whose callback can fail: the first error fn returns ends the scan
// and is returned (a scan error likewise).
using CheckedScanFn = std::function<Status(std::string_view key, std::string_view value)>;
Status ScanChecked(KvReader* reader, std::string_view begin, std::string_view end,
                   const CheckedScanFn& fn);

// A read view that does not change while it is held.
class KvSnapshot : public KvReader {
 public:
  // The engine version this snapshot reads (see KvEngine::Version).
  virtual uint64_t version() const = 0;
};

// A set of writes applied atomically, guarded by read conditions.
struct WriteBatch {
  struct Condition {
    std::string key;
    std::optional<std::string> expected;  // nullopt: the key must be absent
    // The engine's version stamp of that read (see KvEngine::GetVersioned),
    // or -1: engines that have one compare it instead of the value.
    int64_t stamp = -1;
  };
  enum class OpKind { kPut, kDelete, kAddLE64 };
  struct Op {
    OpKind kind;
    std::string key;
    std::string value;  // kPut
    int64_t delta = 0;  // kAddLE64: adds to an 8-byte little-endian counter (absent = 0)
  };

  void Expect(std::string key, std::optional<std::string> expected, int64_t stamp = -1) {
    conditions.push_back({std::move(key), std::move(expected), stamp});
  }
  void Put(std::string key, std::string value) {
    ops.push_back({OpKind::kPut, std::move(key), std::move(value), 0});
  }
  void Delete(std::string key) { ops.push_back({OpKind::kDelete, std::move(key), {}, 0}); }
  void AddLE64(std::string key, int64_t delta) {
    ops.push_back({OpKind::kAddLE64, std::move(key), {}, delta});
  }
  bool empty() const { return ops.empty(); }

  std::vector<Condition> conditions;
  std::vector<Op> ops;  // applied in order
  // false: the engine may apply the ops in several parts (bulk loads into an
  // empty engine, which need no atomicity); only allowed without conditions.
  bool atomic = true;
};

// A value read with the engine's version stamp of it (etcd: mod_revision,
// 0 when absent; -1 when the engine has none).
struct StampedValue {
  std::optional<std::string> value;
  int64_t stamp = -1;
};

// One commit as an engine's history records it (etcd: one revision): the
// keys it wrote, in the order written; value nullopt is a delete.
struct KvChange {
  std::string key;
  std::optional<std::string> value;
};
struct ChangeSet {
  uint64_t version = 0;
  std::vector<KvChange> changes;
};
// Gets each change set in version order; return false to stop watching.
using WatchFn = std::function<bool(ChangeSet&& set)>;

class KvEngine : public KvReader {
 public:
  // Applies every op of batch atomically if every condition holds at commit
  // time; otherwise applies nothing and returns kConflict.
  virtual Status Commit(const WriteBatch& batch) = 0;
  // Get, with the version stamp Commit conditions can compare. The default
  // has no stamp (conditions then compare values).
  virtual Result<StampedValue> GetStamped(std::string_view key);
  // GetStamped of each key, in order; etcd answers them in one request per
  // --max-txn-ops keys. The default reads them one by one.
  virtual Result<std::vector<StampedValue>> GetStampedMany(const std::vector<std::string>& keys);
  // A consistent view of the current state.
  virtual Result<std::unique_ptr<KvSnapshot>> Snapshot() = 0;
  // A view of the state at an earlier Version() (engines that keep history:
  // etcd until compaction). The default: kNotSupported.
  virtual Result<std::unique_ptr<KvSnapshot>> SnapshotAt(uint64_t version);
  // A number that grows with every commit (RocksDB sequence, etcd revision).
  virtual Result<uint64_t> Version() = 0;
  // History (engines that keep it; the defaults: kNotSupported).
  // The changes to keys in range of every commit after version `after`,
  // whole and in order, then of the new ones as they happen. Survives a
  // member's failure (resumes after the last set delivered). kNotFound if
  // compaction removed history after `after`. Returns OK when fn returns
  // false; fn is called only when a change arrives.
  virtual Status Watch(const KeyRange& range, uint64_t after, const WatchFn& fn);
  // The oldest version SnapshotAt can still read (etcd: the compacted
  // revision).
  virtual Result<uint64_t> OldestVersion();
  // Drops the history before version (SnapshotAt(v < version) fails after).
  virtual Status Compact(uint64_t version);
  // One line for people: engine kind and location (never a password).
  virtual std::string Describe() const = 0;
  // Engine facts for `status`: names with JSON values (etcd: endpoints,
  // leader, revision, database size). The default has none.
  virtual std::vector<std::pair<std::string, std::string>> Stats() { return {}; }
};

// A KvEngine that forwards to engine without owning it (engine must outlive
// it): for handing an engine to an owner such as Volume while keeping it.
std::unique_ptr<KvEngine> BorrowEngine(KvEngine* engine);

// Resolves a batch against current values: returns the final value (or
// nullopt for delete) of each key the batch writes, in key order. `current`
// reads the committed value. Used by engines to apply kAddLE64 and by
// conditions. Fails with kCorruption if a counter is not 8 bytes.
using CurrentFn = std::function<Result<std::optional<std::string>>(const std::string&)>;
Result<std::vector<std::pair<std::string, std::optional<std::string>>>> ResolveBatch(
    const WriteBatch& batch, const CurrentFn& current);
// kConflict naming the first condition that does not hold.
Status CheckConditions(const WriteBatch& batch, const CurrentFn& current);

}  // namespace jfsbr
