// A volume's objects spread over N buckets by a hash of the key.
#include "store/sharded.h"

#include <algorithm>

namespace jfsbr {
namespace {

class ShardedStore final : public ObjectStore {
 public:
  explicit ShardedStore(std::vector<std::shared_ptr<ObjectStore>> s) : shards_(std::move(s)) {}

  Status Put(const std::string& key, std::string_view data) override {
    return Pick(key)->Put(key, data);
  }
  Result<std::unique_ptr<Sink>> Create(const std::string& key) override {
    return Pick(key)->Create(key);
  }
  Result<std::string> Get(const std::string& key, uint64_t off, int64_t len) override {
    return Pick(key)->Get(key, off, len);
  }
  Result<std::unique_ptr<Source>> Open(const std::string& key, size_t piece) override {
    return Pick(key)->Open(key, piece);
  }
  Result<ObjectInfo> Head(const std::string& key) override { return Pick(key)->Head(key); }
  Status Delete(const std::string& key) override { return Pick(key)->Delete(key); }

  // The first `limit` keys of the union are among the first `limit` of
  // their own shard, so one page of each shard, merged, is a page.
  Result<ListPage> List(const std::string& prefix, const std::string& start_after,
                        size_t limit) override {
    ListPage out;
    for (const auto& s : shards_) {
      JFS_ASSIGN_OR_RETURN(ListPage p, s->List(prefix, start_after, limit));
      out.truncated |= p.truncated;
      for (auto& o : p.objects) out.objects.push_back(std::move(o));
    }
    std::sort(out.objects.begin(), out.objects.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    if (out.objects.size() > limit) {
      out.objects.resize(limit);
      out.truncated = true;
    }
    return out;
  }
  std::string Describe() const override {
    return std::to_string(shards_.size()) + " shards: " + shards_[0]->Describe() + ", ...";
  }

 private:
  ObjectStore* Pick(const std::string& key) { return shards_[Fnv1a32(key) % shards_.size()].get(); }
  std::vector<std::shared_ptr<ObjectStore>> shards_;
};

}  // namespace

uint32_t Fnv1a32(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

Result<std::string> FormatShardName(const std::string& pattern, int i) {
  std::string out;
  bool used = false;
  for (size_t p = 0; p < pattern.size(); p++) {
    if (pattern[p] != '%') {
      out.push_back(pattern[p]);
      continue;
    }
    size_t q = p + 1;
    if (q < pattern.size() && pattern[q] == '%') {
      out.push_back('%');
      p = q;
      continue;
    }
    bool zero = q < pattern.size() && pattern[q] == '0';
    size_t width = 0;
    for (; q < pattern.size() && isdigit(static_cast<unsigned char>(pattern[q])); q++) {
      width = width * 10 + (pattern[q] - '0');
    }
    if (q >= pattern.size() || pattern[q] != 'd' || used) {
      return Status::InvalidArgument("bucket '" + pattern +
                                     "' of a sharded volume: only one %d is supported");
    }
    std::string n = std::to_string(i);
    if (n.size() < width) n.insert(0, width - n.size(), zero ? '0' : ' ');
    out += n;
    used = true;
    p = q;
  }
  if (!used) {
    return Status::InvalidArgument("bucket '" + pattern +
                                   "' of a sharded volume has no %d for the shard number");
  }
  return out;
}

std::unique_ptr<ObjectStore> Sharded(std::vector<std::shared_ptr<ObjectStore>> shards) {
  return std::unique_ptr<ObjectStore>(new ShardedStore(std::move(shards)));
}

}  // namespace jfsbr
