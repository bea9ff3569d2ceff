// fsck: every block object the files need, checked against the store; broken
// files named by path.
#include "fs/fsck.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_set>

#include "model/block.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

using Kind = RecordKind;

struct Block {
  std::string key;
  uint32_t len;
  Ino ino;
  uint64_t slice;
};

// Inodes waiting for deletion (pending-delete records): their data is not checked.
Result<std::unordered_set<Ino>> DeletedFiles(MetaReader* snap) {
  std::unordered_set<Ino> deleted;
  JFS_RETURN_IF_ERROR(snap->Scan(RecordRange::Kind(Kind::kDelFile), [&](const RecordKey& p, auto) {
    deleted.insert(p.ino);
    return true;
  }));
  return deleted;
}

// Calls fn(ino, record) for every slice record of every file not waiting for deletion.
Status ForEachSliceRecord(MetaReader* snap, const std::unordered_set<Ino>& deleted,
                          const std::function<void(Ino, const SliceRecord&)>& fn) {
  return snap->ScanChecked(
      RecordRange::Kind(Kind::kChunk), [&](const RecordKey& p, std::string_view v) -> Status {
        if (deleted.count(p.ino)) return Status::OK();
        auto records = DecodeChunk(v);
        if (!records.ok())
          return records.status().Annotate("chunk of inode " + std::to_string(p.ino));
        for (const auto& r : *records) {
          if (r.id != 0) fn(p.ino, r);
        }
        return Status::OK();
      });
}

// Every slice the files use, sorted by id, one entry each: 24 bytes a slice.
struct SliceUse {
  uint64_t id;
  uint32_t size;
  Ino ino;  // the first file seen using it
};

// The blocks of every slice record of the files in `inodes`.
Status CollectBlocks(MetaReader* snap, const VolumeFormat& f, const std::vector<Ino>& inodes,
                     std::vector<Block>* blocks) {
  const uint64_t bs = f.BlockBytes();
  JFS_ASSIGN_OR_RETURN(auto deleted, DeletedFiles(snap));
  for (Ino ino : inodes) {
    if (deleted.count(ino)) continue;
    std::unordered_set<uint64_t> seen;
    JFS_RETURN_IF_ERROR(snap->ScanChecked(
        RecordRange::Chunks(ino), [&](const RecordKey&, std::string_view v) -> Status {
          auto records = DecodeChunk(v);
          if (!records.ok())
            return records.status().Annotate("chunk of inode " + std::to_string(ino));
          for (const auto& r : *records) {
            if (r.id == 0 || !seen.insert(r.id).second) continue;
            for (uint32_t i = 0; i < BlockCount(r.size, bs); i++) {
              blocks->push_back({BlockKey(r.id, i, BlockLen(r.size, i, bs), f.hash_prefix),
                                 BlockLen(r.size, i, bs), ino, r.id});
            }
          }
          return Status::OK();
        }));
  }
  return Status::OK();
}

// The regular files at path (a file, or with recursive every file under a dir).
Status FilesUnder(Volume* vol, Ino ino, bool recursive, std::vector<Ino>* out) {
  JFS_ASSIGN_OR_RETURN(Attr a, vol->GetAttr(ino));
  if (a.type == FileType::kFile) {
    out->push_back(ino);
    return Status::OK();
  }
  if (a.type != FileType::kDirectory) return Status::OK();
  JFS_ASSIGN_OR_RETURN(auto entries, vol->ReadDir(ino));
  for (const auto& e : entries) {
    if (e.dentry.type == FileType::kFile) {
      out->push_back(e.dentry.ino);
    } else if (recursive && e.dentry.type == FileType::kDirectory) {
      JFS_RETURN_IF_ERROR(FilesUnder(vol, e.dentry.ino, true, out));
    }
  }
  return Status::OK();
}

// Checks each block against `listed` (when given) or by HEAD, in parallel.
class BlockChecker {
 public:
  BlockChecker(ObjectStore* store, bool check_size, const FsckOptions& o, FsckReport* r)
      : store_(store), check_size_(check_size), opts_(o), r_(r) {}

  // HEADs each block, in parallel.
  Status Run(const std::vector<Block>& blocks) {
    return ParallelFor(blocks.size(), opts_.threads, [&](size_t i) { return CheckOne(blocks[i]); });
  }
  // Counts blocks confirmed present without a HEAD (found in a listing).
  void Confirmed(uint64_t n) { Progress(checked_ += n); }

  std::map<Ino, uint64_t>& broken() { return broken_; }
  std::map<uint64_t, uint64_t>& damaged_slices() { return damaged_slices_; }

 private:
  void Progress(uint64_t done) {
    if (opts_.progress && done % 1024 == 0) opts_.progress(done);
  }

  Status CheckOne(const Block& b) {
    std::optional<uint64_t> size;
    auto h = store_->Head(b.key);
    if (h.ok()) {
      size = h->size;
    } else if (!h.status().Is(Code::kNotFound)) {
      return h.status().Annotate("HEAD " + b.key);
    }
    Progress(++checked_);
    if (size && (!check_size_ || *size == b.len)) return Status::OK();
    std::lock_guard l(mu_);
    broken_[b.ino]++;
    damaged_slices_[b.slice]++;
    if (!size) {
      r_->lost_blocks++;
      r_->lost_bytes += b.len;
    } else {
      r_->wrong_size++;
    }
    if (r_->damaged_examples.size() < 10) {
      r_->damaged_examples.push_back(
          b.key +
          (size ? " has " + std::to_string(*size) + " bytes, not " + std::to_string(b.len)
                : " is missing") +
          " (inode " + std::to_string(b.ino) + ")");
    }
    return Status::OK();
  }

  ObjectStore* store_;
  bool check_size_;
  const FsckOptions& opts_;
  FsckReport* r_;
  std::mutex mu_;
  std::atomic<uint64_t> checked_{0};
  std::map<Ino, uint64_t> broken_;
  std::map<uint64_t, uint64_t> damaged_slices_;  // slice id -> damaged blocks
};

// The whole volume: every slice the files use, its blocks counted off in one
// parallel listing; only the blocks of slices not fully seen are asked for by
// HEAD. Memory: 28 bytes a slice.
Status CheckAllBlocks(Volume* vol, MetaReader* snap, bool check_size, int threads,
                      BlockChecker* checker, FsckReport* r) {
  const auto& f = vol->format();
  const uint64_t bs = f.BlockBytes();
  JFS_ASSIGN_OR_RETURN(auto deleted, DeletedFiles(snap));
  std::vector<SliceUse> slices;
  std::unordered_set<Ino> files;
  JFS_RETURN_IF_ERROR(ForEachSliceRecord(snap, deleted, [&](Ino ino, const SliceRecord& rec) {
    slices.push_back({rec.id, rec.size, ino});
    files.insert(ino);
  }));
  r->files = files.size();
  files = {};
  std::stable_sort(slices.begin(), slices.end(),
                   [](const SliceUse& a, const SliceUse& b) { return a.id < b.id; });
  slices.erase(std::unique(slices.begin(), slices.end(),
                           [](const SliceUse& a, const SliceUse& b) { return a.id == b.id; }),
               slices.end());
  for (const auto& u : slices) r->blocks += BlockCount(u.size, bs);
  std::vector<std::atomic<uint32_t>> seen(slices.size());
  JFS_RETURN_IF_ERROR(ListRanges(
      vol->store(), "chunks/", ChunkListingBoundaries(f.hash_prefix), threads,
      [&](const ObjectInfo& o) {
        auto n = ParseBlockName(o.key);
        if (!n) return Status::OK();
        auto it = std::lower_bound(slices.begin(), slices.end(), n->id,
                                   [](const SliceUse& u, uint64_t id) { return u.id < id; });
        if (it == slices.end() || it->id != n->id || n->index >= BlockCount(it->size, bs) ||
            n->len != BlockLen(it->size, n->index, bs) || (check_size && o.size != n->len) ||
            BlockKey(n->id, n->index, n->len, f.hash_prefix) != o.key) {
          return Status::OK();  // not a block the files need as it is: HEADed below if missing
        }
        seen[it - slices.begin()]++;
        return Status::OK();
      }));
  std::vector<Block> unseen;
  for (size_t i = 0; i < slices.size(); i++) {
    uint32_t count = BlockCount(slices[i].size, bs);
    checker->Confirmed(seen[i]);
    if (seen[i] >= count) continue;
    for (uint32_t b = 0; b < count; b++) {
      uint32_t len = BlockLen(slices[i].size, b, bs);
      unseen.push_back(
          {BlockKey(slices[i].id, b, len, f.hash_prefix), len, slices[i].ino, slices[i].id});
    }
  }
  JFS_RETURN_IF_ERROR(checker->Run(unseen));
  if (checker->damaged_slices().empty()) return Status::OK();
  // A damaged slice breaks every file using it, not only the first one seen.
  std::map<Ino, uint64_t> users;
  JFS_RETURN_IF_ERROR(ForEachSliceRecord(snap, deleted, [&](Ino ino, const SliceRecord& rec) {
    auto it = checker->damaged_slices().find(rec.id);
    if (it != checker->damaged_slices().end()) users[ino] = it->second;
  }));
  for (const auto& [ino, n] : users) checker->broken()[ino] = n;
  return Status::OK();
}

// The name of ino in dir, by listing dir.
Result<std::string> NameIn(Volume* vol, Ino dir, Ino ino) {
  JFS_ASSIGN_OR_RETURN(auto entries, vol->ReadDir(dir));
  for (const auto& e : entries) {
    if (e.dentry.ino == ino) return e.name;
  }
  return Status::NotFound("no entry");
}

}  // namespace

std::string PathOf(Volume* vol, Ino ino) {
  std::string path;
  Ino cur = ino;
  for (int depth = 0; cur != kRootInode && depth < 4096; depth++) {
    auto a = vol->GetAttr(cur);
    if (!a.ok()) return "inode:" + std::to_string(ino);
    Ino parent = a->parent;
    if (parent == 0) {  // hard links: any directory a parent counter names
      (void)vol->meta()->Scan(RecordRange::Parents(cur), [&](const RecordKey& k, auto) {
        parent = k.other;
        return false;
      });
    }
    auto name = NameIn(vol, parent, cur);
    if (parent == 0 || !name.ok()) return "inode:" + std::to_string(ino);
    path = "/" + *name + path;
    cur = parent;
  }
  return path.empty() ? "/" : path;
}

Result<FsckReport> Fsck(Volume* vol, const FsckOptions& opts) {
  FsckReport r;
  JFS_ASSIGN_OR_RETURN(auto snap, vol->meta()->Snapshot());
  JFS_ASSIGN_OR_RETURN(r.check, CheckVolume(snap.get()));
  const bool whole = opts.path.empty() || opts.path == "/";
  std::vector<Ino> inodes;
  if (!whole) {
    JFS_ASSIGN_OR_RETURN(Ino top, vol->Resolve(opts.path));
    JFS_RETURN_IF_ERROR(FilesUnder(vol, top, opts.recursive, &inodes));
  }
  const auto& f = vol->format();
  bool check_size = (f.compression.empty() || f.compression == "none") && f.encrypt_key.empty();
  BlockChecker checker(vol->store(), check_size, opts, &r);
  if (whole) {
    JFS_RETURN_IF_ERROR(CheckAllBlocks(vol, snap.get(), check_size, opts.threads, &checker, &r));
  } else {
    std::vector<Block> blocks;
    JFS_RETURN_IF_ERROR(CollectBlocks(snap.get(), f, inodes, &blocks));
    r.files = inodes.size();
    r.blocks = blocks.size();
    JFS_RETURN_IF_ERROR(checker.Run(blocks));
  }
  for (const auto& [ino, lost] : checker.broken()) {
    r.broken.push_back({ino, PathOf(vol, ino), lost});
  }
  if (opts.repair && !r.check.repairs.empty()) {
    // JuiceFS records each repair in the change log, which we do not append to.
    JFS_RETURN_IF_ERROR(vol->maintenance_writable().Annotate("repairing"));
    JFS_ASSIGN_OR_RETURN(r.repairs, ApplyRepairs(vol->meta(), r.check.repairs));
  }
  return r;
}

}  // namespace jfsbr
