// Per-volume key prefixes on shared engines.
#include "tkv/prefix.h"

#include "tkv/keys.h"

namespace jfsbr {
namespace {

std::string UrlPath(const std::string& rest) {
  std::string r = rest.substr(0, rest.find('?'));
  auto at = r.rfind('@');  // user:password@ comes before the hosts
  auto slash = r.find('/', at == std::string::npos ? 0 : at);
  return slash == std::string::npos ? "" : r.substr(slash);
}

class PrefixReader {
 public:
  static Status Scan(KvReader* base, const std::string& prefix, std::string_view b,
                     std::string_view e, const ScanFn& fn) {
    std::string begin = prefix + std::string(b);
    std::string end = e.empty() ? keys::PrefixEnd(prefix) : prefix + std::string(e);
    return base->Scan(begin, end, [&](std::string_view k, std::string_view v) {
      return fn(k.substr(prefix.size()), v);
    });
  }
  static Status ScanRanges(KvReader* base, const std::string& prefix,
                           const std::vector<KeyRange>& ranges, const RangeScanFn& fn) {
    std::vector<KeyRange> out;
    out.reserve(ranges.size());
    for (const auto& r : ranges) {
      out.push_back({prefix + r.begin, r.end.empty() ? keys::PrefixEnd(prefix) : prefix + r.end});
    }
    return base->ScanRanges(out, [&](size_t i, std::string_view k, std::string_view v) {
      fn(i, k.substr(prefix.size()), v);
    });
  }
};

class PrefixSnapshot final : public KvSnapshot {
 public:
  PrefixSnapshot(std::unique_ptr<KvSnapshot> s, std::string p)
      : base_(std::move(s)), prefix_(std::move(p)) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    return base_->Get(prefix_ + std::string(key));
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return PrefixReader::Scan(base_.get(), prefix_, b, e, fn);
  }
  Status ScanRanges(const std::vector<KeyRange>& r, const RangeScanFn& fn) override {
    return PrefixReader::ScanRanges(base_.get(), prefix_, r, fn);
  }
  uint64_t version() const override { return base_->version(); }

 private:
  std::unique_ptr<KvSnapshot> base_;
  std::string prefix_;
};

class PrefixEngine final : public KvEngine {
 public:
  PrefixEngine(std::unique_ptr<KvEngine> b, std::string p)
      : base_(std::move(b)), prefix_(std::move(p)) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    return base_->Get(prefix_ + std::string(key));
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return PrefixReader::Scan(base_.get(), prefix_, b, e, fn);
  }
  Status ScanRanges(const std::vector<KeyRange>& r, const RangeScanFn& fn) override {
    return PrefixReader::ScanRanges(base_.get(), prefix_, r, fn);
  }
  Result<StampedValue> GetStamped(std::string_view key) override {
    return base_->GetStamped(prefix_ + std::string(key));
  }
  Result<std::vector<StampedValue>> GetStampedMany(const std::vector<std::string>& keys) override {
    std::vector<std::string> full;
    full.reserve(keys.size());
    for (const auto& k : keys) full.push_back(prefix_ + k);
    return base_->GetStampedMany(full);
  }
  Status Commit(const WriteBatch& batch) override {
    WriteBatch out = batch;
    for (auto& c : out.conditions) c.key.insert(0, prefix_);
    for (auto& op : out.ops) op.key.insert(0, prefix_);
    return base_->Commit(out);
  }
  Result<std::unique_ptr<KvSnapshot>> Snapshot() override {
    JFS_ASSIGN_OR_RETURN(auto s, base_->Snapshot());
    return std::unique_ptr<KvSnapshot>(new PrefixSnapshot(std::move(s), prefix_));
  }
  Result<std::unique_ptr<KvSnapshot>> SnapshotAt(uint64_t version) override {
    JFS_ASSIGN_OR_RETURN(auto s, base_->SnapshotAt(version));
    return std::unique_ptr<KvSnapshot>(new PrefixSnapshot(std::move(s), prefix_));
  }
  Result<uint64_t> Version() override { return base_->Version(); }
  Status Watch(const KeyRange& r, uint64_t after, const WatchFn& fn) override {
    KeyRange mine{prefix_ + r.begin, r.end.empty() ? keys::PrefixEnd(prefix_) : prefix_ + r.end};
    return base_->Watch(mine, after, [&](ChangeSet&& set) {
      for (auto& c : set.changes) c.key.erase(0, prefix_.size());
      return fn(std::move(set));
    });
  }
  Result<uint64_t> OldestVersion() override { return base_->OldestVersion(); }
  Status Compact(uint64_t v) override { return base_->Compact(v); }
  std::string Describe() const override { return base_->Describe(); }
  std::vector<std::pair<std::string, std::string>> Stats() override { return base_->Stats(); }

 private:
  std::unique_ptr<KvEngine> base_;
  std::string prefix_;
};

}  // namespace

std::string JuiceFsKeyPrefix(const EngineUrl& url) {
  if (url.scheme != "etcd" && url.scheme != "tikv") return "";
  std::string path = UrlPath(url.rest);
  if (url.scheme == "tikv")
    path.erase(0, path.find_first_not_of('/') == std::string::npos ? path.size()
                                                                   : path.find_first_not_of('/'));
  return path + "\xFD";
}

std::unique_ptr<KvEngine> WithKeyPrefix(std::unique_ptr<KvEngine> base, std::string prefix) {
  if (prefix.empty()) return base;
  return std::unique_ptr<KvEngine>(new PrefixEngine(std::move(base), std::move(prefix)));
}

}  // namespace jfsbr
