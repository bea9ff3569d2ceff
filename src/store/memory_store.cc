// In-process object store for tests (storage "mem"); same name shares data.
#include <chrono>
#include <map>
#include <mutex>

#include "store/backends.h"
#include "util/clock.h"

namespace jfsbr {
namespace {

struct MemObjects {
  std::mutex mu;
  std::map<std::string, std::pair<std::string, int64_t>> objects;  // key -> data, mtime
};

class MemoryStore final : public ObjectStore {
 public:
  MemoryStore(std::string name, std::shared_ptr<MemObjects> o)
      : name_(std::move(name)), o_(std::move(o)) {}

  Status Put(const std::string& key, std::string_view data) override {
    int64_t now = UnixSeconds();
    std::lock_guard l(o_->mu);
    o_->objects[key] = {std::string(data), now};
    return Status::OK();
  }
  Result<std::unique_ptr<Sink>> Create(const std::string& key) override {
    // Buffered whole: this store is for tests.
    class MemSink final : public Sink {
     public:
      MemSink(MemoryStore* store, std::string key) : store_(store), key_(std::move(key)) {}
      Status Write(std::string_view data) override {
        data_.append(data);
        return Status::OK();
      }
      Status Close() override { return store_->Put(key_, data_); }

     private:
      MemoryStore* store_;
      std::string key_, data_;
    };
    return std::unique_ptr<Sink>(new MemSink(this, key));
  }
  Result<std::string> Get(const std::string& key, uint64_t off, int64_t len) override {
    std::lock_guard l(o_->mu);
    auto it = o_->objects.find(key);
    if (it == o_->objects.end()) return Status::NotFound("no object " + key);
    const std::string& d = it->second.first;
    if (off >= d.size()) return std::string();
    return d.substr(off, len < 0 ? std::string::npos : static_cast<size_t>(len));
  }
  Result<ObjectInfo> Head(const std::string& key) override {
    std::lock_guard l(o_->mu);
    auto it = o_->objects.find(key);
    if (it == o_->objects.end()) return Status::NotFound("no object " + key);
    return ObjectInfo{key, it->second.first.size(), it->second.second};
  }
  Result<ListPage> List(const std::string& prefix, const std::string& after,
                        size_t limit) override {
    std::lock_guard l(o_->mu);
    ListPage page;
    auto it = o_->objects.lower_bound(prefix);
    if (!after.empty() && after >= prefix) it = o_->objects.upper_bound(after);
    for (; it != o_->objects.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      if (page.objects.size() == limit) {
        page.truncated = true;
        break;
      }
      page.objects.push_back({it->first, it->second.first.size(), it->second.second});
    }
    return page;
  }
  Status Delete(const std::string& key) override {
    std::lock_guard l(o_->mu);
    o_->objects.erase(key);
    return Status::OK();
  }
  std::string Describe() const override { return "mem://" + name_; }

 private:
  std::string name_;
  std::shared_ptr<MemObjects> o_;
};

}  // namespace

std::shared_ptr<ObjectStore> OpenMemoryStore(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<MemObjects>> named;
  std::lock_guard l(mu);
  auto o = named[name].lock();
  if (!o) {
    o = std::make_shared<MemObjects>();
    named[name] = o;
  }
  return std::make_shared<MemoryStore>(name, o);
}

}  // namespace jfsbr
