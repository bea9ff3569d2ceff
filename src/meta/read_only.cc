// ReadOnlyMeta: reads forwarded to one snapshot, writes refused.
#include "meta/read_only.h"

#include <string>
#include <utility>
#include <vector>

namespace jfsbr {
namespace {

Status Refused() {
  return Status::Permission("a read-only view of the volume: nothing is written");
}

// Shares the view's snapshot (a snapshot never changes, so a second reader of
// it is as good as a new one).
class SharedSnapshot : public MetaSnapshot {
 public:
  explicit SharedSnapshot(std::shared_ptr<MetaSnapshot> s) : s_(std::move(s)) {}
  Result<std::optional<std::string>> Get(const RecordKey& k) override { return s_->Get(k); }
  Status Scan(const RecordRange& r, const RecordFn& fn) override { return s_->Scan(r, fn); }
  Status ScanMany(const std::vector<RecordRange>& r, const RangeRecordFn& fn) override {
    return s_->ScanMany(r, fn);
  }
  uint64_t version() const override { return s_->version(); }

 private:
  std::shared_ptr<MetaSnapshot> s_;
};

class RefusingTxn : public MetaTxn {
 public:
  explicit RefusingTxn(MetaSnapshot* s) : s_(s) {}
  Result<std::optional<std::string>> Get(const RecordKey& k) override { return s_->Get(k); }
  Status Scan(const RecordRange& r, const RecordFn& fn) override { return s_->Scan(r, fn); }
  void Put(const RecordKey&, std::string) override { wrote_ = true; }
  void Delete(const RecordKey&) override { wrote_ = true; }
  void Add(const RecordKey&, int64_t) override { wrote_ = true; }
  Status Commit() override { return wrote_ ? Refused() : Status::OK(); }

 private:
  MetaSnapshot* s_;
  bool wrote_ = false;
};

class RefusingWriter : public MetaBulkWriter {
 public:
  Status Put(const RecordKey&, std::string) override { return Refused(); }
  Status Finish() override { return Refused(); }
  uint64_t records() const override { return 0; }
};

class ReadOnlyView : public Meta {
 public:
  ReadOnlyView(std::unique_ptr<MetaSnapshot> s, std::shared_ptr<Meta> owner)
      : owner_(std::move(owner)), s_(std::move(s)) {}
  Result<std::optional<std::string>> Get(const RecordKey& k) override { return s_->Get(k); }
  Status Scan(const RecordRange& r, const RecordFn& fn) override { return s_->Scan(r, fn); }
  Status ScanMany(const std::vector<RecordRange>& r, const RangeRecordFn& fn) override {
    return s_->ScanMany(r, fn);
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override {
    return std::unique_ptr<MetaSnapshot>(std::make_unique<SharedSnapshot>(s_));
  }
  Result<uint64_t> Version() override { return s_->version(); }
  std::unique_ptr<MetaTxn> Begin() override { return std::make_unique<RefusingTxn>(s_.get()); }
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int) override {
    return std::make_unique<RefusingWriter>();
  }
  Result<bool> Empty() override { return false; }
  Status Clear() override { return Refused(); }
  std::string Describe() const override {
    std::string base = owner_ ? owner_->Describe() : std::string("a snapshot");
    return base + " at version " + std::to_string(s_->version());
  }

 private:
  std::shared_ptr<Meta> owner_;  // outlives s_ (declared first)
  std::shared_ptr<MetaSnapshot> s_;
};

}  // namespace

std::unique_ptr<Meta> ReadOnlyMeta(std::unique_ptr<MetaSnapshot> snapshot,
                                   std::shared_ptr<Meta> owner) {
  return std::make_unique<ReadOnlyView>(std::move(snapshot), std::move(owner));
}

}  // namespace jfsbr
