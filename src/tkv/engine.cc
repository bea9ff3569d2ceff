// What every KvEngine shares: defaults, checked scans, batch resolution.
#include "tkv/engine.h"

#include <map>

#include "model/records.h"

namespace jfsbr {

Status ScanChecked(KvReader* reader, std::string_view begin, std::string_view end,
                   const CheckedScanFn& fn) {
  Status failed;
  JFS_RETURN_IF_ERROR(reader->Scan(begin, end, [&](std::string_view k, std::string_view v) {
    failed = fn(k, v);
    return failed.ok();
  }));
  return failed;
}
namespace {

class Borrowed final : public KvEngine {
 public:
  explicit Borrowed(KvEngine* e) : e_(e) {}
  Result<std::optional<std::string>> Get(std::string_view k) override { return e_->Get(k); }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return e_->Scan(b, e, fn);
  }
  Status ScanRanges(const std::vector<KeyRange>& r, const RangeScanFn& fn) override {
    return e_->ScanRanges(r, fn);
  }
  Result<StampedValue> GetStamped(std::string_view k) override { return e_->GetStamped(k); }
  Result<std::vector<StampedValue>> GetStampedMany(const std::vector<std::string>& k) override {
    return e_->GetStampedMany(k);
  }
  Status Commit(const WriteBatch& b) override { return e_->Commit(b); }
  Result<std::unique_ptr<KvSnapshot>> Snapshot() override { return e_->Snapshot(); }
  Result<std::unique_ptr<KvSnapshot>> SnapshotAt(uint64_t v) override { return e_->SnapshotAt(v); }
  Result<uint64_t> Version() override { return e_->Version(); }
  Status Watch(const KeyRange& r, uint64_t after, const WatchFn& fn) override {
    return e_->Watch(r, after, fn);
  }
  Result<uint64_t> OldestVersion() override { return e_->OldestVersion(); }
  Status Compact(uint64_t v) override { return e_->Compact(v); }
  std::string Describe() const override { return e_->Describe(); }
  std::vector<std::pair<std::string, std::string>> Stats() override { return e_->Stats(); }

 private:
  KvEngine* e_;
};

}  // namespace

std::unique_ptr<KvEngine> BorrowEngine(KvEngine* engine) {
  return std::make_unique<Borrowed>(engine);
}

Status KvReader::ScanRanges(const std::vector<KeyRange>& ranges, const RangeScanFn& fn) {
  for (size_t i = 0; i < ranges.size(); i++) {
    JFS_RETURN_IF_ERROR(Scan(ranges[i].begin, ranges[i].end, [&](auto k, auto v) {
      fn(i, k, v);
      return true;
    }));
  }
  return Status::OK();
}

Status KvEngine::Watch(const KeyRange&, uint64_t, const WatchFn&) {
  return Status::NotSupported(Describe() + " keeps no history to watch (etcd does)");
}

Result<uint64_t> KvEngine::OldestVersion() {
  return Status::NotSupported(Describe() + " keeps no history");
}

Status KvEngine::Compact(uint64_t) {
  return Status::NotSupported(Describe() + " keeps no history to compact");
}

Result<std::unique_ptr<KvSnapshot>> KvEngine::SnapshotAt(uint64_t version) {
  return Status::NotSupported(Describe() + " cannot read a past version (only etcd keeps history)");
}

Result<StampedValue> KvEngine::GetStamped(std::string_view key) {
  JFS_ASSIGN_OR_RETURN(auto v, Get(key));
  return StampedValue{std::move(v), -1};
}

Result<std::vector<StampedValue>> KvEngine::GetStampedMany(const std::vector<std::string>& keys) {
  std::vector<StampedValue> out;
  out.reserve(keys.size());
  for (const auto& k : keys) {
    JFS_ASSIGN_OR_RETURN(auto v, GetStamped(k));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::optional<std::string>>>> ResolveBatch(
    const WriteBatch& batch, const CurrentFn& current) {
  std::map<std::string, std::optional<std::string>> final;
  for (const auto& op : batch.ops) {
    switch (op.kind) {
      case WriteBatch::OpKind::kPut:
        final[op.key] = op.value;
        break;
      case WriteBatch::OpKind::kDelete:
        final[op.key] = std::nullopt;
        break;
      case WriteBatch::OpKind::kAddLE64: {
        std::optional<std::string> old;
        if (auto it = final.find(op.key); it != final.end()) {
          old = it->second;
        } else {
          JFS_ASSIGN_OR_RETURN(old, current(op.key));
        }
        int64_t v = 0;
        if (old) {
          auto decoded = DecodeCounterLE(*old);
          if (!decoded.ok()) return decoded.status().Annotate("counter");
          v = *decoded;
        }
        final[op.key] = EncodeCounterLE(v + op.delta);
        break;
      }
    }
  }
  return std::vector<std::pair<std::string, std::optional<std::string>>>(final.begin(),
                                                                         final.end());
}

Status CheckConditions(const WriteBatch& batch, const CurrentFn& current) {
  for (const auto& c : batch.conditions) {
    JFS_ASSIGN_OR_RETURN(auto now, current(c.key));
    if (now != c.expected) return Status::Conflict("a key read by the transaction changed");
  }
  return Status::OK();
}

}  // namespace jfsbr
