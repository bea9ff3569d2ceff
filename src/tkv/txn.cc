// Optimistic transactions over a KvEngine, and a lease slot in a key.
#include "tkv/txn.h"

#include <algorithm>

#include "util/retry.h"

namespace jfsbr {

Result<std::optional<std::string>> Txn::Get(const std::string& key) {
  if (auto w = writes_.find(key); w != writes_.end()) return w->second;
  if (auto r = reads_.find(key); r != reads_.end()) return r->second.value;
  JFS_ASSIGN_OR_RETURN(StampedValue v, engine_->GetStamped(key));
  return reads_.emplace(key, std::move(v)).first->second.value;
}

Status Txn::Prefetch(const std::vector<std::string>& keys) {
  std::vector<std::string> missing;
  for (const auto& k : keys) {
    if (!writes_.contains(k) && !reads_.contains(k)) missing.push_back(k);
  }
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  if (missing.empty()) return Status::OK();
  JFS_ASSIGN_OR_RETURN(auto values, engine_->GetStampedMany(missing));
  for (size_t i = 0; i < missing.size(); i++) reads_.emplace(missing[i], std::move(values[i]));
  return Status::OK();
}

void Txn::Put(const std::string& key, std::string value) {
  writes_[key] = value;
  batch_.Put(key, std::move(value));
}

void Txn::Delete(const std::string& key) {
  writes_[key] = std::nullopt;
  batch_.Delete(key);
}

Status Txn::Commit() {
  if (batch_.empty()) return Status::OK();
  for (const auto& [k, v] : reads_) batch_.Expect(k, v.value, v.stamp);
  return engine_->Commit(batch_);
}

Status RunTxn(KvEngine* engine, const std::function<Status(Txn&)>& body, int max_attempts) {
  return RetryOnConflict(
      [&]() -> Status {
        Txn txn(engine);
        JFS_RETURN_IF_ERROR(body(txn));
        return txn.Commit();
      },
      max_attempts);
}

namespace {

class KvSlot : public Lease::Slot {
 public:
  KvSlot(KvEngine* engine, std::string key) : engine_(engine), key_(std::move(key)) {}
  Status Update(const Lease::UpdateFn& fn) override {
    return RunTxn(engine_, [&](Txn& tx) { return Lease::UpdateIn(tx, key_, fn); });
  }
  Result<std::optional<std::string>> Read() override { return engine_->Get(key_); }

 private:
  KvEngine* engine_;
  std::string key_;
};

}  // namespace

std::unique_ptr<Lease::Slot> KvLeaseSlot(KvEngine* engine, std::string key) {
  return std::make_unique<KvSlot>(engine, std::move(key));
}

}  // namespace jfsbr
