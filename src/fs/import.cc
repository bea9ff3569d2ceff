// ImportTree: local directory -> volume.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
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

FileType TypeOf(mode_t m) {
  if (S_ISDIR(m)) return FileType::kDirectory;
  if (S_ISLNK(m)) return FileType::kSymlink;
  if (S_ISFIFO(m)) return FileType::kFifo;
  if (S_ISBLK(m)) return FileType::kBlockDev;
  if (S_ISCHR(m)) return FileType::kCharDev;
  if (S_ISSOCK(m)) return FileType::kSocket;
  return FileType::kFile;
}

Result<std::vector<std::pair<std::string, std::string>>> LocalXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP || errno == ENODATA) return out;
    return ErrnoStatus("listxattr", path);
  }
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) return ErrnoStatus("listxattr", path);
  names.resize(static_cast<size_t>(n));
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    ssize_t vn = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vn < 0) return ErrnoStatus("getxattr " + name, path);
    std::string value(static_cast<size_t>(vn), '\0');
    vn = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vn < 0) return ErrnoStatus("getxattr " + name, path);
    value.resize(static_cast<size_t>(vn));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

Result<std::vector<std::string>> ListLocalDir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return ErrnoStatus("open directory", path);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Walks the local tree in one thread; regular files are uploaded and created
// by opts.threads workers. A directory gets its attributes back once its
// whole subtree is done (SubtreeDone).
class Importer {
 public:
  Importer(Volume* vol, const ImportOptions& opts) : vol_(vol), opts_(opts), group_(opts.threads) {}

  Status Dir(const std::string& path, Ino jdir, const SubtreeDone::Ref& node) {
    JFS_ASSIGN_OR_RETURN(auto names, ListLocalDir(path));
    for (const auto& name : names) {
      Status st = Entry(path + "/" + name, jdir, name, node);
      if (!st.ok()) return st.Annotate(path + "/" + name);
      if (opts_.progress) opts_.progress(progress());
    }
    return Status::OK();
  }

  // Opens the top directory: its attributes come from the local directory, as
  // `rsync -a src/ dest/` does.
  SubtreeDone::Ref OpenTop(Ino jdir, NodeSpec spec) {
    return OpenDir(nullptr, jdir, std::move(spec));
  }
  void Release(SubtreeDone::Ref node) { done_.Release(std::move(node)); }

  // Waits for every task; the first error of any of them.
  Status Finish() {
    JFS_RETURN_IF_ERROR(group_.Wait());
    return done_.status();
  }

  TreeProgress progress() { return progress_.Get(); }

  Result<NodeSpec> SpecOf(const std::string& path, const struct stat& st) {
    NodeSpec s;
    s.mode = st.st_mode & 07777;
    s.uid = st.st_uid;
    s.gid = st.st_gid;
    s.rdev = static_cast<uint32_t>(st.st_rdev);
    s.atime = st.st_atim.tv_sec, s.atimensec = static_cast<uint32_t>(st.st_atim.tv_nsec);
    s.mtime = st.st_mtim.tv_sec, s.mtimensec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
    JFS_ASSIGN_OR_RETURN(s.xattrs, LocalXattrs(path));
    return s;
  }

 private:
  using InoFuture = std::shared_future<Result<Ino>>;

  SubtreeDone::Ref OpenDir(const SubtreeDone::Ref& parent, Ino jdir, NodeSpec spec) {
    return done_.Open(parent,
                      [this, jdir, spec = std::move(spec)] { return FinishDir(jdir, spec); });
  }

  // Children changed the directory's mtime: put the original back.
  Status FinishDir(Ino jdir, const NodeSpec& spec) {
    Attr a;
    a.mode = spec.mode, a.uid = spec.uid, a.gid = spec.gid;
    a.atime = spec.atime, a.atimensec = spec.atimensec;
    a.mtime = spec.mtime, a.mtimensec = spec.mtimensec;
    JFS_RETURN_IF_ERROR(
        vol_->SetAttr(jdir, kSetMode | kSetUid | kSetGid | kSetAtime | kSetMtime, a));
    for (const auto& [k, v] : spec.xattrs) JFS_RETURN_IF_ERROR(vol_->SetXattr(jdir, k, v));
    return Status::OK();
  }

  static InoFuture Ready(Ino ino) {
    std::promise<Result<Ino>> p;
    p.set_value(ino);
    return p.get_future().share();
  }

  Status Entry(const std::string& path, Ino jparent, const std::string& name,
               const SubtreeDone::Ref& node) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path);
    FileType type = TypeOf(st.st_mode);
    JFS_ASSIGN_OR_RETURN(NodeSpec spec, SpecOf(path, st));
    std::optional<Dentry> existing;
    auto found = vol_->Lookup(jparent, name);
    if (found.ok()) {
      existing = *found;
    } else if (!found.status().Is(Code::kNotFound)) {
      return found.status();
    }

    if (type == FileType::kDirectory) return ImportDir(path, jparent, name, spec, existing, node);
    if (existing && existing->type == FileType::kDirectory) {
      return Status::Exists("a directory of that name is already in the volume");
    }
    auto link_key = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1) {
      if (auto it = links_.find(link_key); it != links_.end()) {
        Result<Ino> first = it->second.get();  // waits for the first name's upload
        if (!first.ok()) return first.status();
        if (existing && existing->ino == *first) return Skip();
        if (existing) JFS_RETURN_IF_ERROR(vol_->Unlink(jparent, name));
        progress_.Add(&TreeProgress::others);
        return vol_->Link(*first, jparent, name);
      }
    }
    if (existing) {
      JFS_ASSIGN_OR_RETURN(bool same, SameNode(*existing, type, path, st));
      if (same) {
        if (st.st_nlink > 1) links_[link_key] = Ready(existing->ino);
        return Skip();
      }
      JFS_RETURN_IF_ERROR(vol_->Unlink(jparent, name));
    }
    if (type != FileType::kFile) {
      JFS_ASSIGN_OR_RETURN(Ino ino, CreateOther(path, jparent, name, type, spec));
      if (st.st_nlink > 1) links_[link_key] = Ready(ino);
      return Status::OK();
    }
    auto promise = std::make_shared<std::promise<Result<Ino>>>();
    if (st.st_nlink > 1) links_[link_key] = promise->get_future().share();
    done_.Hold(node);
    Status submitted = group_.Submit([this, path, jparent, name, spec, promise, node] {
      Result<Ino> ino = CreateFile(path, jparent, name, spec);
      promise->set_value(ino);
      done_.Release(node);
      return ino.status();
    });
    if (!submitted.ok()) promise->set_value(submitted);
    return submitted;
  }

  Status Skip() {
    progress_.Add(&TreeProgress::skipped);
    return Status::OK();
  }

  Result<bool> SameNode(const Dentry& d, FileType type, const std::string& path,
                        const struct stat& st) {
    if (d.type != type) return false;
    JFS_ASSIGN_OR_RETURN(Attr a, vol_->GetAttr(d.ino));
    if (type == FileType::kSymlink) {
      char buf[4097];
      ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
      if (n < 0) return ErrnoStatus("readlink", path);
      JFS_ASSIGN_OR_RETURN(std::string target, vol_->ReadLink(d.ino));
      return target == std::string_view(buf, static_cast<size_t>(n));
    }
    return a.length == static_cast<uint64_t>(st.st_size) && a.mtime == st.st_mtim.tv_sec &&
           a.mtimensec == static_cast<uint32_t>(st.st_mtim.tv_nsec);
  }

  Status ImportDir(const std::string& path, Ino jparent, const std::string& name,
                   const NodeSpec& spec, const std::optional<Dentry>& existing,
                   const SubtreeDone::Ref& parent_node) {
    Ino jdir;
    if (existing && existing->type == FileType::kDirectory) {
      jdir = existing->ino;
    } else {
      if (existing) JFS_RETURN_IF_ERROR(vol_->Unlink(jparent, name));
      JFS_ASSIGN_OR_RETURN(jdir, vol_->Mkdir(jparent, name, spec));
    }
    progress_.Add(&TreeProgress::dirs);
    SubtreeDone::Ref node = OpenDir(parent_node, jdir, spec);
    Status st = Dir(path, jdir, node);
    if (st.ok()) done_.Release(node);  // on error the directory stays unfinished
    return st;
  }

  Result<Ino> CreateOther(const std::string& path, Ino jparent, const std::string& name,
                          FileType type, const NodeSpec& spec) {
    if (type == FileType::kSymlink) {
      char buf[4097];
      ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
      if (n < 0) return ErrnoStatus("readlink", path);
      progress_.Add(&TreeProgress::symlinks);
      return vol_->Symlink(jparent, name, std::string_view(buf, static_cast<size_t>(n)), spec);
    }
    progress_.Add(&TreeProgress::others);
    return vol_->Mknod(jparent, name, type, spec);
  }

  // Runs on a worker: uploads the blocks, then creates the file in one
  // transaction with its length set to what was read.
  Result<Ino> CreateFile(const std::string& path, Ino jparent, const std::string& name,
                         const NodeSpec& spec) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path).Annotate(path);
    SliceWriter w(vol_, 0);
    std::string buf(1 << 20, '\0');
    Status st;
    while (st.ok()) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) st = ErrnoStatus("read", path);
      if (n <= 0) break;
      st = w.Append(std::string_view(buf.data(), static_cast<size_t>(n)));
      progress_.Add(&TreeProgress::bytes, static_cast<uint64_t>(n));
    }
    close(fd);
    if (!st.ok()) return st.Annotate(path);
    uint64_t length = w.offset();
    JFS_ASSIGN_OR_RETURN(auto slices, w.Finish());
    auto ino = vol_->CreateFile(jparent, name, spec, length, slices);
    if (!ino.ok()) return ino.status().Annotate(path);
    progress_.Add(&TreeProgress::files);
    return ino;
  }

  Volume* vol_;
  const ImportOptions& opts_;
  SharedProgress progress_;
  std::map<std::pair<dev_t, ino_t>, InoFuture> links_;  // walk thread only
  SubtreeDone done_;
  TaskGroup group_;  // last: its destructor waits for tasks using the members above
};

}  // namespace

Result<TreeProgress> ImportTree(Volume* vol, const std::string& local_dir,
                                const ImportOptions& opts) {
  struct stat st;
  if (stat(local_dir.c_str(), &st) != 0) return ErrnoStatus("stat", local_dir);
  if (!S_ISDIR(st.st_mode)) return Status::NotDirectory(local_dir + " is not a directory");
  JFS_ASSIGN_OR_RETURN(Ino dest, vol->Resolve(opts.dest));
  JFS_ASSIGN_OR_RETURN(Attr da, vol->GetAttr(dest));
  if (!da.IsDir()) return Status::NotDirectory(opts.dest + " is not a directory in the volume");
  Importer im(vol, opts);
  JFS_ASSIGN_OR_RETURN(NodeSpec spec, im.SpecOf(local_dir, st));
  SubtreeDone::Ref top = im.OpenTop(dest, std::move(spec));
  Status walked = im.Dir(local_dir, dest, top);
  if (walked.ok()) im.Release(top);
  Status finished = im.Finish();
  JFS_RETURN_IF_ERROR(walked);
  JFS_RETURN_IF_ERROR(finished);
  if (opts.progress) opts.progress(im.progress());
  return im.progress();
}

}  // namespace jfsbr
