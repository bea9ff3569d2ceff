// Classifying a listed object by its name against the slices in use.
#include "gc/classify.h"

#include <algorithm>

#include "model/block.h"

namespace jfsbr {
void SliceInventory::Seal() {
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.id != b.id ? a.id < b.id : a.mark.use < b.mark.use;
  });
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [](const Entry& a, const Entry& b) { return a.id == b.id; }),
                 entries_.end());
  entries_.shrink_to_fit();
}

const SliceMark* SliceInventory::Find(uint64_t id) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                             [](const Entry& e, uint64_t v) { return e.id < v; });
  return it != entries_.end() && it->id == id ? &it->mark : nullptr;
}

const char* ObjectClassName(ObjectClass c) {
  switch (c) {
    case ObjectClass::kValid:
      return "valid";
    case ObjectClass::kPendingDelete:
      return "pending delete";
    case ObjectClass::kCompacted:
      return "compacted";
    case ObjectClass::kBackup:
      return "kept for backups";
    case ObjectClass::kLeaked:
      return "leaked";
    case ObjectClass::kSkipped:
      return "skipped";
    case ObjectClass::kForeign:
      return "foreign";
  }
  return "?";
}

ObjectClass ClassifyObject(std::string_view key, int64_t mtime, const SliceInventory& inv,
                           const VolumeLayout& layout, int64_t cutoff) {
  if (mtime > cutoff) return ObjectClass::kSkipped;
  auto name = ParseBlockName(key);
  if (!name || BlockKey(name->id, name->index, name->len, layout.hash_prefix) != key) {
    return ObjectClass::kForeign;
  }
  const uint64_t bs = layout.block_bytes;
  const SliceMark* m = inv.Find(name->id);
  if (m == nullptr) return ObjectClass::kLeaked;
  switch (m->use) {
    case SliceUse::kUsed:
    case SliceUse::kBackup: {
      uint64_t start = uint64_t{name->index} * bs;
      bool inside = name->len == bs ? start + bs <= m->size : start + name->len == m->size;
      if (!inside || name->len == 0) return ObjectClass::kLeaked;
      return m->use == SliceUse::kUsed ? ObjectClass::kValid : ObjectClass::kBackup;
    }
    case SliceUse::kPending:
      return ObjectClass::kPendingDelete;
    case SliceUse::kTrash:
      return ObjectClass::kCompacted;
  }
  return ObjectClass::kLeaked;
}

}  // namespace jfsbr
