// Helpers shared by the fs/ implementation files; not part of the API.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "meta/meta.h"
#include "model/attr.h"
#include "model/records.h"
#include "model/setting.h"

namespace jfsbr::fsi {

struct Timespec {
  int64_t sec = 0;
  uint32_t nsec = 0;
};
Timespec Now();
void SetMtime(Attr* a, Timespec t);  // mtime and ctime
void SetCtime(Attr* a, Timespec t);

// The attr of ino read in the txn; kNotFound if absent.
Result<Attr> GetAttr(MetaTxn& tx, Ino ino);
inline void PutAttr(MetaTxn& tx, Ino ino, const Attr& a) {
  tx.Put(RecordKey::Attr(ino), EncodeAttr(a));
}
// The dir attr of parent; kNotFound / kNotDirectory otherwise.
Result<Attr> GetDirAttr(MetaTxn& tx, Ino parent);

// Adds delta to dir's usage record (U) when the volume keeps dir stats. A
// missing record is first rebuilt from the directory's children.
Status UpdateDirStat(MetaTxn& tx, const VolumeFormat& f, Ino dir, const DirStat& delta);
// The directories ino is linked from, with the number of links in each.
Result<std::vector<std::pair<Ino, int64_t>>> Parents(MetaTxn& tx, Ino ino, const Attr& a);
// What a child of this type and length adds to its parent's usage record.
DirStat ChildStat(FileType type, uint64_t length);

// Volume-wide usage counters.
inline void AddUsage(MetaTxn& tx, int64_t space, int64_t inodes) {
  if (space != 0) tx.Add(RecordKey::Counter("usedSpace"), space);
  if (inodes != 0) tx.Add(RecordKey::Counter("totalInodes"), inodes);
}

// Drops one reference of slice s (K holds refs-1; absent means one ref).
// Returns true when nothing uses the slice any more (K went below zero).
Result<bool> DropSliceRef(MetaTxn& tx, const SliceId& s);
// The reference records (K) of the slices the records name.
std::vector<RecordKey> SliceRefKeys(std::span<const SliceRecord> records);
// Drops one reference of each slice, read in one request; the slices left
// unused are appended to `unused`.
Status DropSliceRefs(MetaTxn& tx, std::span<const SliceId> slices, std::vector<SliceId>* unused);
// Drops one reference for each slice a record names (zero-slices hold none);
// the slices left unused are appended to `unused`.
Status DropRecordRefs(MetaTxn& tx, std::span<const SliceRecord> records,
                      std::vector<SliceId>* unused);

}  // namespace jfsbr::fsi
