#include "store/object_store.h"

namespace jfsbr {
namespace {

class PrefixedStore final : public ObjectStore {
 public:
  PrefixedStore(std::shared_ptr<ObjectStore> base, std::string prefix)
      : base_(std::move(base)), prefix_(std::move(prefix)) {}
  Status Put(const std::string& key, std::string_view data) override {
    return base_->Put(prefix_ + key, data);
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
  std::string Describe() const override { return base_->Describe() + prefix_; }

 private:
  std::shared_ptr<ObjectStore> base_;
  std::string prefix_;
};

}  // namespace

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

std::unique_ptr<ObjectStore> WithPrefix(std::shared_ptr<ObjectStore> base, std::string prefix) {
  return std::unique_ptr<ObjectStore>(new PrefixedStore(std::move(base), std::move(prefix)));
}

}  // namespace jfsbr
