// ServeMount: libfuse3's low-level operations over a read-only Volume.
#define FUSE_USE_VERSION 312
#include "view/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "util/thread_pool.h"

namespace jfsbr {
namespace {

int ErrnoOf(const Status& st) {
  switch (st.code()) {
    case Code::kNotFound:
      return ENOENT;
    case Code::kNotDirectory:
      return ENOTDIR;
    case Code::kIsDirectory:
      return EISDIR;
    case Code::kNameTooLong:
      return ENAMETOOLONG;
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kPermission:
      return EROFS;
    default:
      return EIO;
  }
}

struct stat StatOf(Ino ino, const Attr& a) {
  struct stat st;
  memset(&st, 0, sizeof(st));
  st.st_ino = ino;
  st.st_mode = PosixTypeBits(a.type) | (a.mode & 07777);
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_rdev = a.rdev;
  st.st_size = static_cast<off_t>(a.length);
  st.st_blksize = 1 << 16;
  st.st_blocks = static_cast<blkcnt_t>((a.length + 511) / 512);
  st.st_atim = {a.atime, static_cast<long>(a.atimensec)};
  st.st_mtim = {a.mtime, static_cast<long>(a.mtimensec)};
  st.st_ctim = {a.ctime, static_cast<long>(a.ctimensec)};
  return st;
}

// What an open file remembers: where a sequential reader goes next, and how
// far ahead its blocks are fetched.
struct OpenFile {
  std::mutex mu;
  uint64_t next = 0, ahead = 0;
};

// A directory listed once at opendir, served from it by offset.
struct OpenDir {
  std::vector<DirEntry> entries;
  Ino parent = kRootInode;
};

struct Fs {
  SourceView* view;
  Volume* vol;
  double timeout;                     // seconds the kernel keeps entries and attrs
  std::unique_ptr<ThreadPool> ahead;  // read-ahead (only with a block cache)
};

Fs* FsOf(fuse_req_t req) { return static_cast<Fs*>(fuse_req_userdata(req)); }

void ReplyError(fuse_req_t req, const Status& st) { fuse_reply_err(req, ErrnoOf(st)); }

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Fs* fs = FsOf(req);
  auto d = fs->vol->Lookup(parent, name);
  if (!d.ok()) return ReplyError(req, d.status());
  auto a = fs->vol->GetAttr(d->ino);
  if (!a.ok()) return ReplyError(req, a.status());
  fuse_entry_param e;
  memset(&e, 0, sizeof(e));
  e.ino = d->ino;
  e.generation = 1;
  e.attr = StatOf(d->ino, *a);
  e.attr_timeout = e.entry_timeout = fs->timeout;
  fuse_reply_entry(req, &e);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Fs* fs = FsOf(req);
  auto a = fs->vol->GetAttr(ino);
  if (!a.ok()) return ReplyError(req, a.status());
  struct stat st = StatOf(ino, *a);
  fuse_reply_attr(req, &st, fs->timeout);
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  auto t = FsOf(req)->vol->ReadLink(ino);
  if (!t.ok()) return ReplyError(req, t.status());
  fuse_reply_readlink(req, t->c_str());
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
    return (void)fuse_reply_err(req, EROFS);
  }
  Fs* fs = FsOf(req);
  auto a = fs->vol->GetAttr(ino);
  if (!a.ok()) return ReplyError(req, a.status());
  if (a->IsDir()) return (void)fuse_reply_err(req, EISDIR);
  fi->fh = reinterpret_cast<uint64_t>(new OpenFile);
  fi->keep_cache = fs->view->immutable();
  if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<OpenFile*>(fi->fh);
}

// Fetches the blocks a sequential reader reads next into the cache.
void ReadAhead(Fs* fs, fuse_ino_t ino, OpenFile* f, uint64_t off, size_t size) {
  if (!fs->ahead) return;
  const uint64_t window = 2 * fs->vol->block_bytes();
  uint64_t from = 0, to = 0;
  {
    std::lock_guard<std::mutex> l(f->mu);
    bool sequential = off == f->next;
    f->next = off + size;
    if (!sequential || f->ahead >= off + size + window / 2) return;
    from = std::max(f->ahead, off + size);
    to = off + size + window;
    f->ahead = to;
  }
  Volume* vol = fs->vol;
  fs->ahead->Submit([vol, ino, from, to] { (void)vol->Read(ino, from, to - from); });
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Fs* fs = FsOf(req);
  auto data = fs->vol->Read(ino, static_cast<uint64_t>(off), size);
  if (!data.ok()) return ReplyError(req, data.status());
  // Before the reply: once it is sent, a release may free the open file.
  ReadAhead(fs, ino, reinterpret_cast<OpenFile*>(fi->fh), static_cast<uint64_t>(off), size);
  fuse_reply_buf(req, data->data(), data->size());
}

void Release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<OpenFile*>(fi->fh);
  fuse_reply_err(req, 0);
}

void OpenDirectory(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Fs* fs = FsOf(req);
  auto a = fs->vol->GetAttr(ino);
  if (!a.ok()) return ReplyError(req, a.status());
  auto entries = fs->vol->ReadDir(ino);
  if (!entries.ok()) return ReplyError(req, entries.status());
  auto* d = new OpenDir{std::move(*entries), a->parent != 0 ? a->parent : kRootInode};
  if (ino == kRootInode) d->parent = kRootInode;
  fi->fh = reinterpret_cast<uint64_t>(d);
  fi->cache_readdir = fs->view->immutable();
  fi->keep_cache = fs->view->immutable();
  if (fuse_reply_open(req, fi) != 0) delete d;
}

void ReadDirectory(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto* d = reinterpret_cast<OpenDir*>(fi->fh);
  std::string buf(size, '\0');
  size_t used = 0;
  // Offsets: 0 ".", 1 "..", 2 + i the i-th entry; each entry names the next.
  for (size_t i = static_cast<size_t>(off); i < d->entries.size() + 2; i++) {
    struct stat st;
    memset(&st, 0, sizeof(st));
    const char* name;
    if (i < 2) {
      name = i == 0 ? "." : "..";
      st.st_ino = i == 0 ? ino : d->parent;
      st.st_mode = S_IFDIR;
    } else {
      const DirEntry& e = d->entries[i - 2];
      name = e.name.c_str();
      st.st_ino = e.dentry.ino;
      st.st_mode = PosixTypeBits(e.dentry.type);
    }
    size_t n = fuse_add_direntry(req, buf.data() + used, size - used, name, &st,
                                 static_cast<off_t>(i + 1));
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void ReleaseDirectory(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<OpenDir*>(fi->fh);
  fuse_reply_err(req, 0);
}

void StatFs(fuse_req_t req, fuse_ino_t) {
  Fs* fs = FsOf(req);
  auto used = fs->vol->Counter("usedSpace");
  auto inodes = fs->vol->Counter("totalInodes");
  struct statvfs st;
  memset(&st, 0, sizeof(st));
  const uint64_t used_blocks = used.ok() ? static_cast<uint64_t>(*used) / 4096 : 0;
  const uint64_t capacity = fs->vol->format().capacity / 4096;
  st.f_bsize = st.f_frsize = 4096;
  st.f_blocks = std::max(capacity, used_blocks);
  st.f_bfree = st.f_bavail = 0;  // read-only: nothing can be written
  st.f_files = inodes.ok() ? static_cast<uint64_t>(*inodes) : 0;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  auto v = FsOf(req)->vol->GetXattr(ino, name);
  if (!v.ok()) {
    return (void)fuse_reply_err(
        req,
        v.status().Is(Code::kNotFound) || v.status().Is(Code::kInvalidArgument) ? ENODATA : EIO);
  }
  if (size == 0) return (void)fuse_reply_xattr(req, v->size());
  if (size < v->size()) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, v->data(), v->size());
}

void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto names = FsOf(req)->vol->ListXattr(ino);
  if (!names.ok()) return ReplyError(req, names.status());
  std::string all;
  for (const auto& n : *names) all.append(n).push_back('\0');
  if (size == 0) return (void)fuse_reply_xattr(req, all.size());
  if (size < all.size()) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, all.data(), all.size());
}

Status CheckMountpoint(const std::string& dir, const MountOptions& o) {
  if (access(o.fuse_device.c_str(), R_OK | W_OK) != 0) {
    return Status::Unavailable("cannot open " + o.fuse_device + " (" + strerror(errno) +
                               "): FUSE is not available here (load the fuse module; in a "
                               "container, pass the device in)");
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    return Status::NotFound("mountpoint " + dir + ": " + strerror(errno));
  }
  if (!S_ISDIR(st.st_mode))
    return Status::NotDirectory("mountpoint " + dir + " is not a directory");
  return Status::OK();
}

}  // namespace

Status ServeMount(SourceView* view, const std::string& mountpoint, const MountOptions& o) {
  JFS_RETURN_IF_ERROR(CheckMountpoint(mountpoint, o));
  Fs fs{view, view->volume(), view->immutable() ? 3600.0 : 1.0, nullptr};
  if (view->cache() != nullptr) fs.ahead = std::make_unique<ThreadPool>(4);
  fuse_lowlevel_ops ops;
  memset(&ops, 0, sizeof(ops));
  ops.lookup = Lookup;
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.open = Open;
  ops.read = Read;
  ops.release = Release;
  ops.opendir = OpenDirectory;
  ops.readdir = ReadDirectory;
  ops.releasedir = ReleaseDirectory;
  ops.statfs = StatFs;
  ops.getxattr = GetXattr;
  ops.listxattr = ListXattr;
  std::string opts = "ro,default_permissions,fsname=jfsbr,subtype=jfsbr";
  if (geteuid() == 0) opts += ",allow_other";  // others browse under the files' permissions
  std::vector<std::string> argv = {"jfsbr", "-o", opts};
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(raw.size()), raw.data());
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), &fs);
  if (se == nullptr) return Status::IOError("FUSE refused the mount options");
  if (fuse_set_signal_handlers(se) != 0) {
    fuse_session_destroy(se);
    return Status::IOError("cannot set the signal handlers");
  }
  if (fuse_session_mount(se, mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return Status::IOError("cannot mount at " + mountpoint +
                           " (is it in use, or is fusermount3 missing?)");
  }
  if (o.ready) o.ready();
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, static_cast<unsigned>(std::max(1, o.threads)));
  int rc = fuse_session_loop_mt(se, cfg);
  fuse_loop_cfg_destroy(cfg);
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  fs.ahead.reset();  // read-ahead done before the volume goes
  if (rc < 0) return Status::IOError(std::string("the FUSE session failed: ") + strerror(-rc));
  return Status::OK();
}

}  // namespace jfsbr
