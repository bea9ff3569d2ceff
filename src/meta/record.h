// The records of a JuiceFS volume's metadata, named independently of the
// engine that holds them.
//
// Every JuiceFS engine family keeps the same records in its own native schema
// (TKV keys, Redis keys and hashes, SQL rows); this header names a record by
// what it is (the attr of inode 5, the entry "a" of directory 1) so that the
// layers above meta/ never see a schema. A record's value is always in the
// encoding of model/records.h (juicefs-formats.md §1.4: the bytes JuiceFS's
// TKV engines store, the attr and slice bytes Redis stores too); an engine
// whose native form differs (Redis counters, SQL columns) converts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/types.h"

namespace jfsbr {

enum class RecordKind : uint8_t {
  kUnknown,        // something the engine holds that is not a JuiceFS record
  kSetting,        // the volume's setting JSON
  kCounter,        // name: a volume counter (LE64)
  kAttr,           // ino
  kEntry,          // ino (the directory), name
  kParent,         // ino, other (a parent of a hard link): link count (LE64)
  kChunk,          // ino, index: the slice list
  kSymlink,        // ino: the target
  kXattr,          // ino, name
  kDelFile,        // ino, id (its length): a file deleted while open or pending
  kSliceRef,       // id (slice), index (its size): refs - 1 (LE64)
  kDelayedSlices,  // ts, id: slices replaced by compaction, kept while trash lasts
  kDirStat,        // ino: a directory's usage
  kDirQuota,       // ino
  kUserQuota,      // id (uid)
  kGroupQuota,     // id (gid)
  kAclRule,        // id
  kSessionExpire,  // id (session)
  kSessionInfo,    // id (session)
  kSustained,      // id (session), ino: an open, unlinked file
  kDetached,       // ino: a node detached from the tree (a failed rmr)
  kTool,           // name: jfsbr's own (the backup lease), beside JuiceFS's records;
                   // dumps, loads and check leave it alone
};

// The identity of one record. kind says which fields are meaningful (see
// RecordKind); the rest are zero or empty.
struct RecordKey {
  RecordKind kind = RecordKind::kUnknown;
  Ino ino = 0;
  Ino other = 0;
  std::string name;
  uint64_t id = 0;
  uint32_t index = 0;
  int64_t ts = 0;

  static RecordKey Setting() { return {RecordKind::kSetting}; }
  static RecordKey Counter(std::string_view name) {
    return {RecordKind::kCounter, 0, 0, std::string(name)};
  }
  static RecordKey Attr(Ino ino) { return {RecordKind::kAttr, ino}; }
  static RecordKey Entry(Ino parent, std::string_view name) {
    return {RecordKind::kEntry, parent, 0, std::string(name)};
  }
  static RecordKey Parent(Ino ino, Ino parent) { return {RecordKind::kParent, ino, parent}; }
  static RecordKey Chunk(Ino ino, uint32_t index) {
    return {RecordKind::kChunk, ino, 0, {}, 0, index};
  }
  static RecordKey Symlink(Ino ino) { return {RecordKind::kSymlink, ino}; }
  static RecordKey Xattr(Ino ino, std::string_view name) {
    return {RecordKind::kXattr, ino, 0, std::string(name)};
  }
  static RecordKey DelFile(Ino ino, uint64_t length) {
    return {RecordKind::kDelFile, ino, 0, {}, length};
  }
  static RecordKey SliceRef(uint64_t id, uint32_t size) {
    return {RecordKind::kSliceRef, 0, 0, {}, id, size};
  }
  static RecordKey DelayedSlices(int64_t ts, uint64_t id) {
    return {RecordKind::kDelayedSlices, 0, 0, {}, id, 0, ts};
  }
  static RecordKey DirStat(Ino ino) { return {RecordKind::kDirStat, ino}; }
  static RecordKey DirQuota(Ino ino) { return {RecordKind::kDirQuota, ino}; }
  static RecordKey UserQuota(uint64_t uid) { return {RecordKind::kUserQuota, 0, 0, {}, uid}; }
  static RecordKey GroupQuota(uint64_t gid) { return {RecordKind::kGroupQuota, 0, 0, {}, gid}; }
  static RecordKey AclRule(uint32_t id) { return {RecordKind::kAclRule, 0, 0, {}, id}; }
  static RecordKey SessionExpire(uint64_t sid) {
    return {RecordKind::kSessionExpire, 0, 0, {}, sid};
  }
  static RecordKey SessionInfo(uint64_t sid) { return {RecordKind::kSessionInfo, 0, 0, {}, sid}; }
  static RecordKey Sustained(uint64_t sid, Ino ino) {
    return {RecordKind::kSustained, ino, 0, {}, sid};
  }
  static RecordKey Detached(Ino ino) { return {RecordKind::kDetached, ino}; }
  static RecordKey Tool(std::string_view name) {
    return {RecordKind::kTool, 0, 0, std::string(name)};
  }

  bool operator==(const RecordKey&) const = default;
};

// "attr of inode 5", "entry 'a' of inode 1": for messages.
std::string Describe(const RecordKey& key);

// A set of records an engine lists in one scan. Each engine serves every
// shape in the order given here.
struct RecordRange {
  enum class Shape {
    kAll,         // every record of the volume (engine order)
    kKind,        // every record of one kind (for inode kinds: of every inode)
    kInode,       // every record keyed by one inode (attr, entries, chunks, ...)
    kNode,        // the same without a directory's entries (dump reads them apart)
    kOfInode,     // the records of one kind of one inode, in name/index order
    kInodeShard,  // the inode-keyed records of shard `shard` of `shards`
  };
  Shape shape = Shape::kAll;
  RecordKind kind = RecordKind::kUnknown;
  Ino ino = 0;
  std::string from;                       // kOfInode entries/xattrs: the first name (inclusive)
  uint32_t first = 0, last = UINT32_MAX;  // kOfInode chunks: indexes [first, last)
  bool is_dir = false;                    // kNode: a hint, engines may skip entries cheaper
  bool any_order = false;                 // kAll, kKind: see KindInAnyOrder
  int shard = 0, shards = 1;

  static RecordRange All() { return {}; }
  // Every record, each kind in the order the engine reads fastest.
  static RecordRange AllInAnyOrder() {
    RecordRange r;
    r.any_order = true;
    return r;
  }
  static RecordRange Kind(RecordKind k) { return {Shape::kKind, k}; }
  // Every record of a kind, in whatever order the engine reads fastest (SQL:
  // a table's primary-key order), for a reader that needs no order.
  static RecordRange KindInAnyOrder(RecordKind k) {
    RecordRange r{Shape::kKind, k};
    r.any_order = true;
    return r;
  }
  static RecordRange Inode(Ino ino) { return {Shape::kInode, RecordKind::kUnknown, ino}; }
  // The attr, chunks, symlink, xattrs and parents of ino.
  static RecordRange Node(Ino ino, bool is_dir) {
    RecordRange r{Shape::kNode, RecordKind::kUnknown, ino};
    r.is_dir = is_dir;
    return r;
  }
  // Entries of parent in name order (bytewise), from name `from` on.
  static RecordRange Entries(Ino parent, std::string_view from = {}) {
    return {Shape::kOfInode, RecordKind::kEntry, parent, std::string(from)};
  }
  static RecordRange Xattrs(Ino ino) { return {Shape::kOfInode, RecordKind::kXattr, ino}; }
  static RecordRange Parents(Ino ino) { return {Shape::kOfInode, RecordKind::kParent, ino}; }
  // Chunks of ino with index in [first, last), in index order.
  static RecordRange Chunks(Ino ino, uint32_t first = 0, uint32_t last = UINT32_MAX) {
    RecordRange r{Shape::kOfInode, RecordKind::kChunk, ino};
    r.first = first;
    r.last = last;
    return r;
  }
  // One of `shards` parts of every inode-keyed record: together they are
  // every such record, each once, and one inode's records are in one part,
  // together (the order within it is the engine's). Like All, it also
  // gives what the engine holds there that is no record (kind kUnknown):
  // full walks report it as damaged.
  static RecordRange InodeShard(int shard, int shards) {
    RecordRange r{Shape::kInodeShard};
    r.shard = shard;
    r.shards = shards;
    return r;
  }
};

}  // namespace jfsbr
