// BlockCache: an LRU of whole objects by bytes, with one fetch per missing
// object however many readers wait for it.
#include "store/block_cache.h"

#include <condition_variable>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace jfsbr {
namespace {

class LruBlockCache : public BlockCache {
 public:
  LruBlockCache(std::unique_ptr<ObjectStore> base, size_t max_bytes)
      : base_(std::move(base)), max_(max_bytes) {}

  Result<std::string> Get(const std::string& key, uint64_t off, int64_t len) override {
    JFS_ASSIGN_OR_RETURN(auto object, Fetch(key));
    if (off > object->size()) off = object->size();
    size_t n = len < 0 ? object->size() - off
                       : std::min<size_t>(static_cast<size_t>(len), object->size() - off);
    return object->substr(off, n);
  }
  Status Put(const std::string& key, std::string_view data) override {
    return base_->Put(key, data);
  }
  Result<std::unique_ptr<Sink>> Create(const std::string& key) override {
    return base_->Create(key);
  }
  Result<ObjectInfo> Head(const std::string& key) override { return base_->Head(key); }
  Result<ListPage> List(const std::string& prefix, const std::string& start_after,
                        size_t limit) override {
    return base_->List(prefix, start_after, limit);
  }
  Status Delete(const std::string& key) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (auto it = map_.find(key); it != map_.end() && it->second.data) Evict(it);
    }
    return base_->Delete(key);
  }
  std::string Describe() const override { return base_->Describe(); }
  BlockCacheStats stats() const override {
    std::lock_guard<std::mutex> l(mu_);
    return stats_;
  }

 private:
  struct Entry {
    std::shared_ptr<const std::string> data;  // null while being fetched
    std::list<std::string>::iterator lru;
  };
  using Map = std::unordered_map<std::string, Entry>;

  Result<std::shared_ptr<const std::string>> Fetch(const std::string& key) {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      auto it = map_.find(key);
      if (it == map_.end()) break;
      if (it->second.data) {
        stats_.hits++;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.data;
      }
      fetched_.wait(l);  // another reader is fetching it
    }
    stats_.misses++;
    map_.emplace(key, Entry{});
    l.unlock();
    auto got = base_->Get(key);
    l.lock();
    auto it = map_.find(key);
    if (!got.ok()) {
      map_.erase(it);
      fetched_.notify_all();
      return got.status();
    }
    auto data = std::make_shared<const std::string>(std::move(*got));
    stats_.bytes_fetched += data->size();
    it->second.data = data;
    lru_.push_front(key);
    it->second.lru = lru_.begin();
    bytes_ += data->size();
    while (bytes_ > max_ && lru_.size() > 1) Evict(map_.find(lru_.back()));
    fetched_.notify_all();
    return data;
  }
  void Evict(Map::iterator it) {
    bytes_ -= it->second.data->size();
    lru_.erase(it->second.lru);
    map_.erase(it);
  }

  std::unique_ptr<ObjectStore> base_;
  const size_t max_;
  mutable std::mutex mu_;
  std::condition_variable fetched_;
  Map map_;
  std::list<std::string> lru_;  // most recent first; cached entries only
  size_t bytes_ = 0;
  BlockCacheStats stats_;
};

}  // namespace

std::unique_ptr<BlockCache> NewBlockCache(std::unique_ptr<ObjectStore> base, size_t max_bytes) {
  return std::make_unique<LruBlockCache>(std::move(base), max_bytes);
}

}  // namespace jfsbr
