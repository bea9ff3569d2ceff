#include "fs/fsck.h"

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "model/block.h"
#include "model/keys.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

using Kind = keys::ParsedKey::Kind;

struct Block {
  std::string key;
  uint32_t len;
  Ino ino;
};

// The blocks of every slice record of the files in `inodes` (all files when
// null), skipping files waiting for deletion.
Status CollectBlocks(KvReader* snap, const VolumeFormat& f, const std::vector<Ino>* inodes,
                     std::vector<Block>* blocks, uint64_t* files) {
  const uint64_t bs = f.BlockBytes();
  std::unordered_set<Ino> deleted;
  JFS_RETURN_IF_ERROR(snap->Scan("D", "E", [&](auto k, auto) {
    auto p = keys::Parse(k);
    if (p.kind == Kind::kDelFile) deleted.insert(p.ino);
    return true;
  }));
  std::unordered_set<uint64_t> seen;  // slices of the inode being scanned (keys come by inode)
  Ino current = 0;
  uint64_t with_chunks = 0;
  auto on_chunk = [&](std::string_view k, std::string_view v) -> Status {
    auto p = keys::Parse(k);
    if (p.kind != Kind::kChunk || deleted.count(p.ino)) return Status::OK();
    JFS_ASSIGN_OR_RETURN(auto records, DecodeChunk(v));
    if (p.ino != current) current = p.ino, seen.clear(), with_chunks++;
    for (const auto& r : records) {
      if (r.id == 0 || !seen.insert(r.id).second) continue;
      for (uint32_t i = 0; i < BlockCount(r.size, bs); i++) {
        blocks->push_back({BlockKey(r.id, i, BlockLen(r.size, i, bs), f.hash_prefix),
                           BlockLen(r.size, i, bs), p.ino});
      }
    }
    return Status::OK();
  };
  Status bad;
  auto scan = [&](const std::string& begin, const std::string& end) {
    return snap->Scan(begin, end, [&](auto k, auto v) {
      bad = on_chunk(k, v);
      return bad.ok();
    });
  };
  if (!inodes) {
    JFS_RETURN_IF_ERROR(scan("A", "B"));
  } else {
    for (Ino ino : *inodes) {
      std::string prefix = keys::InodePrefix(ino) + "C";
      JFS_RETURN_IF_ERROR(scan(prefix, keys::PrefixEnd(prefix)));
      if (!bad.ok()) break;
    }
  }
  *files = inodes ? inodes->size() : with_chunks;
  return bad;
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

  // listed: block key -> its size in the listing, -1 if not listed.
  using Listed = std::unordered_map<std::string_view, int64_t>;
  Status Run(const std::vector<Block>& blocks, const Listed* listed) {
    return ParallelFor(blocks.size(), opts_.threads,
                       [&](size_t i) { return CheckOne(blocks[i], listed); });
  }

  std::map<Ino, uint64_t>& broken() { return broken_; }

 private:
  Status CheckOne(const Block& b, const Listed* listed) {
    std::optional<uint64_t> size;
    if (listed) {
      if (auto it = listed->find(b.key); it != listed->end() && it->second >= 0) {
        size = it->second;
      }
    }
    if (!size) {
      auto h = store_->Head(b.key);
      if (h.ok()) {
        size = h->size;
      } else if (!h.status().Is(Code::kNotFound)) {
        return h.status().Annotate("HEAD " + b.key);
      }
    }
    uint64_t done = ++checked_;
    if (opts_.progress && done % 1024 == 0) opts_.progress(done);
    if (size && (!check_size_ || *size == b.len)) return Status::OK();
    std::lock_guard l(mu_);
    broken_[b.ino]++;
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
};

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
      std::string prefix = keys::InodePrefix(cur) + "P";
      (void)vol->engine()->Scan(prefix, keys::PrefixEnd(prefix), [&](auto k, auto) {
        parent = keys::Parse(k).other;
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
  JFS_ASSIGN_OR_RETURN(auto snap, vol->engine()->Snapshot());
  JFS_ASSIGN_OR_RETURN(r.check, CheckVolume(snap.get()));
  const bool whole = opts.path.empty() || opts.path == "/";
  std::vector<Ino> inodes;
  if (!whole) {
    JFS_ASSIGN_OR_RETURN(Ino top, vol->Resolve(opts.path));
    JFS_RETURN_IF_ERROR(FilesUnder(vol, top, opts.recursive, &inodes));
  }
  std::vector<Block> blocks;
  JFS_RETURN_IF_ERROR(
      CollectBlocks(snap.get(), vol->format(), whole ? nullptr : &inodes, &blocks, &r.files));
  r.blocks = blocks.size();
  const auto& f = vol->format();
  bool check_size = (f.compression.empty() || f.compression == "none") && f.encrypt_key.empty();
  BlockChecker checker(vol->store(), check_size, opts, &r);
  if (whole) {  // one parallel listing instead of a HEAD per block
    BlockChecker::Listed listed;
    listed.reserve(blocks.size());
    for (const auto& b : blocks) listed.emplace(b.key, -1);
    JFS_RETURN_IF_ERROR(ListRanges(vol->store(), "chunks/", ChunkListingBoundaries(f.hash_prefix),
                                   opts.threads, [&](const ObjectInfo& o) {
                                     // distinct entries per thread; the map never grows
                                     auto it = listed.find(o.key);
                                     if (it != listed.end()) it->second = o.size;
                                     return Status::OK();
                                   }));
    JFS_RETURN_IF_ERROR(checker.Run(blocks, &listed));
  } else {
    JFS_RETURN_IF_ERROR(checker.Run(blocks, nullptr));
  }
  for (const auto& [ino, lost] : checker.broken()) {
    r.broken.push_back({ino, PathOf(vol, ino), lost});
  }
  if (opts.repair && !r.check.repairs.empty()) {
    JFS_ASSIGN_OR_RETURN(r.repairs, ApplyRepairs(vol->engine(), r.check.repairs));
  }
  return r;
}

}  // namespace jfsbr
