// The synthetic benchmark volume, written in bulk, and its block objects.
#include "fs/bench_gen.h"

#include <atomic>

#include "fs/internal.h"
#include "fs/volume.h"
#include "model/attr.h"
#include "model/block.h"
#include "model/records.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

constexpr uint64_t kFileSize = 8192;
constexpr int kFanout = 10, kDepth = 3;

class Generator {
 public:
  Generator(Meta* m, uint64_t files, int threads, uint32_t slices)
      : writer_(m->NewBulkWriter(threads)),
        files_(files),
        slices_(slices),
        now_(fsi::Now().sec) {}

  Result<BenchGenStats> Run() {
    // The big directory holds 10% of the files and the second names of the
    // hard-linked ones; the tree the rest.
    Ino big = NewIno();
    uint64_t in_big = files_ / 10;
    uint64_t leaves = 1;
    for (int i = 0; i < kDepth; i++) leaves *= kFanout;
    uint64_t per_leaf = (files_ - in_big) / leaves;
    uint64_t extra = (files_ - in_big) % leaves;
    DirStat root_stat;
    JFS_RETURN_IF_ERROR(Child(kRootInode, "big", big, FileType::kDirectory, 0, &root_stat));
    uint32_t root_subdirs = 1;
    for (int i = 0; i < kFanout; i++) {
      Ino d = NewIno();
      JFS_RETURN_IF_ERROR(Tree(d, kRootInode, 1, per_leaf, &extra));
      JFS_RETURN_IF_ERROR(
          Child(kRootInode, "d" + std::to_string(i), d, FileType::kDirectory, 0, &root_stat));
      root_subdirs++;
    }
    JFS_RETURN_IF_ERROR(BigDir(big, in_big));
    JFS_RETURN_IF_ERROR(PutDir(kRootInode, kRootInode, 0777, root_subdirs, root_stat));
    JFS_RETURN_IF_ERROR(Counters());
    JFS_RETURN_IF_ERROR(writer_->Finish());
    stats_.keys = writer_->records();
    return stats_;
  }

 private:
  Ino NewIno() { return next_ino_++; }

  Attr MakeAttr(FileType type, uint16_t mode, Ino parent, uint64_t length) {
    Attr a;
    a.type = type;
    a.mode = mode;
    a.uid = a.gid = 1000;
    a.atime = a.mtime = a.ctime = now_;
    a.nlink = type == FileType::kDirectory ? 2 : 1;
    a.length = length;
    a.parent = parent;
    return a;
  }

  // Writes the entry (parent, name) -> ino and adds it to the parent's usage.
  Status Child(Ino parent, const std::string& name, Ino ino, FileType type, uint64_t length,
               DirStat* parent_stat) {
    DirStat c = fsi::ChildStat(type, length);
    parent_stat->length += c.length;
    parent_stat->space += c.space;
    parent_stat->inodes++;
    return writer_->Put(RecordKey::Entry(parent, name), EncodeDentry({type, ino}));
  }

  Status PutDir(Ino ino, Ino parent, uint16_t mode, uint32_t subdirs, const DirStat& stat) {
    Attr a = MakeAttr(FileType::kDirectory, mode, parent, 4096);
    a.nlink = 2 + subdirs;
    if (ino != kRootInode) Count(4096);
    JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Attr(ino), EncodeAttr(a)));
    stats_.dirs++;
    return writer_->Put(RecordKey::DirStat(ino), EncodeDirStat(stat));
  }

  void Count(int64_t space) {
    used_space_ += space;
    used_inodes_++;
  }

  Status Tree(Ino dir, Ino parent, int level, uint64_t per_leaf, uint64_t* extra) {
    DirStat stat;
    uint32_t subdirs = 0;
    if (level == kDepth) {
      uint64_t n = per_leaf + (*extra > 0 ? 1 : 0);
      if (*extra > 0) (*extra)--;
      JFS_RETURN_IF_ERROR(Files(dir, n, &stat, /*leaf=*/true));
    } else {
      for (int i = 0; i < kFanout; i++) {
        Ino d = NewIno();
        JFS_RETURN_IF_ERROR(Tree(d, dir, level + 1, per_leaf, extra));
        JFS_RETURN_IF_ERROR(Child(dir, "d" + std::to_string(i), d, FileType::kDirectory, 0, &stat));
        subdirs++;
      }
    }
    return PutDir(dir, parent, 0755, subdirs, stat);
  }

  // n files named f<i> in dir. Counting files over the whole volume, every
  // 100th has a hard link in the big dir (from the tree), every 100th (offset
  // 33) a symlink next to it, every 100th (offset 66) an xattr.
  Status Files(Ino dir, uint64_t n, DirStat* stat, bool leaf) {
    for (uint64_t i = 0; i < n; i++) {
      Ino ino = NewIno();
      std::string name = "f" + std::to_string(i);
      uint64_t g = stats_.files;
      bool linked = leaf && g % 100 == 0;
      Attr a = MakeAttr(FileType::kFile, 0644, dir, kFileSize);
      if (linked) {
        a.nlink = 2;
        a.parent = 0;
        links_.push_back(ino);
        JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Parent(ino, dir), EncodeCounterLE(1)));
      }
      JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Attr(ino), EncodeAttr(a)));
      JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Chunk(ino, 0), Slices()));
      JFS_RETURN_IF_ERROR(Child(dir, name, ino, FileType::kFile, kFileSize, stat));
      Count(Align4K(kFileSize));
      stats_.files++;
      if (g % 100 == 66) {
        JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Xattr(ino, "user.bench"), "value-" + name));
        stats_.xattrs++;
      }
      if (g % 100 == 33) {
        Ino s = NewIno();
        std::string target = name;
        JFS_RETURN_IF_ERROR(
            writer_->Put(RecordKey::Attr(s),
                         EncodeAttr(MakeAttr(FileType::kSymlink, 0777, dir, target.size()))));
        JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Symlink(s), target));
        JFS_RETURN_IF_ERROR(Child(dir, "s" + std::to_string(i), s, FileType::kSymlink, 0, stat));
        Count(Align4K(0));
        stats_.symlinks++;
      }
    }
    return Status::OK();
  }

  // The file's one chunk: its 8 KiB written in slices_ appends, one slice
  // record each (the last takes what does not divide evenly).
  std::string Slices() {
    std::string chunk;
    const uint32_t part = kFileSize / slices_;
    for (uint32_t i = 0, pos = 0; i < slices_; i++, pos += part) {
      uint32_t len = i + 1 < slices_ ? part : kFileSize - pos;
      AppendSliceRecord(&chunk, {pos, next_slice_++, len, 0, len});
    }
    return chunk;
  }

  Status BigDir(Ino big, uint64_t n) {
    DirStat stat;
    JFS_RETURN_IF_ERROR(Files(big, n, &stat, /*leaf=*/false));
    for (Ino ino : links_) {
      JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Parent(ino, big), EncodeCounterLE(1)));
      JFS_RETURN_IF_ERROR(
          Child(big, "link-" + std::to_string(ino), ino, FileType::kFile, kFileSize, &stat));
      stats_.hard_links++;
    }
    return PutDir(big, kRootInode, 0755, 0, stat);
  }

  Status Counters() {
    JFS_RETURN_IF_ERROR(
        writer_->Put(RecordKey::Counter("usedSpace"), EncodeCounterLE(used_space_)));
    JFS_RETURN_IF_ERROR(
        writer_->Put(RecordKey::Counter("totalInodes"), EncodeCounterLE(used_inodes_)));
    JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Counter("nextInode"),
                                     EncodeCounterLE(static_cast<int64_t>(next_ino_))));
    return writer_->Put(RecordKey::Counter("nextChunk"),
                        EncodeCounterLE(static_cast<int64_t>(next_slice_)));
  }

  std::unique_ptr<MetaBulkWriter> writer_;
  uint64_t files_;
  uint32_t slices_;
  int64_t now_;
  Ino next_ino_ = 2;
  uint64_t next_slice_ = 1;
  int64_t used_space_ = 0, used_inodes_ = 0;
  std::vector<Ino> links_;
  BenchGenStats stats_;
};

}  // namespace

Result<BenchGenStats> GenerateBenchVolume(Meta* meta, uint64_t files, int threads,
                                          FormatOptions o, uint32_t slices) {
  if (slices < 1 || slices > kFileSize) {
    return Status::InvalidArgument("slices per file must be 1 to " + std::to_string(kFileSize));
  }
  o.name = "bench";
  if (o.bucket.empty()) o.storage = o.bucket = "mem";
  o.trash_days = 0;
  JFS_RETURN_IF_ERROR(FormatVolume(meta, o).status());
  return Generator(meta, files, threads, slices).Run();
}

Result<BenchObjectStats> WriteBenchObjects(Volume* vol, int threads, uint64_t leaked,
                                           const std::function<void(uint64_t)>& progress) {
  struct Block {
    uint64_t id;
    uint32_t index, len;
  };
  std::vector<Block> blocks;
  const uint64_t bs = vol->block_bytes();
  const bool hashed = vol->format().hash_prefix;
  JFS_ASSIGN_OR_RETURN(auto snap, vol->meta()->Snapshot());
  JFS_RETURN_IF_ERROR(snap->ScanChecked(
      RecordRange::Kind(RecordKind::kChunk), [&](const RecordKey&, std::string_view v) -> Status {
        JFS_ASSIGN_OR_RETURN(auto records, DecodeChunk(v));
        for (const auto& r : records) {
          for (uint32_t i = 0; r.id != 0 && i < BlockCount(r.size, bs); i++) {
            blocks.push_back({r.id, i, BlockLen(r.size, i, bs)});
          }
        }
        return Status::OK();
      }));
  JFS_ASSIGN_OR_RETURN(int64_t next, vol->Counter("nextChunk"));
  for (uint64_t i = 0; i < leaked; i++) {
    blocks.push_back({static_cast<uint64_t>(next) + 1000 + i, 0, 4096});
  }
  BenchObjectStats st;
  std::atomic<uint64_t> done{0}, bytes{0};
  JFS_RETURN_IF_ERROR(ParallelFor(blocks.size(), threads, [&](size_t i) {
    const Block& b = blocks[i];
    JFS_RETURN_IF_ERROR(
        vol->store()->Put(BlockKey(b.id, b.index, b.len, hashed), std::string(b.len, '\0')));
    bytes += b.len;
    uint64_t n = ++done;
    if (progress && n % 4096 == 0) progress(n);
    return Status::OK();
  }));
  st.objects = done;
  st.bytes = bytes;
  st.leaked = leaked;
  return st;
}

}  // namespace jfsbr
