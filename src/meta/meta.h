// Meta: a volume's metadata records in one engine, whatever its family.
//
// This is the only way the layers above (fs/, dump/, gc/, backup/, cli/)
// reach metadata. It offers what those commands need and no more:
//   - reads by record (Get) and by set of records (Scan of a RecordRange),
//     from the live engine or from a Snapshot that does not change;
//   - transactions (MetaTxn): reads recorded as conditions, writes buffered,
//     one atomic commit that fails with kConflict if anything read changed;
//     Transact retries the whole body then;
//   - a bulk writer for loads into an empty engine.
// Values are in the encoding of model/records.h (see meta/record.h).
// An engine family implements Meta once (tkv/tkv_meta.h: TiKV-like key-value
// engines); work that is by nature per engine (engine-level backups, log
// capture, history) lives beside that family, not here.
//
// Implementations are thread-safe; a MetaTxn is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "meta/record.h"
#include "model/setting.h"
#include "util/result.h"

namespace jfsbr {

// Called for each record of a scan, in the range's order; return false to
// stop. The key is valid only during the call.
using RecordFn = std::function<bool(const RecordKey& key, std::string_view value)>;
// The same for a scan whose callback can fail: its first error ends the scan.
using CheckedRecordFn = std::function<Status(const RecordKey& key, std::string_view value)>;
// Called for each record of range number `range` of a ScanMany.
using RangeRecordFn =
    std::function<void(size_t range, const RecordKey& key, std::string_view value)>;

class MetaReader {
 public:
  virtual ~MetaReader() = default;
  // The value of key, std::nullopt if absent.
  virtual Result<std::optional<std::string>> Get(const RecordKey& key) = 0;
  // Every record of range. Stops early when fn returns false (not an error).
  virtual Status Scan(const RecordRange& range, const RecordFn& fn) = 0;
  // Every record of each range, range by range in the order given: the way
  // to read the records of many inodes (engines serve a list in few
  // requests). The default scans them one by one.
  virtual Status ScanMany(const std::vector<RecordRange>& ranges, const RangeRecordFn& fn);

  // Whether the inode shards (RecordRange::InodeShard), scanned one after
  // the other, give the records in the order of one scan of them all (a TKV
  // engine's shards are consecutive key ranges): what lets a reader that
  // keeps that order read several shards at once.
  virtual bool ShardsConcatenate() const { return false; }

  // Whether each inode kind is stored apart (a table of its own, SQL), so
  // that reading kind by kind costs no more than one walk of every inode's
  // records. TKV keys interleave the kinds: there a kind's scan walks all.
  virtual bool KindsStoredApart() const { return false; }

  // Scan with a callback that can fail.
  Status ScanChecked(const RecordRange& range, const CheckedRecordFn& fn);
  // A counter's value (absent reads as 0; timestamp counters are BE64).
  Result<int64_t> Counter(std::string_view name);
};

// A read view that does not change while it is held.
class MetaSnapshot : public MetaReader {
 public:
  // The engine version it reads (see Meta::Version).
  virtual uint64_t version() const = 0;
  // Why it serves one reader at a time where the engine could serve the
  // several asked for (Meta::SnapshotForReaders), for the user to read;
  // empty otherwise.
  virtual std::string OneReaderBecause() const { return {}; }
};

// One optimistic transaction. Reads through Get are recorded: Commit applies
// the writes only if none of them changed since (else kConflict). Reads see
// the transaction's own writes. Scans are neither recorded nor see buffered
// writes: an operation guards a scan by also reading and writing a record a
// conflicting operation must write too (a parent directory's attr).
class MetaTxn : public MetaReader {
 public:
  // Reads these records now, in as few requests as the engine allows, as Get
  // would (recorded); Gets of them are then answered without a request. A
  // hint: engines whose reads are local need not do anything.
  virtual Status Prefetch(std::span<const RecordKey> keys) { return Status::OK(); }
  virtual void Put(const RecordKey& key, std::string value) = 0;
  virtual void Delete(const RecordKey& key) = 0;
  // Adds delta to a number record (a counter, a slice ref, a parent's link
  // count; absent is 0) at commit time, without a read condition.
  virtual void Add(const RecordKey& key, int64_t delta) = 0;
  virtual Status Commit() = 0;
};

// Streams records into an empty engine in large unconditioned batches, on
// several threads (loads and restores).
class MetaBulkWriter {
 public:
  virtual ~MetaBulkWriter() = default;
  virtual Status Put(const RecordKey& key, std::string value) = 0;
  // Writes what is buffered and waits for everything; the first error.
  virtual Status Finish() = 0;
  // Records written so far.
  virtual uint64_t records() const = 0;
};

class Meta : public MetaReader {
 public:
  // A consistent view of the current state.
  virtual Result<std::unique_ptr<MetaSnapshot>> Snapshot() = 0;
  // The same, for `readers` threads that will scan it at once. An engine
  // that cannot share a view between connections once it has begun (MySQL)
  // begins that many together now; the default is Snapshot().
  virtual Result<std::unique_ptr<MetaSnapshot>> SnapshotForReaders(int readers) {
    return Snapshot();
  }
  // A view of an earlier Version() (engines that keep history); the
  // default: kNotSupported.
  virtual Result<std::unique_ptr<MetaSnapshot>> SnapshotAt(uint64_t version);
  // A number that grows with every commit (RocksDB sequence, etcd revision).
  virtual Result<uint64_t> Version() = 0;

  virtual std::unique_ptr<MetaTxn> Begin() = 0;
  // Runs body in a fresh transaction and commits it, running it again (after
  // a short randomized wait) while the commit conflicts, up to max_attempts.
  // Other errors end it at once.
  Status Transact(const std::function<Status(MetaTxn&)>& body, int max_attempts = 64);

  // threads: batches written at once.
  virtual std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) = 0;
  // True when the engine holds nothing at all (not even foreign data).
  virtual Result<bool> Empty() = 0;
  // Deletes everything the volume keeps in the engine (`load --force`).
  virtual Status Clear() = 0;

  // One line for people: engine kind and location (never a password).
  virtual std::string Describe() const = 0;
  // Engine facts for `status`: names with JSON values. The default: none.
  virtual std::vector<std::pair<std::string, std::string>> Stats() { return {}; }
};

// The volume's setting, decoded: kNotFound when the engine holds no
// formatted volume. The one place the setting is read.
Result<VolumeFormat> ReadVolumeSetting(MetaReader* reader);

// A Meta that forwards to meta without owning it (meta must outlive it): for
// handing a Meta to an owner such as Volume while keeping it.
std::unique_ptr<Meta> BorrowMeta(Meta* meta);

}  // namespace jfsbr
