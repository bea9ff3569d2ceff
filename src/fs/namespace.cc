// Namespace operations: lookup, create, link, rename, remove, attrs, xattrs.
#include <ctime>

#include "fs/internal.h"
#include "fs/volume.h"
#include "fs/write_rules.h"
#include "util/clock.h"

namespace jfsbr {

using fsi::GetAttr;
using fsi::GetDirAttr;
using fsi::PutAttr;

namespace {

Status CheckXattrName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("empty xattr name");
  if (name.size() > kMaxNameLen) return Status::NameTooLong("xattr name over 255 bytes");
  return Status::OK();
}

Status CheckXattr(std::string_view name, std::string_view value) {
  JFS_RETURN_IF_ERROR(CheckXattrName(name));
  if (value.size() > 65536) return Status::InvalidArgument("xattr value over 64 KiB");
  return Status::OK();
}

DirStat Neg(DirStat s) { return {-s.length, -s.space, -s.inodes}; }

Status CheckNotTrashRoot(Ino parent, std::string_view name) {
  if (parent == kRootInode && name == kTrashName) {
    return Status::Permission("'.trash' in the root is reserved for the trash");
  }
  return Status::OK();
}

Status CheckEmptyDir(MetaTxn& tx, Ino dir) {
  bool empty = true;
  JFS_RETURN_IF_ERROR(
      tx.Scan(RecordRange::Entries(dir), [&](const RecordKey&, auto) { return empty = false; }));
  if (!empty) return Status::NotEmpty("directory inode " + std::to_string(dir));
  return Status::OK();
}

Status DeleteAll(MetaTxn& tx, const RecordRange& range) {
  std::vector<RecordKey> doomed;
  JFS_RETURN_IF_ERROR(tx.Scan(range, [&](const RecordKey& k, auto) {
    doomed.push_back(k);
    return true;
  }));
  for (const auto& k : doomed) tx.Delete(k);
  return Status::OK();
}

// The trash entry name of a removed node: "<parent>-<ino>-<name>", at most 255 bytes.
std::string TrashEntryName(Ino parent, Ino ino, std::string_view name) {
  std::string s = std::to_string(parent) + "-" + std::to_string(ino) + "-" + std::string(name);
  if (s.size() > kMaxNameLen) s.resize(kMaxNameLen);
  return s;
}

// Drops one link of a non-directory node ino (attr a) from parent. When it was
// the last link the node is deleted: a file leaves a D record whose data the
// caller deletes (returned through deleted_length).
Status DropLink(MetaTxn& tx, Ino parent, Ino ino, Attr a, std::optional<uint64_t>* deleted_length) {
  a.nlink = a.nlink > 0 ? a.nlink - 1 : 0;
  if (a.nlink > 0) {
    fsi::SetCtime(&a, fsi::Now());
    PutAttr(tx, ino, a);
    if (a.parent == 0) tx.Add(RecordKey::Parent(ino, parent), -1);
    return Status::OK();
  }
  if (a.type == FileType::kFile) {
    tx.Put(RecordKey::DelFile(ino, a.length), EncodeDelFileTime(fsi::Now().sec));
    *deleted_length = a.length;
  }
  if (a.type == FileType::kSymlink) tx.Delete(RecordKey::Symlink(ino));
  tx.Delete(RecordKey::Attr(ino));
  JFS_RETURN_IF_ERROR(DeleteAll(tx, RecordRange::Xattrs(ino)));
  if (a.parent == 0) JFS_RETURN_IF_ERROR(DeleteAll(tx, RecordRange::Parents(ino)));
  fsi::AddUsage(tx, -Align4K(a.type == FileType::kFile ? a.length : 0), -1);
  return Status::OK();
}

// Deletes an empty directory node for good.
Status DropDir(MetaTxn& tx, Ino ino) {
  tx.Delete(RecordKey::Attr(ino));
  tx.Delete(RecordKey::DirStat(ino));
  JFS_RETURN_IF_ERROR(DeleteAll(tx, RecordRange::Xattrs(ino)));
  fsi::AddUsage(tx, -Align4K(0), -1);
  return Status::OK();
}

// Takes the node of a removed entry (parent, name) -> d out of the namespace:
// into the hourly trash dir when there is one (trash > 0), otherwise for good
// (a directory) or by one link (anything else).
Status Discard(MetaTxn& tx, const VolumeFormat& f, Ino parent, std::string_view name,
               const std::string& entry, const Dentry& d, Attr a, Ino trash,
               std::optional<uint64_t>* deleted_length) {
  bool is_dir = d.type == FileType::kDirectory;
  bool to_trash = trash > 0 && (a.flags & kFlagSkipTrash) == 0;
  RecordKey tkey = RecordKey::Entry(trash, TrashEntryName(parent, d.ino, name));
  if (to_trash && !is_dir && a.nlink > 1) {  // that link is in the trash already
    JFS_ASSIGN_OR_RETURN(auto already, tx.Get(tkey));
    if (already) to_trash = false;
  }
  if (!to_trash) {
    return is_dir ? DropDir(tx, d.ino) : DropLink(tx, parent, d.ino, a, deleted_length);
  }
  fsi::SetCtime(&a, fsi::Now());
  if (a.parent > 0) {
    a.parent = trash;
  } else {
    tx.Add(RecordKey::Parent(d.ino, trash), 1);
    tx.Add(RecordKey::Parent(d.ino, parent), -1);
  }
  PutAttr(tx, d.ino, a);
  tx.Put(tkey, entry);
  return fsi::UpdateDirStat(tx, f, trash, fsi::ChildStat(a.type, a.length));
}

// What a change of directory entries reads first: each entry, its
// directory's attr and, with dir stats, its usage record. One request where
// reads are remote.
Status PrefetchEntries(MetaTxn& tx, const VolumeFormat& f,
                       std::initializer_list<RecordKey> entries) {
  std::vector<RecordKey> keys;
  for (const auto& e : entries) {
    keys.push_back(e);
    keys.push_back(RecordKey::Attr(e.ino));
    if (f.dir_stats) keys.push_back(RecordKey::DirStat(e.ino));
  }
  return tx.Prefetch(keys);
}

}  // namespace

Result<Dentry> Volume::Lookup(Ino parent, std::string_view name) {
  if (parent == kRootInode && name == kTrashName) {
    JFS_ASSIGN_OR_RETURN(auto t, meta_->Get(RecordKey::Attr(kTrashInode)));
    if (t) return Dentry{FileType::kDirectory, kTrashInode};
  }
  JFS_ASSIGN_OR_RETURN(auto v, meta_->Get(RecordKey::Entry(parent, name)));
  if (!v) return Status::NotFound("no such file or directory: " + std::string(name));
  return DecodeDentry(*v);
}

Result<Ino> Volume::Resolve(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument("path '" + std::string(path) + "' is not absolute");
  }
  Ino cur = kRootInode;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view part = path.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Status::InvalidArgument("'..' is not supported in paths");
    auto d = Lookup(cur, part);
    if (!d.ok()) {
      if (d.status().Is(Code::kNotFound)) {
        return Status::NotFound("no such file or directory: " + std::string(path.substr(0, next)));
      }
      return d.status();
    }
    cur = d->ino;
  }
  return cur;
}

Result<Attr> Volume::GetAttr(Ino ino) {
  JFS_ASSIGN_OR_RETURN(auto v, meta_->Get(RecordKey::Attr(ino)));
  if (!v) return Status::NotFound("inode " + std::to_string(ino));
  return DecodeAttr(*v);
}

Result<std::vector<DirEntry>> Volume::ReadDir(Ino dir) {
  JFS_ASSIGN_OR_RETURN(Attr a, GetAttr(dir));
  if (!a.IsDir()) return Status::NotDirectory("inode " + std::to_string(dir));
  std::vector<DirEntry> out;
  Status bad;
  JFS_RETURN_IF_ERROR(meta_->Scan(RecordRange::Entries(dir), [&](const RecordKey& k, auto v) {
    auto d = DecodeDentry(v);
    if (!d.ok()) {
      bad = d.status();
      return false;
    }
    out.push_back({k.name, *d});
    return true;
  }));
  JFS_RETURN_IF_ERROR(bad);
  return out;
}

Volume::DirTurns::Turn Volume::DirTurns::Take(Ino x, Ino y) {
  std::mutex& a = stripes_[x % kStripes];
  std::mutex& b = stripes_[y % kStripes];
  if (&a == &b) return {std::unique_lock(a), {}};
  std::unique_lock la(a, std::defer_lock), lb(b, std::defer_lock);
  std::lock(la, lb);
  return {std::move(la), std::move(lb)};
}

Result<Ino> Volume::CreateNode(Ino parent, std::string_view name, FileType type,
                               const NodeSpec& spec, std::string_view target, uint64_t length,
                               const std::vector<ChunkSlice>& slices) {
  JFS_RETURN_IF_ERROR(CheckName(name));
  JFS_RETURN_IF_ERROR(CheckNotTrashRoot(parent, name));
  if (IsTrashInode(parent)) return Status::Permission("cannot create inside the trash");
  for (const auto& x : spec.xattrs) JFS_RETURN_IF_ERROR(CheckXattr(x.first, x.second));
  JFS_RETURN_IF_ERROR(write_refusal_);
  // Taken before the transaction so that a retry keeps it; a create that
  // fails leaves a gap in the inode numbers, as JuiceFS's batches do.
  JFS_ASSIGN_OR_RETURN(Ino ino, NextInode());
  std::map<uint32_t, std::string> chunks;
  for (const auto& s : slices) AppendSliceRecord(&chunks[s.index], s.record);
  const bool staged = chunks.size() > kRefsPerTxn;
  const RecordKey pending = RecordKey::DelFile(ino, length);
  std::string mark;  // the staging record's value, as written
  if (staged) {
    Status st = StageChunks(pending, chunks, &mark);
    if (!st.ok()) return DiscardStaged(ino, length, st);
  }
  auto turn = dir_turns_.Take(parent, parent);
  Status created = meta_->Transact([&](MetaTxn& tx) {
    RecordKey ekey = RecordKey::Entry(parent, name);
    JFS_RETURN_IF_ERROR(PrefetchEntries(tx, format_, {ekey}));
    JFS_ASSIGN_OR_RETURN(Attr pattr, GetDirAttr(tx, parent));
    JFS_RETURN_IF_ERROR(fsi::CheckCreateIn(parent, pattr, type));
    JFS_ASSIGN_OR_RETURN(auto existing, tx.Get(ekey));
    if (existing) return Status::Exists(std::string(name));
    auto now = fsi::Now();
    Attr a;
    a.type = type;
    a.mode = spec.mode & 07777;
    a.uid = spec.uid;
    a.gid = spec.gid;
    a.rdev = spec.rdev;
    a.atime = now.sec, a.atimensec = now.nsec;
    fsi::SetMtime(&a, now);
    if (spec.atime >= 0) a.atime = spec.atime, a.atimensec = spec.atimensec;
    if (spec.mtime >= 0) a.mtime = spec.mtime, a.mtimensec = spec.mtimensec;
    a.nlink = type == FileType::kDirectory ? 2 : 1;
    a.length = type == FileType::kDirectory ? 4096
               : type == FileType::kSymlink ? target.size()
                                            : length;
    a.parent = parent;
    fsi::Inherit(pattr, &a);
    tx.Put(ekey, EncodeDentry({type, ino}));
    PutAttr(tx, ino, a);
    if (type == FileType::kSymlink) tx.Put(RecordKey::Symlink(ino), std::string(target));
    if (type == FileType::kDirectory) tx.Put(RecordKey::DirStat(ino), EncodeDirStat({}));
    for (const auto& [xname, xvalue] : spec.xattrs) tx.Put(RecordKey::Xattr(ino, xname), xvalue);
    if (staged) {
      JFS_RETURN_IF_ERROR(CheckStaged(tx, pending, mark));
      tx.Delete(pending);
    } else {
      for (const auto& [index, value] : chunks) tx.Put(RecordKey::Chunk(ino, index), value);
    }
    // The parent's attr is read and written by every change of its entries:
    // two racing creates (or a create and an rmdir) conflict on it, which
    // the unrecorded scans of its entries could not guarantee.
    fsi::SetMtime(&pattr, now);
    if (type == FileType::kDirectory) pattr.nlink++;
    PutAttr(tx, parent, pattr);
    DirStat cs = fsi::ChildStat(type, a.length);
    JFS_RETURN_IF_ERROR(fsi::UpdateDirStat(tx, format_, parent, cs));
    fsi::AddUsage(tx, cs.space, 1);
    return Status::OK();
  });
  if (!created.ok() && staged) return DiscardStaged(ino, length, created);
  JFS_RETURN_IF_ERROR(created);
  return ino;
}

// A file of more chunks than a transaction should write (etcd's max-txn-ops)
// gets them before it exists, kRefsPerTxn a transaction, under a
// pending-delete record of its inode: a crash leaves what gc --delete
// removes, and the file still appears whole, in the transaction creating it.
Status Volume::StageChunks(const RecordKey& pending,
                           const std::map<uint32_t, std::string>& chunks, std::string* mark) {
  bool first = true;
  *mark = EncodeDelFileTime(fsi::Now().sec);
  for (auto it = chunks.begin(); it != chunks.end();) {
    const auto from = it;
    JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
      it = from;
      if (first) {
        tx.Put(pending, *mark);
      } else {
        JFS_RETURN_IF_ERROR(CheckStaged(tx, pending, *mark));
      }
      for (size_t n = 0; n < kRefsPerTxn && it != chunks.end(); n++, it++) {
        tx.Put(RecordKey::Chunk(pending.ino, it->first), it->second);
      }
      return Status::OK();
    }));
    first = false;
  }
  return Status::OK();
}

// The staging record must still be there as written: a gc --delete that ran
// meanwhile took it for a deleted file's (claiming it changes its time, see
// ClaimDeletedFile) and may have deleted chunks.
Status Volume::CheckStaged(MetaTxn& tx, const RecordKey& pending, const std::string& mark) {
  JFS_ASSIGN_OR_RETURN(auto now, tx.Get(pending));
  if (now && *now == mark) return Status::OK();
  return Status::NotFound("the pending-delete record of inode " + std::to_string(pending.ino) +
                          ", under which its chunks were written, was taken meanwhile (a gc " +
                          "--delete?); the file was not created");
}

// A staged file that was not created: its chunks and their slices go, the
// error that stopped it is returned. Unless the file exists after all (a
// commit whose outcome was lost): then its chunks are its own.
Status Volume::DiscardStaged(Ino ino, uint64_t length, const Status& why) {
  bool exists = false;
  Status undone = meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(auto attr, tx.Get(RecordKey::Attr(ino)));
    exists = attr.has_value();
    if (!exists) tx.Put(RecordKey::DelFile(ino, length), EncodeDelFileTime(fsi::Now().sec));
    return Status::OK();
  });
  if (undone.ok() && !exists) undone = DeleteFileData(ino, length);
  if (undone.ok()) return why;
  return why.Annotate("its staged chunks stay for gc --delete: " + undone.ToString());
}

Result<Ino> Volume::Mkdir(Ino parent, std::string_view name, const NodeSpec& spec) {
  return CreateNode(parent, name, FileType::kDirectory, spec, {}, 0, {});
}

Result<Ino> Volume::Mknod(Ino parent, std::string_view name, FileType type, const NodeSpec& spec) {
  if (type == FileType::kDirectory || type == FileType::kSymlink) {
    return Status::InvalidArgument("Mknod makes files and special files only");
  }
  return CreateNode(parent, name, type, spec, {}, 0, {});
}

Result<Ino> Volume::Symlink(Ino parent, std::string_view name, std::string_view target,
                            const NodeSpec& spec) {
  if (target.empty() || target.size() > 4096) {
    return Status::InvalidArgument("symlink target must be 1-4096 bytes");
  }
  NodeSpec s = spec;
  s.mode = 0777;
  return CreateNode(parent, name, FileType::kSymlink, s, target, 0, {});
}

Result<Ino> Volume::CreateFile(Ino parent, std::string_view name, const NodeSpec& spec,
                               uint64_t length, const std::vector<ChunkSlice>& slices) {
  return CreateNode(parent, name, FileType::kFile, spec, {}, length, slices);
}

Result<std::string> Volume::ReadLink(Ino ino) {
  JFS_ASSIGN_OR_RETURN(auto v, meta_->Get(RecordKey::Symlink(ino)));
  if (!v) return Status::InvalidArgument("inode " + std::to_string(ino) + " is not a symlink");
  return *v;
}

Status Volume::Link(Ino ino, Ino new_parent, std::string_view new_name) {
  JFS_RETURN_IF_ERROR(CheckName(new_name));
  JFS_RETURN_IF_ERROR(CheckNotTrashRoot(new_parent, new_name));
  if (IsTrashInode(new_parent)) return Status::Permission("cannot link into the trash");
  JFS_RETURN_IF_ERROR(write_refusal_);
  auto turn = dir_turns_.Take(new_parent, new_parent);
  return meta_->Transact([&](MetaTxn& tx) {
    RecordKey ekey = RecordKey::Entry(new_parent, new_name);
    JFS_RETURN_IF_ERROR(PrefetchEntries(tx, format_, {ekey}));
    JFS_ASSIGN_OR_RETURN(Attr pattr, GetDirAttr(tx, new_parent));
    JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, ino));
    if (a.IsDir()) return Status::Permission("hard links to directories are not allowed");
    JFS_RETURN_IF_ERROR(fsi::CheckNotImmutable(new_parent, pattr));
    JFS_RETURN_IF_ERROR(fsi::CheckChange(ino, a, "link"));
    JFS_ASSIGN_OR_RETURN(auto existing, tx.Get(ekey));
    if (existing) return Status::Exists(std::string(new_name));
    tx.Put(ekey, EncodeDentry({a.type, ino}));
    // From the second link on, the parents are counted in parent records
    // (attr parent 0), as JuiceFS does; the SQL family derives them from
    // its edges instead.
    if (a.parent > 0) tx.Add(RecordKey::Parent(ino, a.parent), 1);
    a.parent = 0;
    tx.Add(RecordKey::Parent(ino, new_parent), 1);
    a.nlink++;
    auto now = fsi::Now();
    fsi::SetCtime(&a, now);
    PutAttr(tx, ino, a);
    fsi::SetMtime(&pattr, now);
    PutAttr(tx, new_parent, pattr);
    return fsi::UpdateDirStat(tx, format_, new_parent, fsi::ChildStat(a.type, a.length));
  });
}

// The hourly trash directory removals go to now, made on first use in a
// transaction of its own (its inode is the trash's plus nextTrash, as
// JuiceFS numbers them, so no inode batch is spent on it).
Result<Ino> Volume::TrashDirFor(Ino parent) {
  if (format_.trash_days <= 0 || IsTrashInode(parent)) return Ino{0};
  std::string name = FormatTime(fsi::Now().sec, "%Y-%m-%d-%H", /*utc=*/true);
  Ino hourly = 0;
  JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(auto existing, tx.Get(RecordKey::Entry(kTrashInode, name)));
    if (existing) {
      JFS_ASSIGN_OR_RETURN(Dentry d, DecodeDentry(*existing));
      hourly = d.ino;
      return Status::OK();
    }
    JFS_ASSIGN_OR_RETURN(auto counter, tx.Get(RecordKey::Counter("nextTrash")));
    int64_t n = 0;
    if (counter) {
      JFS_ASSIGN_OR_RETURN(n, DecodeCounterLE(*counter));
    }
    tx.Put(RecordKey::Counter("nextTrash"), EncodeCounterLE(n + 1));
    hourly = kTrashInode + static_cast<uint64_t>(n + 1);
    auto now = fsi::Now();
    Attr a;
    a.type = FileType::kDirectory;
    a.mode = 0555;
    a.atime = now.sec, a.atimensec = now.nsec;
    fsi::SetMtime(&a, now);
    a.nlink = 2;
    a.length = 4096;
    a.parent = kTrashInode;
    // A volume formatted without trash that later got trash days has no
    // trash directory yet.
    JFS_ASSIGN_OR_RETURN(auto trash_attr, tx.Get(RecordKey::Attr(kTrashInode)));
    if (!trash_attr) {
      Attr ta = a;
      ta.parent = kRootInode;
      PutAttr(tx, kTrashInode, ta);
      tx.Put(RecordKey::DirStat(kTrashInode), EncodeDirStat({}));
    }
    PutAttr(tx, hourly, a);
    tx.Put(RecordKey::Entry(kTrashInode, name), EncodeDentry({FileType::kDirectory, hourly}));
    tx.Put(RecordKey::DirStat(hourly), EncodeDirStat({}));
    JFS_RETURN_IF_ERROR(
        fsi::UpdateDirStat(tx, format_, kTrashInode, fsi::ChildStat(FileType::kDirectory, 0)));
    fsi::AddUsage(tx, Align4K(0), 1);
    return Status::OK();
  }));
  return hourly;
}

Status Volume::Remove(Ino parent, std::string_view name, bool want_dir, Cleaned* cleaned) {
  JFS_RETURN_IF_ERROR(CheckNotTrashRoot(parent, name));
  JFS_RETURN_IF_ERROR(write_refusal_);
  JFS_ASSIGN_OR_RETURN(Ino trash, TrashDirFor(parent));
  std::optional<uint64_t> deleted_length;
  Ino victim = 0;
  auto turn = dir_turns_.Take(parent, parent);
  Status removed = meta_->Transact([&](MetaTxn& tx) {
    deleted_length.reset();
    RecordKey ekey = RecordKey::Entry(parent, name);
    JFS_RETURN_IF_ERROR(PrefetchEntries(tx, format_, {ekey}));
    JFS_ASSIGN_OR_RETURN(Attr pattr, GetDirAttr(tx, parent));
    JFS_ASSIGN_OR_RETURN(auto entry, tx.Get(ekey));
    if (!entry) return Status::NotFound("no such file or directory: " + std::string(name));
    JFS_ASSIGN_OR_RETURN(Dentry d, DecodeDentry(*entry));
    victim = d.ino;
    bool is_dir = d.type == FileType::kDirectory;
    if (want_dir && !is_dir) return Status::NotDirectory(std::string(name));
    if (!want_dir && is_dir) return Status::IsDirectory(std::string(name));
    JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, d.ino));
    JFS_RETURN_IF_ERROR(fsi::CheckRemoveFrom(parent, pattr));
    JFS_RETURN_IF_ERROR(fsi::CheckChange(d.ino, a, "remove"));
    if (is_dir) JFS_RETURN_IF_ERROR(CheckEmptyDir(tx, d.ino));
    auto now = fsi::Now();
    tx.Delete(ekey);
    fsi::SetMtime(&pattr, now);
    if (is_dir && !IsTrashInode(parent)) pattr.nlink--;
    PutAttr(tx, parent, pattr);
    DirStat cs = fsi::ChildStat(d.type, a.length);
    JFS_RETURN_IF_ERROR(fsi::UpdateDirStat(tx, format_, parent, Neg(cs)));

    return Discard(tx, format_, parent, name, *entry, d, a, trash, &deleted_length);
  });
  turn.End();
  JFS_RETURN_IF_ERROR(removed);
  // The last link of a file went: its data goes after the commit, in
  // transactions of its own (a crash in between leaves the pending-delete
  // record, which gc --delete finishes).
  if (deleted_length) return DeleteFileData(victim, *deleted_length, cleaned);
  return Status::OK();
}

Status Volume::Unlink(Ino parent, std::string_view name) { return Remove(parent, name, false); }
Status Volume::Rmdir(Ino parent, std::string_view name) { return Remove(parent, name, true); }

Status Volume::Rename(Ino parent, std::string_view name, Ino new_parent,
                      std::string_view new_name) {
  JFS_RETURN_IF_ERROR(CheckName(new_name));
  JFS_RETURN_IF_ERROR(CheckNotTrashRoot(parent, name));
  JFS_RETURN_IF_ERROR(CheckNotTrashRoot(new_parent, new_name));
  if (IsTrashInode(new_parent)) return Status::Permission("cannot move into the trash");
  JFS_RETURN_IF_ERROR(write_refusal_);
  // A replaced target goes to the trash; make the hourly dir only if one exists.
  Ino trash = 0;
  JFS_ASSIGN_OR_RETURN(auto peek, meta_->Get(RecordKey::Entry(new_parent, new_name)));
  if (peek) {
    JFS_ASSIGN_OR_RETURN(trash, TrashDirFor(new_parent));
  }
  std::optional<uint64_t> deleted_length;
  Ino replaced = 0;
  auto turn = dir_turns_.Take(parent, new_parent);
  Status renamed = meta_->Transact([&](MetaTxn& tx) {
    deleted_length.reset();
    bool same_dir = parent == new_parent;
    JFS_RETURN_IF_ERROR(PrefetchEntries(
        tx, format_, {RecordKey::Entry(parent, name), RecordKey::Entry(new_parent, new_name)}));
    JFS_ASSIGN_OR_RETURN(Attr sp, GetDirAttr(tx, parent));
    Attr dp_store;
    if (!same_dir) {
      JFS_ASSIGN_OR_RETURN(dp_store, GetDirAttr(tx, new_parent));
    }
    Attr& dp = same_dir ? sp : dp_store;
    RecordKey skey = RecordKey::Entry(parent, name), dkey = RecordKey::Entry(new_parent, new_name);
    JFS_ASSIGN_OR_RETURN(auto entry, tx.Get(skey));
    if (!entry) return Status::NotFound("no such file or directory: " + std::string(name));
    if (skey == dkey) return Status::OK();
    JFS_ASSIGN_OR_RETURN(Dentry d, DecodeDentry(*entry));
    JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, d.ino));
    JFS_RETURN_IF_ERROR(fsi::CheckRemoveFrom(parent, sp));
    JFS_RETURN_IF_ERROR(fsi::CheckNotImmutable(new_parent, dp));
    JFS_RETURN_IF_ERROR(fsi::CheckChange(d.ino, a, "rename"));
    bool is_dir = a.IsDir();
    if (is_dir && !same_dir) {  // refuse moving a directory below itself
      for (Ino up = new_parent; up != kRootInode && up != 0;) {
        if (up == d.ino) return Status::InvalidArgument("cannot move a directory into itself");
        JFS_ASSIGN_OR_RETURN(Attr ua, fsi::GetAttr(tx, up));
        up = ua.parent;
      }
    }
    JFS_ASSIGN_OR_RETURN(auto target, tx.Get(dkey));
    if (target) {
      JFS_ASSIGN_OR_RETURN(Dentry td, DecodeDentry(*target));
      if (td.ino == d.ino) return Status::OK();  // two links of one inode: nothing to do
      JFS_ASSIGN_OR_RETURN(Attr ta, fsi::GetAttr(tx, td.ino));
      JFS_RETURN_IF_ERROR(fsi::CheckChange(td.ino, ta, "replace"));
      replaced = td.ino;
      if (ta.IsDir()) {
        if (!is_dir) return Status::IsDirectory(std::string(new_name));
        JFS_RETURN_IF_ERROR(CheckEmptyDir(tx, td.ino));
        dp.nlink--;
      } else if (is_dir) {
        return Status::NotDirectory(std::string(new_name));
      }
      JFS_RETURN_IF_ERROR(
          Discard(tx, format_, new_parent, new_name, *target, td, ta, trash, &deleted_length));
      JFS_RETURN_IF_ERROR(
          fsi::UpdateDirStat(tx, format_, new_parent, Neg(fsi::ChildStat(ta.type, ta.length))));
    }
    auto now = fsi::Now();
    tx.Delete(skey);
    tx.Put(dkey, *entry);
    fsi::SetCtime(&a, now);
    if (!same_dir) {
      if (a.parent > 0) {
        a.parent = new_parent;
      } else {
        tx.Add(RecordKey::Parent(d.ino, parent), -1);
        tx.Add(RecordKey::Parent(d.ino, new_parent), 1);
      }
      if (is_dir) {
        if (!IsTrashInode(parent)) sp.nlink--;  // trash dirs keep nlink 2
        dp.nlink++;
      }
      DirStat cs = fsi::ChildStat(a.type, a.length);
      JFS_RETURN_IF_ERROR(fsi::UpdateDirStat(tx, format_, parent, Neg(cs)));
      JFS_RETURN_IF_ERROR(fsi::UpdateDirStat(tx, format_, new_parent, cs));
    }
    PutAttr(tx, d.ino, a);
    fsi::SetMtime(&sp, now);
    PutAttr(tx, parent, sp);
    if (!same_dir) {
      fsi::SetMtime(&dp, now);
      PutAttr(tx, new_parent, dp);
    }
    return Status::OK();
  });
  turn.End();
  JFS_RETURN_IF_ERROR(renamed);
  if (deleted_length) return DeleteFileData(replaced, *deleted_length);
  return Status::OK();
}

Status Volume::SetAttr(Ino ino, uint32_t mask, const Attr& in) {
  JFS_RETURN_IF_ERROR(write_refusal_);
  return meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, ino));
    JFS_RETURN_IF_ERROR(fsi::CheckSetAttr(ino, a, mask == kSetFlags,
                                          (mask & kSetMode) && (in.mode & 07777) != a.mode));
    if (mask & kSetMode) a.mode = in.mode & 07777;
    if (mask & kSetUid) a.uid = in.uid;
    if (mask & kSetGid) a.gid = in.gid;
    if (mask & kSetFlags) a.flags = in.flags;
    if (mask & kSetAtime) a.atime = in.atime, a.atimensec = in.atimensec;
    if (mask & kSetMtime) a.mtime = in.mtime, a.mtimensec = in.mtimensec;
    fsi::SetCtime(&a, fsi::Now());
    PutAttr(tx, ino, a);
    return Status::OK();
  });
}

Status Volume::SetXattr(Ino ino, std::string_view name, std::string_view value) {
  JFS_RETURN_IF_ERROR(CheckXattr(name, value));
  JFS_RETURN_IF_ERROR(write_refusal_);
  return meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, ino));
    JFS_RETURN_IF_ERROR(fsi::CheckChange(ino, a, "set xattr"));
    tx.Put(RecordKey::Xattr(ino, name), std::string(value));
    return Status::OK();
  });
}

Result<std::string> Volume::GetXattr(Ino ino, std::string_view name) {
  JFS_RETURN_IF_ERROR(CheckXattrName(name));
  JFS_ASSIGN_OR_RETURN(auto v, meta_->Get(RecordKey::Xattr(ino, name)));
  if (!v) return Status::NotFound("no xattr " + std::string(name));
  return *v;
}

Result<std::vector<std::string>> Volume::ListXattr(Ino ino) {
  std::vector<std::string> names;
  JFS_RETURN_IF_ERROR(meta_->Scan(RecordRange::Xattrs(ino), [&](const RecordKey& k, auto) {
    names.push_back(k.name);
    return true;
  }));
  return names;
}

Status Volume::RemoveXattr(Ino ino, std::string_view name) {
  JFS_RETURN_IF_ERROR(CheckXattrName(name));
  JFS_RETURN_IF_ERROR(write_refusal_);
  return meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, ino));
    JFS_RETURN_IF_ERROR(fsi::CheckChange(ino, a, "remove xattr"));
    RecordKey key = RecordKey::Xattr(ino, name);
    JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key));
    if (!v) return Status::NotFound("no xattr " + std::string(name));
    tx.Delete(key);
    return Status::OK();
  });
}

}  // namespace jfsbr
