// RocksDB backend (scheme rocksdb://PATH): the embedded default engine.
//
// Keys are stored without a volume prefix (one volume per database, like
// JuiceFS's badger). Commits are serialised by a mutex so that conditions can
// be checked against the latest values and applied atomically in one
// WriteBatch. A commit returns once it is on stable storage (the WAL synced,
// one fsync shared by the commits of several threads; RocksDB syncs the
// tables it flushes and its manifest itself). A bulk
// load's batches skip the sync: the WAL is one ordered log, so the synced
// commit of the setting that ends every load or restore makes everything
// before it durable too, and a power cut before it leaves no setting: no
// volume. The engine version is RocksDB's sequence number.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "tkv/backends.h"
#include "util/io.h"

namespace jfsbr {
namespace {

// RocksDB counts every operation in a thread-local perf context unless told
// not to (10% of a load's time in a profile). Called once per thread.
void PerfOff() {
  thread_local bool done = (rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable), true);
  (void)done;
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Status::Unavailable(msg + " (is another jfsbr process using it?)");
  }
  return Status::IOError(msg);
}

Status ScanWith(rocksdb::DB* db, const rocksdb::Snapshot* snap, std::string_view begin,
                std::string_view end, const ScanFn& fn) {
  PerfOff();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    auto k = it->key(), v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
  return FromRocks(it->status(), "scan");
}

Result<std::optional<std::string>> GetWith(rocksdb::DB* db, const rocksdb::Snapshot* snap,
                                           std::string_view key) {
  PerfOff();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string v;
  auto s = db->Get(ro, rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  JFS_RETURN_IF_ERROR(FromRocks(s, "get"));
  return std::optional<std::string>(std::move(v));
}

// Every range with one iterator: seeking an open iterator is much cheaper
// than opening one per range.
Status ScanRangesWith(rocksdb::DB* db, const rocksdb::Snapshot* snap,
                      const std::vector<KeyRange>& ranges, const RangeScanFn& fn) {
  PerfOff();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (size_t i = 0; i < ranges.size(); i++) {
    rocksdb::Slice end(ranges[i].end);
    for (it->Seek(ranges[i].begin); it->Valid(); it->Next()) {
      auto k = it->key();
      if (!ranges[i].end.empty() && k.compare(end) >= 0) break;
      auto v = it->value();
      fn(i, std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()));
    }
    JFS_RETURN_IF_ERROR(FromRocks(it->status(), "scan"));
  }
  return Status::OK();
}

class RocksSnapshot final : public KvSnapshot {
 public:
  RocksSnapshot(std::shared_ptr<rocksdb::DB> db, const rocksdb::Snapshot* s)
      : db_(std::move(db)), snap_(s) {}
  ~RocksSnapshot() override { db_->ReleaseSnapshot(snap_); }
  Result<std::optional<std::string>> Get(std::string_view key) override {
    return GetWith(db_.get(), snap_, key);
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return ScanWith(db_.get(), snap_, b, e, fn);
  }
  uint64_t version() const override { return snap_->GetSequenceNumber(); }
  Status ScanRanges(const std::vector<KeyRange>& ranges, const RangeScanFn& fn) override {
    return ScanRangesWith(db_.get(), snap_, ranges, fn);
  }

 private:
  std::shared_ptr<rocksdb::DB> db_;
  const rocksdb::Snapshot* snap_;
};

class RocksEngine final : public KvEngine {
 public:
  RocksEngine(std::string path, std::shared_ptr<rocksdb::DB> db, bool scratch)
      : path_(std::move(path)), db_(std::move(db)), scratch_(scratch) {}

  Result<std::optional<std::string>> Get(std::string_view key) override {
    return GetWith(db_.get(), nullptr, key);
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return ScanWith(db_.get(), nullptr, b, e, fn);
  }
  Status Commit(const WriteBatch& batch) override {
    PerfOff();
    rocksdb::WriteBatch wb;
    bool adds = std::any_of(batch.ops.begin(), batch.ops.end(),
                            [](auto& op) { return op.kind == WriteBatch::OpKind::kAddLE64; });
    if (!batch.atomic && batch.conditions.empty() && !adds) return BulkWrite(batch);
    JFS_RETURN_IF_ERROR(EndBulk());
    uint64_t seq = 0;
    {
      std::lock_guard l(commit_mu_);
      auto current = [&](const std::string& k) { return GetWith(db_.get(), nullptr, k); };
      JFS_RETURN_IF_ERROR(CheckConditions(batch, current));
      if (!adds) {  // puts and deletes go straight in (the last write of a key wins)
        for (const auto& op : batch.ops) {
          if (op.kind == WriteBatch::OpKind::kPut)
            wb.Put(op.key, op.value);
          else
            wb.Delete(op.key);
        }
      } else {
        JFS_ASSIGN_OR_RETURN(auto writes, ResolveBatch(batch, current));
        for (const auto& [k, v] : writes) {
          if (v)
            wb.Put(k, *v);
          else
            wb.Delete(k);
        }
      }
      JFS_RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "write"));
      seq = db_->GetLatestSequenceNumber();
    }  // the lock: the sync below is shared with the commits that queue meanwhile
    return scratch_ ? Status::OK() : SyncUpTo(seq);
  }
  // Group commit: makes the WAL durable up to sequence seq. One thread
  // syncs for every commit written before its sync began; the others find
  // themselves covered and return (commits on several threads share fsyncs).
  Status SyncUpTo(uint64_t seq) {
    std::lock_guard l(sync_mu_);
    if (synced_ >= seq) return Status::OK();
    uint64_t upto = db_->GetLatestSequenceNumber();
    JFS_RETURN_IF_ERROR(FromRocks(db_->SyncWAL(), "sync"));
    synced_ = upto;
    return Status::OK();
  }
  // A part of a bulk load (an empty target no one else writes): no lock,
  // so several threads fill the memtable at once, and in key order (stable:
  // the last write of a key still wins), so that consecutive inserts land
  // next to each other in the memtable's skiplist.
  Status BulkWrite(const WriteBatch& batch) {
    JFS_RETURN_IF_ERROR(BeginBulk());
    std::vector<const WriteBatch::Op*> ops;
    ops.reserve(batch.ops.size());
    for (const auto& op : batch.ops) ops.push_back(&op);
    std::stable_sort(ops.begin(), ops.end(), [](auto* a, auto* b) { return a->key < b->key; });
    rocksdb::WriteBatch wb;
    for (const auto* op : ops) {
      if (op->kind == WriteBatch::OpKind::kPut)
        wb.Put(op->key, op->value);
      else
        wb.Delete(op->key);
    }
    rocksdb::WriteOptions wo;
    wo.disableWAL = scratch_;
    return FromRocks(db_->Write(wo, &wb), "write");
  }
  // A bulk load into an empty database writes with compactions off and
  // compacts once, at the first snapshot or transaction that follows: the
  // leveled compactions rewrote all of level 1 for every few memtables
  // (70 s of compaction during a 65 s load of 10 M files, on the same 2
  // cores; 11 s for the one compaction after). Level 0 may hold every
  // flushed memtable meanwhile.
  Status BeginBulk() {
    if (bulk_.load(std::memory_order_acquire) || scratch_) return Status::OK();
    std::lock_guard l(bulk_mu_);
    if (bulk_ || bulk_decided_) return Status::OK();
    bulk_decided_ = true;  // only a database empty at its first bulk write
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) return Status::OK();
    rocksdb::Options bulk = db_->GetOptions();
    normal_ = bulk;
    bulk.disable_auto_compactions = true;
    bulk.level0_slowdown_writes_trigger = bulk.level0_stop_writes_trigger = 1000000;
    bulk.soft_pending_compaction_bytes_limit = bulk.hard_pending_compaction_bytes_limit = 0;
    JFS_RETURN_IF_ERROR(
        FromRocks(db_->SetOptions(CompactionOptions(bulk)), "set options for a bulk load"));
    bulk_.store(true, std::memory_order_release);
    return Status::OK();
  }
  Status EndBulk() {
    if (!bulk_.load(std::memory_order_acquire)) return Status::OK();
    std::lock_guard l(bulk_mu_);
    if (!bulk_) return Status::OK();
    bulk_.store(false, std::memory_order_release);
    // A few level-0 files are left to the background compactions (a
    // synchronous one added a second to a load of 1.1 M files); many would
    // slow every read until compacted.
    uint64_t level0 = 0;
    db_->GetIntProperty("rocksdb.num-files-at-level0", &level0);
    if (level0 > 2 * static_cast<uint64_t>(normal_.level0_file_num_compaction_trigger)) {
      rocksdb::CompactRangeOptions o;
      o.max_subcompactions = 2;
      JFS_RETURN_IF_ERROR(FromRocks(db_->CompactRange(o, nullptr, nullptr), "compact"));
    }
    return FromRocks(db_->SetOptions(CompactionOptions(normal_)), "set options after a bulk load");
  }
  // The options a bulk load changes, as SetOptions takes them.
  static std::unordered_map<std::string, std::string> CompactionOptions(const rocksdb::Options& o) {
    return {{"disable_auto_compactions", o.disable_auto_compactions ? "true" : "false"},
            {"level0_slowdown_writes_trigger", std::to_string(o.level0_slowdown_writes_trigger)},
            {"level0_stop_writes_trigger", std::to_string(o.level0_stop_writes_trigger)},
            {"soft_pending_compaction_bytes_limit",
             std::to_string(o.soft_pending_compaction_bytes_limit)},
            {"hard_pending_compaction_bytes_limit",
             std::to_string(o.hard_pending_compaction_bytes_limit)}};
  }

  Result<std::unique_ptr<KvSnapshot>> Snapshot() override {
    JFS_RETURN_IF_ERROR(EndBulk());
    if (scratch_) {  // reads never sort the unsorted memtable
      JFS_RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions()), "flush"));
    }
    return std::unique_ptr<KvSnapshot>(new RocksSnapshot(db_, db_->GetSnapshot()));
  }
  Result<uint64_t> Version() override { return db_->GetLatestSequenceNumber(); }
  Status ScanRanges(const std::vector<KeyRange>& ranges, const RangeScanFn& fn) override {
    return ScanRangesWith(db_.get(), nullptr, ranges, fn);
  }
  std::string Describe() const override { return "rocksdb://" + path_ + " (embedded RocksDB)"; }
  std::vector<std::pair<std::string, std::string>> Stats() override {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto [name, prop] : {std::pair{"EstimatedKeys", "rocksdb.estimate-num-keys"},
                              std::pair{"SstBytes", "rocksdb.total-sst-files-size"},
                              std::pair{"MemtableBytes", "rocksdb.cur-size-all-mem-tables"}}) {
      uint64_t v = 0;
      if (db_->GetIntProperty(prop, &v)) out.emplace_back(name, std::to_string(v));
    }
    return out;
  }

 private:
  std::string path_;
  std::shared_ptr<rocksdb::DB> db_;
  bool scratch_;
  std::mutex commit_mu_;
  std::mutex sync_mu_;
  std::mutex bulk_mu_;
  std::atomic<bool> bulk_{false};  // a bulk load with compactions off
  bool bulk_decided_ = false;      // under bulk_mu_
  rocksdb::Options normal_;        // before the bulk load (under bulk_mu_)
  uint64_t synced_ = 0;            // the WAL is durable up to this sequence (under sync_mu_)
};

}  // namespace

Result<std::unique_ptr<KvEngine>> OpenRocksEngine(const EngineUrl& url) {
  std::string path = url.rest;
  auto q = path.find('?');
  // ?scratch: jfsbr's own temporary copy (a Redis snapshot), loaded once
  // and then only read: no WAL, and an unsorted memtable that bulk inserts
  // append to (sorted once, at the flush the first snapshot makes).
  bool scratch = q != std::string::npos && path.substr(q + 1) == "scratch";
  if (q != std::string::npos) path.resize(q);
  if (!url.create && access(path.c_str(), F_OK) != 0) {
    return Status::NotFound("no database at " + path + " (run 'jfsbr format' to create one)");
  }
  // RocksDB syncs the files in its directory, not the directory's own entry.
  if (url.create && access(path.c_str(), F_OK) != 0 && !scratch) {
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
    JFS_RETURN_IF_ERROR(SyncDir(ParentDir(path)));
  }
  rocksdb::Options opts;
  opts.create_if_missing = url.create;
  opts.IncreaseParallelism(2);
  // Metadata is read by random seeks (a dump walks inodes in tree order):
  // LZ4 decompresses several times faster than the default Snappy. An 8 MiB
  // block cache dumps 1.1 M files as fast as a 256 MiB one (measured), since
  // the key layout keeps the blocks in use few.
  opts.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(8 << 20);
  // A scratch copy of millions of files keeps its tables' indexes in that
  // cache (bounded) rather than beside it (growing with the copy).
  table.cache_index_and_filter_blocks = scratch;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Two 32 MiB memtables (the default is 64 MiB each) bound a bulk load's RSS.
  opts.write_buffer_size = 32 << 20;
  if (scratch) {
    opts.memtable_factory.reset(new rocksdb::VectorRepFactory);
    opts.allow_concurrent_memtable_write = false;
    opts.compression = rocksdb::kNoCompression;
  }
  rocksdb::DB* raw = nullptr;
  JFS_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(opts, path, &raw), "open rocksdb " + path));
  std::shared_ptr<rocksdb::DB> db(raw);
  return std::unique_ptr<KvEngine>(new RocksEngine(path, std::move(db), scratch));
}

}  // namespace jfsbr
