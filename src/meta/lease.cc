// A Lease::Slot over a tool record of a Meta.
#include "meta/lease.h"

namespace jfsbr {
namespace {

class MetaSlot : public Lease::Slot {
 public:
  MetaSlot(Meta* meta, std::string name) : meta_(meta), key_(RecordKey::Tool(name)) {}
  Status Update(const Lease::UpdateFn& fn) override {
    return meta_->Transact([&](MetaTxn& tx) { return Lease::UpdateIn(tx, key_, fn); });
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
