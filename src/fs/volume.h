// Volume: a JuiceFS-format filesystem over a Meta (metadata) and an
// ObjectStore (data blocks). The library API behind every CLI command.
//
// Every operation commits all of its metadata changes in one engine
// transaction and retries the whole operation when the transaction conflicts
// with a concurrent one, so a crash or kill never leaves half an operation.
// Data blocks are uploaded before the metadata that references them commits;
// an interrupted write can leak objects (gc finds them) but never exposes
// missing data. Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "meta/meta.h"
#include "model/attr.h"
#include "model/records.h"
#include "model/setting.h"
#include "store/block_codec.h"
#include "store/object_store.h"

namespace jfsbr {

struct FormatOptions {
  std::string name;
  std::string storage = "file";
  std::string bucket;
  std::string access_key, secret_key, session_token;  // s3 (kept in the setting, sealed)
  std::string compression = "none";                   // of blocks: none, lz4, zstd
  std::string encrypt_key_pem;                        // an RSA private key: every object encrypted
  std::string encrypt_algo = "aes256gcm-rsa";         // or chacha20-rsa
  uint64_t block_size_kib = 4096;  // rounded down to a power of two in [64 KiB, 16 MiB]
  int64_t trash_days = 1;
  bool hash_prefix = false;
  bool force = false;  // rewrite the setting of an already formatted volume
  std::string uuid;    // empty: a new random one
};

// Formats the volume in `meta`: writes the setting, the root (and trash)
// inode and the counters, checks the object store and writes juicefs_uuid.
// Refuses an engine that already holds a volume (unless force) or holds any
// other records, and an object store prefix that already holds objects.
Result<VolumeFormat> FormatVolume(Meta* meta, const FormatOptions& opts);
// The volume's object store as its setting describes it, with every key
// under "<name>/": its secrets opened, its shards joined, and, when the
// volume is encrypted, every object encrypted with its key (a passphrase
// from JFS_RSA_PASSPHRASE). A key that cannot be opened gives a store whose
// reads and writes fail saying why, so metadata-only commands still work.
Result<std::unique_ptr<ObjectStore>> OpenVolumeStore(const VolumeFormat& f);
// Tests: the volume clock returns start_sec and one second more on each call,
// so that a fixed script builds a byte-identical volume; and back.
void TEST_UseFakeClock(int64_t start_sec);
void TEST_UseRealClock();

// JuiceFS's rule: 3-63 characters of [a-z0-9-], not starting or ending with '-'.
Status CheckVolumeName(const std::string& name);

// What a new node is created with.
struct NodeSpec {
  uint16_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t rdev = 0;
  // Times to record instead of the current time (import); negative: now.
  int64_t atime = -1;
  uint32_t atimensec = 0;
  int64_t mtime = -1;
  uint32_t mtimensec = 0;
  // Extended attributes set in the same transaction.
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// Which attr fields SetAttr changes.
enum SetAttrMask : uint32_t {
  kSetMode = 1,
  kSetUid = 2,
  kSetGid = 4,
  kSetAtime = 8,
  kSetMtime = 16,
  kSetFlags = 32,
};

struct DirEntry {
  std::string name;
  Dentry dentry;
};

// Where a file's bytes went: the slice records of data uploaded by a
// SliceWriter, ready to be attached to an inode.
struct ChunkSlice {
  uint32_t index = 0;  // chunk index
  SliceRecord record;
};

class Volume;

// Streams bytes into new slices: blocks are uploaded as they fill (memory is
// one block), one slice per 64 MiB chunk touched, as JuiceFS writes
// sequential data. Nothing is visible until the slices are committed.
class SliceWriter {
 public:
  SliceWriter(Volume* vol, uint64_t offset) : vol_(vol), offset_(offset) {}
  Status Append(std::string_view data);
  // Uploads the last partial block; returns every slice written.
  Result<std::vector<ChunkSlice>> Finish();
  uint64_t offset() const { return offset_; }

 private:
  Status FinishSlice();

  Volume* vol_;
  uint64_t offset_;    // file offset of the next byte
  bool open_ = false;  // a slice is being written
  ChunkSlice cur_;
  uint32_t uploaded_ = 0;  // bytes of cur_ already uploaded as full blocks
  std::string block_;      // bytes of the block being filled
  std::vector<ChunkSlice> done_;
};

class Volume {
 public:
  // Opens the volume held by meta; kNotFound if it is not formatted.
  static Result<std::unique_ptr<Volume>> Open(std::unique_ptr<Meta> meta);
  // For tests: a volume whose data goes to `store` instead of its setting's.
  static Result<std::unique_ptr<Volume>> Open(std::unique_ptr<Meta> meta,
                                              std::unique_ptr<ObjectStore> store);

  const VolumeFormat& format() const { return format_; }
  // Not OK when the volume has features our writes would leave wrong
  // (quotas): every namespace and data write returns it.
  const Status& writable() const { return write_refusal_; }
  // Not OK when JuiceFS 1.4's change log is on: the metadata writes of
  // maintenance (gc's cleanups and compaction, fsck's repairs), which a
  // reader of the log would miss, are refused with it. Quotas do not stop
  // them: they change no usage.
  const Status& maintenance_writable() const { return maintenance_refusal_; }
  Meta* meta() { return meta_.get(); }
  ObjectStore* store() { return store_.get(); }
  uint64_t block_bytes() const { return format_.BlockBytes(); }

  // Namespace.
  Result<Dentry> Lookup(Ino parent, std::string_view name);
  // An absolute path ("/a/b", "/" is the root) to its inode.
  Result<Ino> Resolve(std::string_view path);
  Result<Attr> GetAttr(Ino ino);
  Result<std::vector<DirEntry>> ReadDir(Ino dir);
  Result<Ino> Mkdir(Ino parent, std::string_view name, const NodeSpec& spec);
  Result<Ino> Mknod(Ino parent, std::string_view name, FileType type, const NodeSpec& spec);
  Result<Ino> Symlink(Ino parent, std::string_view name, std::string_view target,
                      const NodeSpec& spec);
  Result<std::string> ReadLink(Ino ino);
  Status Link(Ino ino, Ino new_parent, std::string_view new_name);
  Status Rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name);
  Status Unlink(Ino parent, std::string_view name);
  Status Rmdir(Ino parent, std::string_view name);
  Status SetAttr(Ino ino, uint32_t mask, const Attr& attr);

  // Data.
  Status Write(Ino ino, uint64_t offset, std::string_view data);
  Result<std::string> Read(Ino ino, uint64_t offset, uint64_t len);
  Status Truncate(Ino ino, uint64_t length);
  // Creates a regular file whose content is `slices` (from a SliceWriter) and
  // whose length is `length`: it appears complete, in one transaction, or not
  // at all. Over kRefsPerTxn chunks, they are written first under a
  // pending-delete record of the inode (see StageChunks).
  Result<Ino> CreateFile(Ino parent, std::string_view name, const NodeSpec& spec, uint64_t length,
                         const std::vector<ChunkSlice>& slices);
  // Appends slices to an existing file in one transaction.
  Status AttachSlices(Ino ino, const std::vector<ChunkSlice>& slices);
  Result<std::vector<SliceRecord>> ReadChunk(Ino ino, uint32_t index);

  // Extended attributes.
  Status SetXattr(Ino ino, std::string_view name, std::string_view value);
  Result<std::string> GetXattr(Ino ino, std::string_view name);
  Result<std::vector<std::string>> ListXattr(Ino ino);
  Status RemoveXattr(Ino ino, std::string_view name);

  // Counters (usedSpace, totalInodes, nextInode, ...); absent reads as 0.
  Result<int64_t> Counter(std::string_view name);

  // Cleanup (gc --delete). Each returns how many records it finished and the
  // slices whose objects it deleted.
  struct Cleaned {
    uint64_t records = 0;
    uint64_t slices = 0, bytes = 0;  // objects deleted
    uint64_t kept = 0;               // slices whose objects the keeper kept
  };
  // Slices `keep` returns true for keep their objects when nothing in the
  // volume uses them any more (a retained backup does); their records still go.
  void SetObjectKeeper(std::function<bool(uint64_t slice_id)> keep);
  // Every pending deleted file (pending-delete records): its chunks dropped, slice refs
  // decremented, the objects of slices left unused deleted.
  Result<Cleaned> CleanupDeletedFiles();
  // Slice refs below zero: the slice's objects, then the record; refs at zero: the record.
  Result<Cleaned> CleanupPendingSlices();
  // Delayed-slices records (slices replaced by compaction) older than before_sec: refs
  // decremented, the record removed, slices left unused deleted.
  Result<Cleaned> PurgeDelayedSlices(int64_t before_sec);
  // Hourly trash dirs whose hour starts before before_sec, and everything in them.
  Result<Cleaned> PurgeTrash(int64_t before_sec);
  // Compaction (gc --compact): a chunk with several slice records becomes one
  // new slice holding what a reader sees (holes as zeros), written first;
  // then, if the chunk still starts with the records read, they are swapped
  // for the new one (records appended meanwhile stay after it). The replaced
  // slices go to an L record when the volume keeps a trash, in the one
  // transaction of the swap; else they lose a reference (and their objects
  // when unused), and the swap goes kRefsPerTxn records a transaction. Given
  // `unused`, the slices left without a reference go there for the caller to
  // drop with others (DropSlices); until then they are pending deletes.
  struct Compacted {
    uint64_t records = 0;  // slice records replaced
    uint64_t bytes = 0;    // written into the new slice
    bool changed = false;  // false: nothing to do, or the chunk moved on
  };
  Result<Compacted> CompactChunk(Ino ino, uint32_t index, std::vector<SliceId>* unused = nullptr);
  // Deletes the objects of slices nothing uses, then their K keys: a crash
  // between the two leaves keys gc can finish from. The keys go in
  // transactions of kRefsPerTxn (etcd takes 128 operations in one), not one
  // a slice: a commit is a sync on most engines.
  static constexpr size_t kRefsPerTxn = 100;
  Status DropSlices(std::span<const SliceId> slices, Cleaned* cleaned);

  // Internal to fs/: id allocation and block I/O shared by its files.
  Result<Ino> NextInode();
  Result<uint64_t> NextSliceId();
  Status PutBlock(uint64_t id, uint32_t index, std::string_view data);

 private:
  Volume(std::unique_ptr<Meta> m, std::unique_ptr<ObjectStore> s, VolumeFormat f);
  struct Batch {
    uint64_t next = 0, end = 0;
  };
  Result<uint64_t> Allocate(Batch* b, std::string_view counter, uint64_t size);
  Result<Ino> CreateNode(Ino parent, std::string_view name, FileType type, const NodeSpec& spec,
                         std::string_view target, uint64_t length,
                         const std::vector<ChunkSlice>& slices);
  Status Remove(Ino parent, std::string_view name, bool want_dir, Cleaned* cleaned = nullptr);
  Result<Ino> TrashDirFor(Ino parent);
  Status DeleteFileData(Ino ino, uint64_t length, Cleaned* cleaned = nullptr);
  Status DeleteChunk(const RecordKey& chunk, Cleaned* cleaned);
  Status StageChunks(const RecordKey& pending, const std::map<uint32_t, std::string>& chunks,
                     std::string* mark);
  Status CheckStaged(MetaTxn& tx, const RecordKey& pending, const std::string& mark);
  Result<bool> ClaimDeletedFile(const RecordKey& pending);
  Status DiscardStaged(Ino ino, uint64_t length, const Status& why);
  Status DropDelayedSlices(const RecordKey& record, Cleaned* cleaned);
  Status RemoveTree(Ino dir, Cleaned* cleaned);
  Status ReadSegment(uint64_t id, uint32_t size, uint32_t off, uint32_t len, char* dst);

  std::unique_ptr<Meta> meta_;
  std::unique_ptr<ObjectStore> store_;
  VolumeFormat format_;
  BlockCodec codec_;
  Status codec_status_;         // not OK: blocks cannot be read or written (the reason)
  Status write_refusal_;        // not OK: the volume has what our writes do not keep
  Status maintenance_refusal_;  // not OK: the change log is on
  std::mutex alloc_mu_;
  Batch inodes_, slices_;
  // Changes to one directory's entries from this process's threads take turns
  // (a stripe per directory): each writes the directory's attr, so run at
  // once they would conflict and retry, one round trip after another on etcd.
  class DirTurns {
   public:
    struct Turn {
      std::unique_lock<std::mutex> first, second;
      void End() {
        if (second.owns_lock()) second.unlock();
        if (first.owns_lock()) first.unlock();
      }
    };
    // The turns of directories x and y (one of them when x == y).
    Turn Take(Ino x, Ino y);

   private:
    static constexpr size_t kStripes = 64;
    std::array<std::mutex, kStripes> stripes_;
  };
  DirTurns dir_turns_;
  std::function<bool(uint64_t)> keep_objects_;
};

// Checks a single path component: non-empty, no '/', no NUL, at most 255 bytes.
Status CheckName(std::string_view name);

}  // namespace jfsbr
