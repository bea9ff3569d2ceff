// Meta over a KvEngine: records to keys and back, ranges to key ranges.
#include "tkv/tkv_meta.h"

#include "meta/families.h"
#include "tkv/batch_writer.h"
#include "tkv/keys.h"
#include "tkv/registry.h"
#include "tkv/txn.h"

namespace jfsbr {
namespace {

using K = RecordKind;

// The key prefix of every record of a kind that is not keyed by inode.
std::string_view KindPrefix(RecordKind kind) {
  switch (kind) {
    case K::kSetting:
      return "setting";
    case K::kCounter:
      return "C";
    case K::kDelFile:
      return "D";
    case K::kSliceRef:
      return "K";
    case K::kDelayedSlices:
      return "L";
    case K::kDirStat:
      return "U";
    case K::kDirQuota:
      return "QD";
    case K::kUserQuota:
      return "QU";
    case K::kGroupQuota:
      return "QG";
    case K::kAclRule:
      return "R";
    case K::kSessionExpire:
      return "SE";
    case K::kSessionInfo:
      return "SI";
    case K::kSustained:
      return "SS";
    case K::kDetached:
      return "N";
    case K::kTool:
      return keys::kToolPrefix;
    default:
      return "A";  // inode-keyed kinds: every inode's keys, filtered
  }
}

// The key prefix of one kind's keys of one inode ("A" ino type).
std::string OfInodePrefix(RecordKind kind, Ino ino) {
  switch (kind) {
    case K::kEntry:
      return keys::EntryPrefix(ino);
    case K::kXattr:
      return keys::XattrPrefix(ino);
    case K::kChunk:
      return keys::InodePrefix(ino) + "C";
    case K::kParent:
      return keys::InodePrefix(ino) + "P";
    case K::kSymlink:
      return keys::Symlink(ino);
    default:
      return keys::Attr(ino);
  }
}

std::string ShardBound(int i, int n) {
  if (i <= 0) return "A";
  if (i >= n) return "B";
  // An inode key's first number byte is the inode's lowest byte, which
  // spreads inodes evenly over shards of it.
  return std::string("A") + static_cast<char>(256 * i / n);
}

// Whether a parsed key of a scan over `range` belongs to it (the key range
// of some shapes holds other kinds too).
bool Wanted(const RecordRange& r, const RecordKey& k) {
  switch (r.shape) {
    case RecordRange::Shape::kAll:
    case RecordRange::Shape::kInodeShard:
      return true;  // unknown keys too: full walks report them
    case RecordRange::Shape::kKind:
    case RecordRange::Shape::kOfInode:
      return k.kind == r.kind;
    case RecordRange::Shape::kNode:
      return k.kind != K::kEntry && k.kind != K::kUnknown;
    default:
      return k.kind != K::kUnknown;
  }
}

// One RecordKey is reused for the whole scan: its name keeps its buffer, so a
// full walk of millions of records allocates nothing per record.
Status ScanRecords(KvReader* reader, const RecordRange& range, const RecordFn& fn) {
  KeyRange kr = TkvKeyRange(range);
  RecordKey key;
  return reader->Scan(kr.begin, kr.end, [&](std::string_view k, std::string_view v) {
    keys::ParseInto(k, &key);
    return !Wanted(range, key) || fn(key, v);
  });
}

// Many small ranges in one ScanRanges: etcd serves them in batched
// transactions, RocksDB with one iterator (the dump reads nodes this way).
Status ScanManyRecords(KvReader* reader, const std::vector<RecordRange>& ranges,
                       const RangeRecordFn& fn) {
  std::vector<KeyRange> krs;
  krs.reserve(ranges.size());
  for (const auto& r : ranges) krs.push_back(TkvKeyRange(r));
  RecordKey key;
  return reader->ScanRanges(krs, [&](size_t i, std::string_view k, std::string_view v) {
    keys::ParseInto(k, &key);
    if (Wanted(ranges[i], key)) fn(i, key, v);
  });
}

class TkvSnapshot : public MetaSnapshot {
 public:
  explicit TkvSnapshot(std::unique_ptr<KvSnapshot> s) : s_(std::move(s)) {}
  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    return s_->Get(keys::Encode(key));
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    return ScanRecords(s_.get(), range, fn);
  }
  Status ScanMany(const std::vector<RecordRange>& ranges, const RangeRecordFn& fn) override {
    return ScanManyRecords(s_.get(), ranges, fn);
  }
  uint64_t version() const override { return s_->version(); }
  bool ShardsConcatenate() const override { return true; }

 private:
  std::unique_ptr<KvSnapshot> s_;
};

// Reads through Get become the commit's conditions (Txn compares etcd's
// mod_revision or the value); Add is applied at commit without one, as
// JuiceFS's incrBy, so counters never make unrelated operations conflict.
class TkvTxn : public MetaTxn {
 public:
  explicit TkvTxn(KvEngine* e) : e_(e), txn_(e) {}
  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    return txn_.Get(keys::Encode(key));
  }
  Status Prefetch(std::span<const RecordKey> keys) override {
    std::vector<std::string> encoded;
    encoded.reserve(keys.size());
    for (const auto& k : keys) encoded.push_back(keys::Encode(k));
    return txn_.Prefetch(encoded);
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    return ScanRecords(e_, range, fn);
  }
  void Put(const RecordKey& key, std::string value) override {
    txn_.Put(keys::Encode(key), std::move(value));
  }
  void Delete(const RecordKey& key) override { txn_.Delete(keys::Encode(key)); }
  void Add(const RecordKey& key, int64_t delta) override { txn_.AddLE64(keys::Encode(key), delta); }
  Status Commit() override { return txn_.Commit(); }

 private:
  KvEngine* e_;
  Txn txn_;
};

// Unconditioned, non-atomic batches on several threads: only for an empty
// target, which no one reads until the load writes the setting.
class TkvBulkWriter : public MetaBulkWriter {
 public:
  TkvBulkWriter(KvEngine* e, int threads) : w_(e, threads) {}
  Status Put(const RecordKey& key, std::string value) override {
    return w_.Put(keys::Encode(key), std::move(value));
  }
  Status Finish() override { return w_.Finish(); }
  uint64_t records() const override { return w_.pairs(); }

 private:
  BatchWriter w_;
};

class TkvMeta : public Meta {
 public:
  explicit TkvMeta(std::unique_ptr<KvEngine> e) : e_(std::move(e)) {}

  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    return e_->Get(keys::Encode(key));
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    return ScanRecords(e_.get(), range, fn);
  }
  Status ScanMany(const std::vector<RecordRange>& ranges, const RangeRecordFn& fn) override {
    return ScanManyRecords(e_.get(), ranges, fn);
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override {
    JFS_ASSIGN_OR_RETURN(auto s, e_->Snapshot());
    return std::unique_ptr<MetaSnapshot>(new TkvSnapshot(std::move(s)));
  }
  Result<std::unique_ptr<MetaSnapshot>> SnapshotAt(uint64_t version) override {
    JFS_ASSIGN_OR_RETURN(auto s, e_->SnapshotAt(version));
    return std::unique_ptr<MetaSnapshot>(new TkvSnapshot(std::move(s)));
  }
  Result<uint64_t> Version() override { return e_->Version(); }
  std::unique_ptr<MetaTxn> Begin() override { return std::make_unique<TkvTxn>(e_.get()); }
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) override {
    return std::make_unique<TkvBulkWriter>(e_.get(), threads);
  }
  // Any key at all, not only JuiceFS's: a load must not mix a volume into a
  // database that holds something else.
  Result<bool> Empty() override {
    bool empty = true;
    JFS_RETURN_IF_ERROR(e_->Scan("", "", [&](auto, auto) { return empty = false; }));
    return empty;
  }
  Status Clear() override {
    // The setting first, on its own: a clear cut short never leaves a volume.
    WriteBatch setting;
    setting.Delete(keys::Setting());
    JFS_RETURN_IF_ERROR(e_->Commit(setting));
    while (true) {
      WriteBatch b;
      b.atomic = false;  // no one reads a volume without its setting
      JFS_RETURN_IF_ERROR(e_->Scan("", "", [&](auto k, auto) {
        b.Delete(std::string(k));
        return b.ops.size() < 10000;
      }));
      if (b.empty()) return Status::OK();
      JFS_RETURN_IF_ERROR(e_->Commit(b));
    }
  }
  std::string Describe() const override { return e_->Describe(); }
  std::vector<std::pair<std::string, std::string>> Stats() override { return e_->Stats(); }

  KvEngine* engine() { return e_.get(); }

 private:
  std::unique_ptr<KvEngine> e_;
};

}  // namespace

KeyRange TkvKeyRange(const RecordRange& r) {
  using Shape = RecordRange::Shape;
  switch (r.shape) {
    case Shape::kAll:
      return {"", ""};
    case Shape::kKind: {
      std::string p(KindPrefix(r.kind));
      if (r.kind == K::kSetting) return {p, p + std::string(1, '\0')};
      return {p, keys::PrefixEnd(p)};
    }
    case Shape::kInode: {
      std::string p = keys::InodePrefix(r.ino);
      return {p, keys::PrefixEnd(p)};
    }
    case Shape::kNode: {
      // A directory's D (entry) keys sort before its I key; a file has none.
      std::string p = keys::InodePrefix(r.ino);
      return {r.is_dir ? keys::Attr(r.ino) : p, keys::PrefixEnd(p)};
    }
    case Shape::kOfInode: {
      std::string p = OfInodePrefix(r.kind, r.ino);
      if (r.kind == K::kEntry && !r.from.empty()) return {p + r.from, keys::PrefixEnd(p)};
      if (r.kind == K::kChunk) {
        return {keys::Chunk(r.ino, r.first),
                r.last == UINT32_MAX ? keys::PrefixEnd(p) : keys::Chunk(r.ino, r.last)};
      }
      return {p, keys::PrefixEnd(p)};
    }
    case Shape::kInodeShard:
      return {ShardBound(r.shard, r.shards), ShardBound(r.shard + 1, r.shards)};
  }
  return {"", ""};
}

std::unique_ptr<Meta> NewTkvMeta(std::unique_ptr<KvEngine> engine) {
  return std::make_unique<TkvMeta>(std::move(engine));
}

KvEngine* TkvEngineOf(Meta* meta) {
  auto* t = dynamic_cast<TkvMeta*>(meta);
  return t ? t->engine() : nullptr;
}

Result<std::unique_ptr<Meta>> OpenTkvMeta(std::string_view url, bool create) {
  JFS_ASSIGN_OR_RETURN(auto engine, OpenEngine(url, create));
  return NewTkvMeta(std::move(engine));
}

}  // namespace jfsbr
