// A Lease::Slot over a tool record of a Meta.
#include "meta/lease.h"

namespace jfsbr {
namespace {

class MetaSlot : public Lease::Slot {
 public:
  MetaSlot(Meta* meta, std::string name) : meta_(meta), key_(RecordKey::Tool(name)) {}
  Status Update(const std::function<Status(std::optional<std::string>*)>& fn) override {
    return meta_->Transact([&](MetaTxn& tx) {
      JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key_));
      auto before = v;
      JFS_RETURN_IF_ERROR(fn(&v));
      if (v == before) return Status::OK();
      if (v) {
        tx.Put(key_, *v);
      } else {
        tx.Delete(key_);
      }
      return Status::OK();
    });
  }
  Result<std::optional<std::string>> Read() override { return meta_->Get(key_); }

 private:
  Meta* meta_;
  RecordKey key_;
};

}  // namespace

std::unique_ptr<Lease::Slot> LeaseSlotIn(Meta* meta, std::string name) {
  return std::make_unique<MetaSlot>(meta, std::move(name));
}

}  // namespace jfsbr
