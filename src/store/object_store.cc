// What every store shares: streamed reads, listing helpers, ranged listings.
#include "store/object_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>

#include "util/task_group.h"

namespace jfsbr {
namespace {

// Reads [0, size) in pieces; while one piece is consumed the next is fetched.
class ObjectSource final : public Source {
 public:
  ObjectSource(ObjectStore* store, std::string key, uint64_t size, size_t piece)
      : store_(store), key_(std::move(key)), size_(size), piece_(piece) {
    Prefetch();
  }
  ~ObjectSource() override {
    if (next_.valid()) next_.wait();
  }

  Result<size_t> Read(char* buf, size_t n) override {
    while (pos_ == data_.size()) {
      if (!next_.valid()) return size_t{0};
      Result<std::string> got = next_.get();
      if (!got.ok()) return got.status();
      if (got->size() != std::min<uint64_t>(piece_, size_ - fetched_)) {
        return Status::Corruption("object " + key_ + " changed or ended early while being read");
      }
      fetched_ += got->size();
      data_ = std::move(*got);
      pos_ = 0;
      Prefetch();
    }
    size_t k = std::min(n, data_.size() - pos_);
    memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  void Prefetch() {
    if (fetched_ >= size_) return;
    uint64_t off = fetched_;
    auto len = static_cast<int64_t>(std::min<uint64_t>(piece_, size_ - off));
    next_ =
        std::async(std::launch::async, [this, off, len] { return store_->Get(key_, off, len); });
  }

  ObjectStore* store_;
  std::string key_;
  uint64_t size_;
  size_t piece_;
  uint64_t fetched_ = 0;  // bytes of the pieces already taken from next_
  std::string data_;
  size_t pos_ = 0;
  std::future<Result<std::string>> next_;
};

class PrefixedStore final : public ObjectStore {
 public:
  PrefixedStore(std::shared_ptr<ObjectStore> base, std::string prefix)
      : base_(std::move(base)), prefix_(std::move(prefix)) {}
  Status Put(const std::string& key, std::string_view data) override {
    return base_->Put(prefix_ + key, data);
  }
  Result<std::unique_ptr<Sink>> Create(const std::string& key) override {
    return base_->Create(prefix_ + key);
  }
  Result<std::string> Get(const std::string& key, uint64_t off, int64_t len) override {
    return base_->Get(prefix_ + key, off, len);
  }
  Result<ObjectInfo> Head(const std::string& key) override {
    JFS_ASSIGN_OR_RETURN(ObjectInfo info, base_->Head(prefix_ + key));
    info.key.erase(0, prefix_.size());
    return info;
  }
  Result<ListPage> List(const std::string& prefix, const std::string& start_after,
                        size_t limit) override {
    JFS_ASSIGN_OR_RETURN(
        ListPage page,
        base_->List(prefix_ + prefix, start_after.empty() ? "" : prefix_ + start_after, limit));
    for (auto& o : page.objects) o.key.erase(0, prefix_.size());
    return page;
  }
  Status Delete(const std::string& key) override { return base_->Delete(prefix_ + key); }
  Result<std::unique_ptr<Source>> Open(const std::string& key, size_t piece) override {
    return base_->Open(prefix_ + key, piece);
  }
  std::string Describe() const override { return base_->Describe() + prefix_; }

 private:
  std::shared_ptr<ObjectStore> base_;
  std::string prefix_;
};

}  // namespace

Result<std::unique_ptr<Source>> ObjectStore::Open(const std::string& key, size_t piece) {
  JFS_ASSIGN_OR_RETURN(ObjectInfo info, Head(key));
  return std::unique_ptr<Source>(
      new ObjectSource(this, key, info.size, std::max<size_t>(piece, 1)));
}

Result<std::unique_ptr<Source>> OpenObject(ObjectStore* store, const std::string& key,
                                           size_t piece) {
  return store->Open(key, piece);
}

Result<std::vector<ObjectInfo>> ListAll(ObjectStore* store, const std::string& prefix) {
  std::vector<ObjectInfo> all;
  std::string after;
  while (true) {
    JFS_ASSIGN_OR_RETURN(ListPage page, store->List(prefix, after, 1000));
    for (auto& o : page.objects) all.push_back(std::move(o));
    if (!page.truncated || page.objects.empty()) break;
    after = all.back().key;
  }
  return all;
}

Status ListRanges(ObjectStore* store, const std::string& prefix,
                  const std::vector<std::string>& bounds, int threads,
                  const std::function<Status(const ObjectInfo&)>& fn) {
  std::atomic<bool> failed{false};  // stops the other ranges between pages
  auto range = [&](size_t i) -> Status {
    std::string cursor = i == 0 ? std::string() : bounds[i - 1];
    const std::string* end = i < bounds.size() ? &bounds[i] : nullptr;
    while (!failed) {
      JFS_ASSIGN_OR_RETURN(ListPage page, store->List(prefix, cursor, 1000));
      for (const auto& o : page.objects) {
        if (end && o.key > *end) return Status::OK();
        JFS_RETURN_IF_ERROR(fn(o));
        cursor = o.key;
      }
      if (!page.truncated || page.objects.empty()) return Status::OK();
    }
    return Status::OK();
  };
  return ParallelFor(bounds.size() + 1, threads, [&](size_t i) {
    Status st = range(i);
    if (!st.ok()) failed = true;
    return st;
  });
}

std::unique_ptr<ObjectStore> WithPrefix(std::shared_ptr<ObjectStore> base, std::string prefix) {
  return std::unique_ptr<ObjectStore>(new PrefixedStore(std::move(base), std::move(prefix)));
}

}  // namespace jfsbr
