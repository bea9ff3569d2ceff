// In-memory multi-version engine for tests (scheme memkv://NAME). Engines with
// the same NAME within one process share their data, like JuiceFS's memkv.
#include <map>
#include <mutex>
#include <shared_mutex>

#include "tkv/backends.h"

namespace jfsbr {
namespace {

// Every version of every key; a read at version v sees the newest entry <= v.
class MemoryStore {
 public:
  using Versions = std::vector<std::pair<uint64_t, std::optional<std::string>>>;

  std::optional<std::string> GetAt(const std::string& key, uint64_t v) const {
    auto it = data_.find(key);
    return it == data_.end() ? std::nullopt : At(it->second, v);
  }

  Status ScanAt(std::string_view begin, std::string_view end, uint64_t v, const ScanFn& fn) const {
    for (auto it = data_.lower_bound(std::string(begin)); it != data_.end(); ++it) {
      if (!end.empty() && it->first >= end) break;
      auto value = At(it->second, v);
      if (value && !fn(it->first, *value)) break;
    }
    return Status::OK();
  }

  void Apply(const std::vector<std::pair<std::string, std::optional<std::string>>>& writes) {
    version_++;
    for (const auto& [k, v] : writes) data_[k].emplace_back(version_, v);
  }

  uint64_t version() const { return version_; }
  mutable std::shared_mutex mu;

 private:
  static std::optional<std::string> At(const Versions& vs, uint64_t v) {
    for (auto it = vs.rbegin(); it != vs.rend(); ++it) {
      if (it->first <= v) return it->second;
    }
    return std::nullopt;
  }

  std::map<std::string, Versions, std::less<>> data_;
  uint64_t version_ = 0;
};

class MemorySnapshot final : public KvSnapshot {
 public:
  MemorySnapshot(std::shared_ptr<MemoryStore> s, uint64_t v) : store_(std::move(s)), v_(v) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::shared_lock l(store_->mu);
    return store_->GetAt(std::string(key), v_);
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    std::shared_lock l(store_->mu);
    return store_->ScanAt(b, e, v_, fn);
  }
  uint64_t version() const override { return v_; }

 private:
  std::shared_ptr<MemoryStore> store_;
  uint64_t v_;
};

class MemoryEngine final : public KvEngine {
 public:
  MemoryEngine(std::string name, std::shared_ptr<MemoryStore> s)
      : name_(std::move(name)), store_(std::move(s)) {}

  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::shared_lock l(store_->mu);
    return store_->GetAt(std::string(key), store_->version());
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    // Copy the matching range first so fn may call back into the engine.
    std::vector<std::pair<std::string, std::string>> rows;
    {
      std::shared_lock l(store_->mu);
      JFS_RETURN_IF_ERROR(store_->ScanAt(b, e, store_->version(), [&](auto k, auto v) {
        rows.emplace_back(k, v);
        return true;
      }));
    }
    for (const auto& [k, v] : rows) {
      if (!fn(k, v)) break;
    }
    return Status::OK();
  }
  Status Commit(const WriteBatch& batch) override {
    std::unique_lock l(store_->mu);
    auto current = [&](const std::string& k) -> Result<std::optional<std::string>> {
      return store_->GetAt(k, store_->version());
    };
    JFS_RETURN_IF_ERROR(CheckConditions(batch, current));
    JFS_ASSIGN_OR_RETURN(auto writes, ResolveBatch(batch, current));
    if (!writes.empty()) store_->Apply(writes);
    return Status::OK();
  }
  Result<std::unique_ptr<KvSnapshot>> Snapshot() override {
    std::shared_lock l(store_->mu);
    return std::unique_ptr<KvSnapshot>(new MemorySnapshot(store_, store_->version()));
  }
  Result<uint64_t> Version() override {
    std::shared_lock l(store_->mu);
    return store_->version();
  }
  std::string Describe() const override { return "memkv://" + name_ + " (in-memory)"; }

 private:
  std::string name_;
  std::shared_ptr<MemoryStore> store_;
};

}  // namespace

Result<std::unique_ptr<KvEngine>> OpenMemoryEngine(const EngineUrl& url) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<MemoryStore>> named;
  std::lock_guard l(mu);
  auto store = named[url.rest].lock();
  if (!store) {
    store = std::make_shared<MemoryStore>();
    named[url.rest] = store;
  }
  return std::unique_ptr<KvEngine>(new MemoryEngine(url.rest, store));
}

}  // namespace jfsbr
