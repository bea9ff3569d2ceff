// Local-directory object store (storage "file"): key K is the file ROOT/K.
//
// Put writes a uniquely named temporary file next to the target and renames it
// into place, so a reader or a crash never sees a partial object; it returns
// once the object is on stable storage (the file synced before the rename,
// its directory after, and every directory created for it made durable in
// its parent), so metadata that names it can be committed. Temporary files
// are skipped by List. Listing walks directories in key order and prunes
// subtrees that cannot hold a key after start_after, so paging is cheap.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include "store/backends.h"
#include "util/coding.h"
#include "util/io.h"

namespace jfsbr {
namespace {

constexpr std::string_view kTempMarker = ".jfsbr-tmp-";

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

// Writes a temporary file and renames it into place on Close, durably;
// removes it if destroyed before.
class FileObjectSink final : public Sink {
 public:
  FileObjectSink(int fd, std::string tmp, std::string path, std::string dir)
      : fd_(fd), tmp_(std::move(tmp)), path_(std::move(path)), dir_(std::move(dir)) {}
  ~FileObjectSink() override {
    if (fd_ >= 0) close(fd_);
    if (!done_) unlink(tmp_.c_str());
  }
  Status Write(std::string_view data) override {
    if (fd_ < 0) return Status::InvalidArgument("write after close of " + path_);
    return WriteAll(fd_, data, tmp_);
  }
  Status Close() override {
    if (fd_ < 0) return Status::InvalidArgument("close twice of " + path_);
    int fd = fd_;
    fd_ = -1;
    if (fdatasync(fd) != 0) {
      close(fd);
      return ErrnoStatus("flush", tmp_);
    }
    if (close(fd) != 0) return ErrnoStatus("close", tmp_);
    if (rename(tmp_.c_str(), path_.c_str()) != 0) return ErrnoStatus("rename", tmp_);
    done_ = true;
    return SyncDir(dir_);
  }

 private:
  int fd_;
  std::string tmp_, path_, dir_;
  bool done_ = false;
};

class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(std::string root) : root_(std::move(root)) {}

  Status Put(const std::string& key, std::string_view data) override {
    JFS_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, Create(key));
    JFS_RETURN_IF_ERROR(sink->Write(data));
    return sink->Close();
  }

  Result<std::unique_ptr<Sink>> Create(const std::string& key) override {
    std::string path = root_ + key;
    std::string dir = ParentDir(path);
    JFS_RETURN_IF_ERROR(EnsureDir(dir));
    std::string tmp = path + std::string(kTempMarker) + std::to_string(getpid()) + "-" +
                      std::to_string(counter_.fetch_add(1));
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("create", tmp);
    return std::unique_ptr<Sink>(
        new FileObjectSink(fd, std::move(tmp), std::move(path), std::move(dir)));
  }

  Result<std::string> Get(const std::string& key, uint64_t off, int64_t len) override {
    std::string path = root_ + key;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      return ErrnoStatus("stat", path);
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t end = len < 0 ? size : std::min(size, off + static_cast<uint64_t>(len));
    std::string out(end > off ? end - off : 0, '\0');
    if (!PReadFull(fd, out.data(), out.size(), off)) {
      Status s =
          errno == ENODATA ? Status::IOError("short read of " + path) : ErrnoStatus("read", path);
      close(fd);
      return s;
    }
    close(fd);
    return out;
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    std::string path = root_ + key;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path);
    if (S_ISDIR(st.st_mode)) return Status::NotFound(path + " is a directory");
    return ObjectInfo{key, static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec};
  }

  Result<ListPage> List(const std::string& prefix, const std::string& start_after,
                        size_t limit) override {
    ListPage page;
    // Start at the deepest directory every matching key lives in.
    std::string dir = prefix.substr(0, prefix.rfind('/') + 1);
    JFS_RETURN_IF_ERROR(Walk(dir, prefix, start_after, limit, &page));
    return page;
  }

  Status Delete(const std::string& key) override {
    std::string path = root_ + key;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("delete", path);
    return Status::OK();
  }

  std::string Describe() const override { return "file://" + root_; }

 private:
  // Creates dir (and its missing ancestors) so that it survives a power cut:
  // each one synced into its parent before anything is put in it. A
  // directory another thread is creating counts only once that thread has
  // synced it, so every Put waits for its own directory's durability.
  Status EnsureDir(const std::string& dir) {
    if (dir == "/" || dir == ".") return Status::OK();
    {
      std::lock_guard l(dirs_mu_);
      if (durable_dirs_.count(dir) != 0) return Status::OK();
    }
    std::string parent = ParentDir(dir);
    JFS_RETURN_IF_ERROR(EnsureDir(parent));
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", dir);
    // Whoever made it (us, another thread, an earlier process), its entry
    // is durable once its parent is synced.
    JFS_RETURN_IF_ERROR(SyncDir(parent));
    std::lock_guard l(dirs_mu_);
    durable_dirs_.insert(dir);
    return Status::OK();
  }

  // Lists dir (a key prefix ending in '/' or empty) in key order into page.
  Status Walk(const std::string& dir, const std::string& prefix, const std::string& after,
              size_t limit, ListPage* page) {
    std::string path = root_ + dir;
    DIR* d = opendir(path.c_str());
    if (d == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
      return ErrnoStatus("list", path);
    }
    std::vector<std::pair<std::string, bool>> entries;  // key, is_dir
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || name.find(kTempMarker) != std::string::npos) continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        is_dir = stat((path + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      entries.emplace_back(dir + name + (is_dir ? "/" : ""), is_dir);
    }
    closedir(d);
    std::sort(entries.begin(), entries.end());
    for (const auto& [key, is_dir] : entries) {
      bool compatible =
          key.compare(0, prefix.size(), prefix, 0, std::min(prefix.size(), key.size())) == 0;
      if (!compatible) continue;
      if (is_dir) {
        std::string end = PrefixEnd(key);
        if (!after.empty() && !end.empty() && after >= end) continue;
        JFS_RETURN_IF_ERROR(Walk(key, prefix, after, limit, page));
        if (page->truncated) return Status::OK();
        continue;
      }
      if (key.size() < prefix.size() || (!after.empty() && key <= after)) continue;
      if (page->objects.size() == limit) {
        page->truncated = true;
        return Status::OK();
      }
      auto info = Head(key);
      if (!info.ok()) {
        if (info.status().Is(Code::kNotFound)) continue;  // deleted meanwhile
        return info.status();
      }
      page->objects.push_back(*info);
    }
    return Status::OK();
  }

  std::string root_;  // ends with '/'
  std::atomic<uint64_t> counter_{0};
  std::mutex dirs_mu_;
  std::unordered_set<std::string> durable_dirs_;  // made durable by this process
};

}  // namespace

std::shared_ptr<ObjectStore> OpenLocalStore(const std::string& root) {
  return std::make_shared<LocalStore>(root);
}

}  // namespace jfsbr
