// What `gc` makes of one object under "<volume>/chunks/" (juicefs-formats.md
// §5.1): a block name taken apart, and the object's class against the slice
// inventory. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>


namespace jfsbr {

// Where the metadata (or a retained backup) mentions a slice. When several
// apply, the first in this order wins.
enum class SliceUse : uint8_t {
  kUsed,     // a chunk record of a file (pending-deleted files included)
  kPending,  // a K key below zero: its objects are to be deleted
  kTrash,    // listed in an L key: replaced by compaction, kept for the trash days
  kBackup,   // only a retained metadata backup's files use it
};

struct SliceMark {
  uint32_t size = 0;
  SliceUse use = SliceUse::kUsed;
};

// Every slice id the inventory knows: 16 bytes a slice, sorted once all are
// in (a hash map would take ~3x that; 100 M slices fit in 1.6 GB).
class SliceInventory {
 public:
  struct Entry {
    uint64_t id;
    SliceMark mark;
  };
  // Records a use of slice (id, size); after Seal, the strongest use of an id wins.
  void Add(uint64_t id, uint32_t size, SliceUse use) { entries_.push_back({id, {size, use}}); }
  // Sorts and keeps one entry per id; Add after Seal needs another Seal.
  void Seal();
  const SliceMark* Find(uint64_t id) const;  // only after Seal
  size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

enum class ObjectClass : uint8_t {
  kValid,          // a block of a used slice, within the slice
  kPendingDelete,  // a block of a slice waiting for deletion (K < 0)
  kCompacted,      // a block of a slice in the trash (L)
  kBackup,         // a block only a retained backup uses (kept)
  kLeaked,         // referenced by nothing: gc --delete removes it
  kSkipped,        // younger than the skip window: perhaps being written
  kForeign,        // not a block name, or not where the volume puts it: never touched
};
inline constexpr int kObjectClasses = 7;
const char* ObjectClassName(ObjectClass c);

// JuiceFS's rules: an object newer than the cutoff is skipped; a block of a
// used slice is leaked when it lies past the slice's end (a full-size block
// must end within the slice; a short block must end exactly at its end).
// Unlike JuiceFS, a name the volume would not write for that block (another
// directory, padded numbers) is foreign, not leaked.
struct VolumeLayout {
  uint64_t block_bytes = 4 << 20;
  bool hash_prefix = false;
};
ObjectClass ClassifyObject(std::string_view key, int64_t mtime, const SliceInventory& inv,
                           const VolumeLayout& layout, int64_t cutoff);

}  // namespace jfsbr
