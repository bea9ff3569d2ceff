// The JSON dump's scan-order read: every inode's records read once in the
// engine's order (shards in parallel) and filed in a KeySpill under the parent
// directory, so that the tree walk reads a directory's entries and its
// children's keys back at once instead of seeking to every child.
//
// Two kinds of record, under a directory's inode:
//   'E' seq u32, then (name len u16, name, value len u16, dentry value)...:
//       the directory's own entries, in name order, split every 4,096
//       entries; seq numbers the parts.
//   'N' ino u64, then (type char, rest len u16, rest, value len u32,
//       value)...: a child's attr ('I'), symlink ('S'), xattr ('X', rest:
//       its name) and chunk ('C', rest: the index BE32) records, filed under
//       every parent (the attr's, or each of a hard link's parent records).
// The spill is only a cache of the snapshot: a child that is not filed
// under the directory naming it is read from the snapshot (see SpilledDir).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dump/node.h"
#include "dump/spill.h"
#include "meta/meta.h"
#include "model/records.h"

namespace jfsbr {

struct DirChild {
  std::string name;
  Dentry dentry;
};

// Files every inode record of reader in spill, reading `threads` shards at
// once. progress (may be empty) gets the number of records read now and then.
Status SpillInodes(MetaReader* reader, int threads, size_t buffer_bytes, KeySpill* spill,
                   const std::function<void(uint64_t keys)>& progress);

// One directory's records, read back from the spill: at once when they are
// at most max_in_memory bytes, else only where each is (20 bytes a child),
// each child then read when asked for.
class SpilledDir {
 public:
  static Result<SpilledDir> Read(const KeySpill& spill, Ino dir, uint64_t max_in_memory);

  // Up to max of the next entries, in name order (none at the end).
  Result<std::vector<DirChild>> NextChildren(size_t max);
  // The keys of child ino as filed under this directory (empty if none);
  // *scratch holds them when they had to be read. Thread-safe.
  Result<std::string_view> Node(Ino ino, std::string* scratch) const;

 private:
  // Packed to 20 bytes (24 aligned): one per child of a directory of
  // millions is most of a dump's memory that grows with the volume.
#pragma pack(push, 4)
  struct Ref {
    uint64_t key;     // the inode of an N record, the seq of an E record
    uint64_t offset;  // of what follows the key: in data_, or in the file
    uint32_t length;
    bool operator<(const Ref& o) const { return key < o.key; }
  };
#pragma pack(pop)
  static_assert(sizeof(Ref) == 20);
  Status Index(std::string_view records, uint64_t base);
  Status ReadPart();

  const KeySpill* spill_ = nullptr;
  Ino dir_ = 0;
  bool in_memory_ = true;
  std::string data_;  // every record in memory, or the E record being read
  std::vector<Ref> parts_, nodes_;
  size_t next_part_ = 0;
  std::string_view part_;  // its entries not yet returned
};

// Fills n (n->ino set) from a node record of SpilledDir::Node.
Status DecodeSpilledNode(std::string_view record, DumpedNode* n, std::optional<std::string>* attr);

}  // namespace jfsbr
