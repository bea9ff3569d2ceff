// ExportTree: volume -> local directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "fs/tree.h"

namespace jfsbr {
namespace {

constexpr uint64_t kReadSize = 4 << 20;

Status Errno(std::string_view what, const std::string& path) {
  int e = errno;
  return Status::IOError(std::string(what) + " " + path + ": " + strerror(e));
}

mode_t ModeType(FileType t) {
  switch (t) {
    case FileType::kFifo:
      return S_IFIFO;
    case FileType::kBlockDev:
      return S_IFBLK;
    case FileType::kCharDev:
      return S_IFCHR;
    case FileType::kSocket:
      return S_IFSOCK;
    default:
      return S_IFREG;
  }
}

class Exporter {
 public:
  Exporter(Volume* vol, const ExportOptions& opts) : vol_(vol), opts_(opts) {}

  Status Dir(Ino jdir, const std::string& path) {
    JFS_ASSIGN_OR_RETURN(auto entries, vol_->ReadDir(jdir));
    for (const auto& e : entries) {
      Status st = Entry(e, path + "/" + e.name);
      if (!st.ok()) return st.Annotate(path + "/" + e.name);
      if (opts_.progress) opts_.progress(progress_);
    }
    return Status::OK();
  }

  const TreeProgress& progress() const { return progress_; }

  // Ownership, mode, xattrs and times of a node already created at path.
  Status Finish(Ino ino, const Attr& a, const std::string& path) {
    bool link = a.type == FileType::kSymlink;
    if (geteuid() == 0 && lchown(path.c_str(), a.uid, a.gid) != 0) return Errno("chown", path);
    if (!link && chmod(path.c_str(), a.mode) != 0) return Errno("chmod", path);
    JFS_ASSIGN_OR_RETURN(auto names, vol_->ListXattr(ino));
    for (const auto& n : names) {
      JFS_ASSIGN_OR_RETURN(std::string v, vol_->GetXattr(ino, n));
      if (lsetxattr(path.c_str(), n.c_str(), v.data(), v.size(), 0) != 0 && errno != ENOTSUP) {
        return Errno("setxattr " + n, path);
      }
    }
    struct timespec ts[2] = {{a.atime, a.atimensec}, {a.mtime, a.mtimensec}};
    if (utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno("set times of", path);
    }
    return Status::OK();
  }

 private:
  Status Entry(const DirEntry& e, const std::string& path) {
    Ino ino = e.dentry.ino;
    JFS_ASSIGN_OR_RETURN(Attr a, vol_->GetAttr(ino));
    if (a.IsDir()) {
      if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir", path);
      progress_.dirs++;
      JFS_RETURN_IF_ERROR(Dir(ino, path));
      return Finish(ino, a, path);
    }
    if (a.nlink > 1) {
      if (auto it = links_.find(ino); it != links_.end()) {
        unlink(path.c_str());
        if (link(it->second.c_str(), path.c_str()) != 0) return Errno("link", path);
        progress_.others++;
        return Status::OK();
      }
      links_[ino] = path;
    }
    unlink(path.c_str());  // replace whatever an earlier export left
    if (a.type == FileType::kSymlink) {
      JFS_ASSIGN_OR_RETURN(std::string target, vol_->ReadLink(ino));
      if (symlink(target.c_str(), path.c_str()) != 0) return Errno("symlink", path);
      progress_.symlinks++;
    } else if (a.type == FileType::kFile) {
      JFS_RETURN_IF_ERROR(WriteFile(ino, a.length, path));
      progress_.files++;
    } else {
      if (mknod(path.c_str(), ModeType(a.type) | 0600, a.rdev) != 0) return Errno("mknod", path);
      progress_.others++;
    }
    return Finish(ino, a, path);
  }

  Status WriteFile(Ino ino, uint64_t length, const std::string& path) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", path);
    Status st;
    for (uint64_t off = 0; off < length && st.ok(); off += kReadSize) {
      auto data = vol_->Read(ino, off, kReadSize);
      if (!data.ok()) {
        st = data.status();
        break;
      }
      const char* p = data->data();
      size_t left = data->size();
      while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          st = Errno("write", path);
          break;
        }
        p += n, left -= static_cast<size_t>(n);
      }
      progress_.bytes += data->size();
    }
    if (close(fd) != 0 && st.ok()) st = Errno("close", path);
    return st;
  }

  Volume* vol_;
  const ExportOptions& opts_;
  TreeProgress progress_;
  std::map<Ino, std::string> links_;  // inode -> first exported path
};

}  // namespace

Result<TreeProgress> ExportTree(Volume* vol, const std::string& local_dir,
                                const ExportOptions& opts) {
  JFS_ASSIGN_OR_RETURN(Ino src, vol->Resolve(opts.path));
  JFS_ASSIGN_OR_RETURN(Attr a, vol->GetAttr(src));
  if (!a.IsDir()) return Status::NotDirectory(opts.path + " is not a directory in the volume");
  if (mkdir(local_dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", local_dir);
  Exporter ex(vol, opts);
  JFS_RETURN_IF_ERROR(ex.Dir(src, local_dir));
  JFS_RETURN_IF_ERROR(ex.Finish(src, a, local_dir));
  if (opts.progress) opts.progress(ex.progress());
  return ex.progress();
}

}  // namespace jfsbr
