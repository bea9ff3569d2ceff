// ExportTree: volume -> local directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <mutex>

#include "fs/tree.h"
#include "fs/tree_internal.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

constexpr uint64_t kReadSize = 4 << 20;

// Walks the volume in one thread; regular files are written by opts.threads
// workers; a directory gets its attributes once its subtree is done.
class Exporter {
 public:
  Exporter(Volume* vol, const ExportOptions& opts) : vol_(vol), opts_(opts), group_(opts.threads) {}

  Status Dir(Ino jdir, const std::string& path, const SubtreeDone::Ref& node) {
    JFS_ASSIGN_OR_RETURN(auto entries, vol_->ReadDir(jdir));
    for (const auto& e : entries) {
      Status st = Entry(e, path + "/" + e.name, node);
      if (!st.ok()) return st.Annotate(path + "/" + e.name);
      if (opts_.progress) opts_.progress(progress());
    }
    return Status::OK();
  }

  SubtreeDone::Ref OpenDir(const SubtreeDone::Ref& parent, Ino ino, const Attr& a,
                           const std::string& path) {
    return done_.Open(parent, [this, ino, a, path] { return Finish(ino, a, path); });
  }
  void Release(SubtreeDone::Ref node) { done_.Release(std::move(node)); }
  Status Wait() {
    JFS_RETURN_IF_ERROR(group_.Wait());
    return done_.status();
  }

  TreeProgress progress() { return progress_.Get(); }

  // One non-directory node written at path, here and now.
  Status Single(Ino ino, const Attr& a, const std::string& path) {
    unlink(path.c_str());
    if (a.type != FileType::kFile) return CreateOther(ino, a, path);
    JFS_RETURN_IF_ERROR(WriteFile(ino, a.length, path));
    progress_.Add(&TreeProgress::files);
    return Finish(ino, a, path);
  }

 private:
  // Ownership, mode, xattrs and times of a node already created at path.
  Status Finish(Ino ino, const Attr& a, const std::string& path) {
    bool link = a.type == FileType::kSymlink;
    if (geteuid() == 0 && lchown(path.c_str(), a.uid, a.gid) != 0)
      return ErrnoStatus("chown", path);
    if (!link && chmod(path.c_str(), a.mode) != 0) return ErrnoStatus("chmod", path);
    JFS_ASSIGN_OR_RETURN(auto names, vol_->ListXattr(ino));
    for (const auto& n : names) {
      JFS_ASSIGN_OR_RETURN(std::string v, vol_->GetXattr(ino, n));
      if (lsetxattr(path.c_str(), n.c_str(), v.data(), v.size(), 0) != 0 && errno != ENOTSUP) {
        return ErrnoStatus("setxattr " + n, path);
      }
    }
    struct timespec ts[2] = {{a.atime, a.atimensec}, {a.mtime, a.mtimensec}};
    if (utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus("set times of", path);
    }
    return Status::OK();
  }

  Status Entry(const DirEntry& e, const std::string& path, const SubtreeDone::Ref& node) {
    Ino ino = e.dentry.ino;
    JFS_ASSIGN_OR_RETURN(Attr a, vol_->GetAttr(ino));
    if (a.IsDir()) {
      if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
      progress_.Add(&TreeProgress::dirs);
      SubtreeDone::Ref child = OpenDir(node, ino, a, path);
      JFS_RETURN_IF_ERROR(Dir(ino, path, child));
      done_.Release(child);
      return Status::OK();
    }
    if (a.nlink > 1) {
      if (auto it = links_.find(ino); it != links_.end()) {
        JFS_RETURN_IF_ERROR(it->second.first.get());  // the first name is written
        unlink(path.c_str());
        if (link(it->second.second.c_str(), path.c_str()) != 0) return ErrnoStatus("link", path);
        progress_.Add(&TreeProgress::others);
        return Status::OK();
      }
    }
    unlink(path.c_str());  // replace whatever an earlier export left
    auto done = std::make_shared<std::promise<Status>>();
    if (a.nlink > 1) links_[ino] = {done->get_future().share(), path};
    if (a.type != FileType::kFile) {
      Status st = CreateOther(ino, a, path);
      done->set_value(st);
      return st;
    }
    done_.Hold(node);
    Status submitted = group_.Submit([this, ino, a, path, done, node] {
      Status st = WriteFile(ino, a.length, path);
      if (st.ok()) st = Finish(ino, a, path);
      if (st.ok()) progress_.Add(&TreeProgress::files);
      done->set_value(st);
      done_.Release(node);
      return st;
    });
    if (!submitted.ok()) done->set_value(submitted);
    return submitted;
  }

  Status CreateOther(Ino ino, const Attr& a, const std::string& path) {
    if (a.type == FileType::kSymlink) {
      JFS_ASSIGN_OR_RETURN(std::string target, vol_->ReadLink(ino));
      if (symlink(target.c_str(), path.c_str()) != 0) return ErrnoStatus("symlink", path);
      progress_.Add(&TreeProgress::symlinks);
    } else {
      if (mknod(path.c_str(), PosixTypeBits(a.type) | 0600, a.rdev) != 0)
        return ErrnoStatus("mknod", path);
      progress_.Add(&TreeProgress::others);
    }
    return Finish(ino, a, path);
  }

  Status WriteFile(Ino ino, uint64_t length, const std::string& path) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus("create", path);
    Status st;
    for (uint64_t off = 0; off < length && st.ok(); off += kReadSize) {
      auto data = vol_->Read(ino, off, kReadSize);
      if (!data.ok()) {
        st = data.status().Annotate(path);
        break;
      }
      const char* p = data->data();
      size_t left = data->size();
      while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          st = ErrnoStatus("write", path);
          break;
        }
        p += n, left -= static_cast<size_t>(n);
      }
      progress_.Add(&TreeProgress::bytes, data->size());
    }
    if (close(fd) != 0 && st.ok()) st = ErrnoStatus("close", path);
    return st;
  }

  Volume* vol_;
  const ExportOptions& opts_;
  SharedProgress progress_;
  // Inode of a multiply linked node -> (its first name is written, that path).
  std::map<Ino, std::pair<std::shared_future<Status>, std::string>> links_;
  SubtreeDone done_;
  TaskGroup group_;  // last: its destructor waits for tasks using the members above
};

}  // namespace

Result<TreeProgress> ExportTree(Volume* vol, const std::string& local_dir,
                                const ExportOptions& opts) {
  JFS_ASSIGN_OR_RETURN(Ino src, vol->Resolve(opts.path));
  JFS_ASSIGN_OR_RETURN(Attr a, vol->GetAttr(src));
  if (mkdir(local_dir.c_str(), 0755) != 0 && errno != EEXIST)
    return ErrnoStatus("mkdir", local_dir);
  Exporter ex(vol, opts);
  if (!a.IsDir()) {  // a single file (or link) goes into local_dir under its name
    std::string name = opts.path.substr(opts.path.rfind('/') + 1);
    JFS_RETURN_IF_ERROR(ex.Single(src, a, local_dir + "/" + name));
    if (opts.progress) opts.progress(ex.progress());
    return ex.progress();
  }
  SubtreeDone::Ref top = ex.OpenDir(nullptr, src, a, local_dir);
  Status walked = ex.Dir(src, local_dir, top);
  if (walked.ok()) ex.Release(top);
  Status finished = ex.Wait();
  JFS_RETURN_IF_ERROR(walked);
  JFS_RETURN_IF_ERROR(finished);
  if (opts.progress) opts.progress(ex.progress());
  return ex.progress();
}

}  // namespace jfsbr
