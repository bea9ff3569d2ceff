// LazyFs: the pass-through operations (libfuse's path-based API, one loop
// thread so the model sees operations in order) and the durable model.
#define FUSE_USE_VERSION 312
#include "testing/lazy_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "util/io.h"

namespace jfsbr {
namespace {

LazyFs* Self() { return static_cast<LazyFs*>(fuse_get_context()->private_data); }
std::string B(const char* path) { return Self()->Backing(path); }
int Err(int rc) { return rc < 0 ? -errno : rc; }

// Counts a mutating operation: true when it may go on to the backing.
bool Go() { return Self()->Tick(fuse_get_context()->pid) || !Self()->killing(); }

// Every regular file's bytes through fd (an open file of any offset).
std::string ReadAll(int fd) {
  std::string out;
  char buf[1 << 16];
  for (off_t off = 0;;) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
}

void* Init(fuse_conn_info*, fuse_config* cfg) {
  cfg->use_ino = 1;
  // An unlinked open file really goes (no .fuse_hidden names in listings);
  // its operations arrive by handle.
  cfg->hard_remove = 1;
  cfg->nullpath_ok = 1;
  return fuse_get_context()->private_data;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info* fi) {
  if (fi != nullptr) return Err(fstat(static_cast<int>(fi->fh), st));
  return Err(lstat(B(path).c_str(), st));
}

int ReadLink(const char* path, char* buf, size_t size) {
  ssize_t n = readlink(B(path).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

int MkDir(const char* path, mode_t mode) {
  if (!Go()) return -EIO;
  if (mkdir(B(path).c_str(), mode) != 0) return -errno;
  Self()->Created(path);
  return 0;
}

int Unlink(const char* path) {
  if (!Go()) return -EIO;
  return Err(unlink(B(path).c_str()));
}

int RmDir(const char* path) {
  if (!Go()) return -EIO;
  return Err(rmdir(B(path).c_str()));
}

int SymLink(const char* target, const char* path) {
  if (!Go()) return -EIO;
  if (symlink(target, B(path).c_str()) != 0) return -errno;
  Self()->Created(path);
  return 0;
}

int Rename(const char* from, const char* to, unsigned int flags) {
  if (!Go()) return -EIO;
  return Err(renameat2(AT_FDCWD, B(from).c_str(), AT_FDCWD, B(to).c_str(), flags));
}

int Link(const char* from, const char* to) {
  if (!Go()) return -EIO;
  return Err(link(B(from).c_str(), B(to).c_str()));
}

int ChMod(const char* path, mode_t mode, fuse_file_info* fi) {
  if (!Go()) return -EIO;
  if (fi != nullptr) return Err(fchmod(static_cast<int>(fi->fh), mode));
  return Err(chmod(B(path).c_str(), mode));
}

int ChOwn(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  if (!Go()) return -EIO;
  if (fi != nullptr) return Err(fchown(static_cast<int>(fi->fh), uid, gid));
  return Err(lchown(B(path).c_str(), uid, gid));
}

int Truncate(const char* path, off_t size, fuse_file_info* fi) {
  if (!Go()) return -EIO;
  if (fi != nullptr) return Err(ftruncate(static_cast<int>(fi->fh), size));
  return Err(truncate(B(path).c_str(), size));
}

int Open(const char* path, fuse_file_info* fi) {
  if ((fi->flags & O_TRUNC) && !Go()) return -EIO;
  int fd = open(B(path).c_str(), fi->flags & ~O_NOFOLLOW);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  return 0;
}

int Create(const char* path, mode_t mode, fuse_file_info* fi) {
  if (!Go()) return -EIO;
  int fd = open(B(path).c_str(), fi->flags | O_CREAT, mode);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  Self()->Created(path);
  return 0;
}

int Read(const char*, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  ssize_t n = pread(static_cast<int>(fi->fh), buf, size, off);
  return n < 0 ? -errno : static_cast<int>(n);
}

int Write(const char*, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  if (!Go()) return -EIO;
  if (!PWriteFull(static_cast<int>(fi->fh), buf, size, static_cast<uint64_t>(off))) return -errno;
  return static_cast<int>(size);
}

int StatFs(const char* path, struct statvfs* st) { return Err(statvfs(B(path).c_str(), st)); }

int Release(const char*, fuse_file_info* fi) {
  close(static_cast<int>(fi->fh));
  return 0;
}

// An fsync of a file (or, dir, of a directory) open as fi: recorded as
// durable unless the power is out.
int SyncOp(fuse_file_info* fi, bool dir) {
  if (!Self()->Tick(fuse_get_context()->pid)) return Self()->killing() ? -EIO : 0;
  int fd = static_cast<int>(fi->fh);
  dir ? Self()->SyncDir(fd) : Self()->SyncFile(fd);
  return 0;
}

int FSync(const char*, int, fuse_file_info* fi) { return SyncOp(fi, /*dir=*/false); }

int ReadDir(const char*, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info* fi,
            fuse_readdir_flags) {
  DIR* d = fdopendir(openat(static_cast<int>(fi->fh), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d == nullptr) return -errno;
  while (dirent* e = readdir(d)) {
    struct stat st = {};
    st.st_ino = e->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(e->d_type));
    if (fill(buf, e->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) break;
  }
  closedir(d);
  return 0;
}

int OpenDir(const char* path, fuse_file_info* fi) {
  int fd = open(B(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  fi->fh = static_cast<uint64_t>(fd);
  return 0;
}

int ReleaseDir(const char*, fuse_file_info* fi) {
  close(static_cast<int>(fi->fh));
  return 0;
}

int FSyncDir(const char*, int, fuse_file_info* fi) { return SyncOp(fi, /*dir=*/true); }

int Access(const char* path, int mask) { return Err(access(B(path).c_str(), mask)); }

int UTimeNs(const char* path, const struct timespec tv[2], fuse_file_info* fi) {
  if (!Go()) return -EIO;
  if (fi != nullptr) return Err(futimens(static_cast<int>(fi->fh), tv));
  return Err(utimensat(AT_FDCWD, B(path).c_str(), tv, AT_SYMLINK_NOFOLLOW));
}

int FAllocate(const char*, int mode, off_t off, off_t len, fuse_file_info* fi) {
  if (!Go()) return -EIO;
  return Err(fallocate(static_cast<int>(fi->fh), mode, off, len));
}

fuse_operations Operations() {
  fuse_operations ops = {};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.symlink = SymLink;
  ops.rename = Rename;
  ops.link = Link;
  ops.chmod = ChMod;
  ops.chown = ChOwn;
  ops.truncate = Truncate;
  ops.open = Open;
  ops.create = Create;
  ops.read = Read;
  ops.write = Write;
  ops.statfs = StatFs;
  ops.release = Release;
  ops.fsync = FSync;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.releasedir = ReleaseDir;
  ops.fsyncdir = FSyncDir;
  ops.access = Access;
  ops.utimens = UTimeNs;
  ops.fallocate = FAllocate;
  return ops;
}

}  // namespace

Result<std::unique_ptr<LazyFs>> LazyFs::Mount(const std::string& backing,
                                              const std::string& mountpoint) {
  std::unique_ptr<LazyFs> fs(new LazyFs(backing, mountpoint));
  JFS_RETURN_IF_ERROR(fs->RecordTree(""));
  struct stat st;
  if (lstat(backing.c_str(), &st) != 0) return ErrnoStatus("stat", backing);
  fs->root_id_ = fs->IdOf(st.st_ino);

  static const fuse_operations ops = Operations();
  char name[] = "lazyfs";
  char* argv[] = {name, nullptr};
  fuse_args args = FUSE_ARGS_INIT(1, argv);
  fs->fuse_ = fuse_new(&args, &ops, sizeof ops, fs.get());
  if (fs->fuse_ == nullptr) return Status::IOError("lazyfs: fuse_new failed");
  if (fuse_mount(fs->fuse_, mountpoint.c_str()) != 0) {
    fuse_destroy(fs->fuse_);
    fs->fuse_ = nullptr;
    return Status::IOError("lazyfs: cannot mount at " + mountpoint + " (root and /dev/fuse?)");
  }
  fs->loop_ = std::thread([f = fs->fuse_] { fuse_loop(f); });
  return fs;
}

LazyFs::~LazyFs() { (void)Unmount(); }

void LazyFs::CutAt(uint64_t n, bool kill) {
  kill_ = kill;
  cut_at_ = n;
}

bool LazyFs::Tick(int pid) {
  uint64_t n = ++ops_;
  uint64_t cut = cut_at_.load();
  if (cut != 0 && n >= cut && !out_.exchange(true) && kill_ && pid > 0 && pid != getpid()) {
    kill(pid, SIGKILL);  // a thread id names its whole process here
  }
  return !out_;
}

Status LazyFs::Unmount() {
  if (fuse_ == nullptr) return Status::OK();
  // Unmounting ends the loop (its next read of the device finds no
  // filesystem); libfuse's own unmount then has nothing left to do.
  umount2(mountpoint_.c_str(), MNT_DETACH);
  fuse_unmount(fuse_);
  loop_.join();
  fuse_destroy(fuse_);
  fuse_ = nullptr;
  return Status::OK();
}

uint64_t LazyFs::IdOf(uint64_t ino) {
  auto [it, fresh] = id_of_ino_.try_emplace(ino, next_id_);
  if (fresh) next_id_++;
  return it->second;
}

void LazyFs::Created(const std::string& path) {
  struct stat st;
  if (lstat(Backing(path.c_str()).c_str(), &st) != 0) return;
  std::lock_guard l(mu_);
  id_of_ino_[st.st_ino] = next_id_++;
}

void LazyFs::SyncFile(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  // fd may be write-only: read through a new description of the same file
  // (it works for an unlinked one too).
  int rfd = open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0) return;
  std::string bytes = ReadAll(rfd);
  close(rfd);
  std::lock_guard l(mu_);
  content_[IdOf(st.st_ino)] = std::move(bytes);
}

void LazyFs::SyncDir(int dir_fd) {
  struct stat dst;
  DIR* d = fdopendir(openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d == nullptr) return;
  if (fstat(dirfd(d), &dst) != 0) {
    closedir(d);
    return;
  }
  std::map<std::string, Entry> entries;
  std::lock_guard l(mu_);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    Entry en{IdOf(st.st_ino), st.st_mode, ""};
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlinkat(dirfd(d), name.c_str(), buf, sizeof buf);
      if (n > 0) en.target.assign(buf, static_cast<size_t>(n));
    }
    entries.emplace(std::move(name), std::move(en));
  }
  closedir(d);
  dirs_[IdOf(dst.st_ino)] = std::move(entries);
}

// Everything under the backing path counts as durable (at mount).
Status LazyFs::RecordTree(const std::string& path) {
  std::string dir = Backing(path.c_str());
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", dir);
  SyncDir(fd);
  close(fd);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string rel = path + "/" + e.path().filename().string();
    if (e.is_symlink()) continue;
    if (e.is_directory()) {
      JFS_RETURN_IF_ERROR(RecordTree(rel));
    } else if (e.is_regular_file()) {
      int fd = open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return ErrnoStatus("open", e.path().string());
      SyncFile(fd);
      close(fd);
    }
  }
  return Status::OK();
}

Status LazyFs::PowerCut() {
  out_ = true;
  JFS_RETURN_IF_ERROR(Unmount());
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(backing_)) {
    std::filesystem::remove_all(e.path(), ec);
    if (ec) return Status::IOError("lazyfs: clear " + e.path().string() + ": " + ec.message());
  }
  std::map<uint64_t, std::string> files;  // id -> the path it was rebuilt at
  std::map<uint64_t, bool> dirs_seen;
  std::lock_guard l(mu_);
  return Rebuild(root_id_, backing_, &files, &dirs_seen);
}

// The durable entries of directory dir_id, recreated under path. A file
// met again is a hard link; a directory met twice (a move between two
// directories synced at different times) is rebuilt once.
Status LazyFs::Rebuild(uint64_t dir_id, const std::string& path,
                       std::map<uint64_t, std::string>* files,
                       std::map<uint64_t, bool>* dirs_seen) {
  if (!dirs_seen->emplace(dir_id, true).second) return Status::OK();
  auto it = dirs_.find(dir_id);
  if (it == dirs_.end()) return Status::OK();
  for (const auto& [name, e] : it->second) {
    std::string p = path + "/" + name;
    mode_t perm = static_cast<mode_t>(e.mode) & 07777;
    if (S_ISDIR(e.mode)) {
      if (dirs_seen->count(e.id) != 0) continue;
      if (mkdir(p.c_str(), 0700) != 0) return ErrnoStatus("lazyfs: mkdir", p);
      JFS_RETURN_IF_ERROR(Rebuild(e.id, p, files, dirs_seen));
      chmod(p.c_str(), perm);
    } else if (S_ISLNK(e.mode)) {
      if (symlink(e.target.c_str(), p.c_str()) != 0) return ErrnoStatus("lazyfs: symlink", p);
    } else if (S_ISREG(e.mode)) {
      auto seen = files->find(e.id);
      if (seen != files->end()) {
        if (link(seen->second.c_str(), p.c_str()) != 0) return ErrnoStatus("lazyfs: link", p);
        continue;
      }
      auto bytes = content_.find(e.id);
      JFS_ASSIGN_OR_RETURN(auto sink, OpenFileSink(p));
      if (bytes != content_.end()) JFS_RETURN_IF_ERROR(sink->Write(bytes->second));
      JFS_RETURN_IF_ERROR(sink->Close());
      chmod(p.c_str(), perm);
      files->emplace(e.id, p);
    }
  }
  return Status::OK();
}

}  // namespace jfsbr
