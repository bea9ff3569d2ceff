// Files as Sink and Source: temporary names, renames, O_DIRECT writes.
#include "util/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>

namespace jfsbr {
namespace {

// Makes tmp (written through fd) the file path: fsync, close, rename, fsync
// of the directory. On any failure tmp is removed. fd is closed either way.
Status CommitTempFile(int fd, const std::string& tmp, const std::string& path) {
  Status st;
  if (fsync(fd) != 0) st = ErrnoStatus("flush", tmp);
  if (close(fd) != 0 && st.ok()) st = ErrnoStatus("flush", tmp);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = ErrnoStatus("rename to " + path, tmp);
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  return SyncDir(ParentDir(path));
}

class FdSink final : public Sink {
 public:
  // tmp empty: writes to fd directly (stdout).
  FdSink(int fd, std::string path, std::string tmp)
      : fd_(fd), path_(std::move(path)), tmp_(std::move(tmp)) {}
  ~FdSink() override {
    if (fd_ >= 0 && !tmp_.empty()) {  // never closed: discard the partial file
      close(fd_);
      unlink(tmp_.c_str());
    }
  }
  Status Write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("write", tmp_.empty() ? path_ : tmp_);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }
  Status Close() override {
    if (tmp_.empty()) return Status::OK();
    int fd = fd_;
    fd_ = -1;
    return CommitTempFile(fd, tmp_, path_);
  }

 private:
  int fd_;
  std::string path_, tmp_;
};

// A new regular file written with O_DIRECT: whole aligned blocks go from
// our buffers to the device, without the copy into the page cache, which on
// this kind of machine costs more CPU than rendering a dump does (measured:
// 0.7-1.1 s of kernel time for a 353 MB dump). One buffer fills while the
// other is being written. Like FdSink: FILE.tmp, fsync, rename at Close.
class DirectSink final : public Sink {
 public:
  static constexpr size_t kBuffer = 2 << 20, kAlign = 4096;

  DirectSink(int fd, std::string path, std::string tmp)
      : fd_(fd), path_(std::move(path)), tmp_(std::move(tmp)) {
    for (auto& b : bufs_) b = static_cast<char*>(std::aligned_alloc(kAlign, kBuffer));
  }
  ~DirectSink() override {
    if (pending_.valid()) pending_.wait();
    for (char* b : bufs_) std::free(b);
    if (fd_ >= 0) {  // never closed: discard the partial file
      close(fd_);
      unlink(tmp_.c_str());
    }
  }
  bool ok() const { return bufs_[0] && bufs_[1]; }

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      size_t n = std::min(data.size(), kBuffer - used_);
      memcpy(bufs_[cur_] + used_, data.data(), n);
      used_ += n;
      data.remove_prefix(n);
      if (used_ == kBuffer) JFS_RETURN_IF_ERROR(Submit(kBuffer));
    }
    return Status::OK();
  }

  Status Close() override {
    // The tail, zero-padded to a whole block, then cut back to its size.
    size_t size = used_;
    size_t padded = (size + kAlign - 1) / kAlign * kAlign;
    memset(bufs_[cur_] + size, 0, padded - size);
    Status st = Submit(padded);
    if (st.ok()) st = Wait();
    off_t length = static_cast<off_t>(offset_ - padded + size);
    int fd = fd_;
    fd_ = -1;
    if (st.ok() && ftruncate(fd, length) != 0) st = ErrnoStatus("flush", tmp_);
    if (st.ok()) return CommitTempFile(fd, tmp_, path_);
    close(fd);
    unlink(tmp_.c_str());
    return st;
  }

 private:
  Status Wait() { return pending_.valid() ? pending_.get() : Status::OK(); }

  // Hands the current buffer's first n bytes to a writer thread once the
  // previous one is written, and goes on with the other buffer.
  Status Submit(size_t n) {
    JFS_RETURN_IF_ERROR(Wait());
    pending_ = std::async(std::launch::async, [this, buf = bufs_[cur_], n, at = offset_] {
      return WriteAt(buf, n, at);
    });
    offset_ += n;
    cur_ ^= 1;
    used_ = 0;
    return Status::OK();
  }

  Status WriteAt(const char* buf, size_t n, uint64_t at) {
    if (PWriteFull(fd_, buf, n, at)) return Status::OK();
    if (errno == EINVAL && !buffered_) {  // no direct I/O here after all: again, buffered
      buffered_ = true;
      fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) & ~O_DIRECT);
      if (PWriteFull(fd_, buf, n, at)) return Status::OK();
    }
    return ErrnoStatus("write", tmp_);
  }

  int fd_;
  std::string path_, tmp_;
  char* bufs_[2] = {nullptr, nullptr};
  int cur_ = 0;
  size_t used_ = 0;
  uint64_t offset_ = 0;  // where the next buffer goes
  bool buffered_ = false;
  std::future<Status> pending_;
};

class FdSource final : public Source {
 public:
  FdSource(int fd, std::string path, bool owned) : fd_(fd), path_(std::move(path)), owned_(owned) {}
  ~FdSource() override {
    if (owned_) close(fd_);
  }
  Result<size_t> Read(char* buf, size_t n) override {
    while (true) {
      ssize_t r = read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus("read", path_);
      return static_cast<size_t>(r);
    }
  }

 private:
  int fd_;
  std::string path_;
  bool owned_;
};

class StrSink final : public Sink {
 public:
  explicit StrSink(std::string* out) : out_(out) {}
  Status Write(std::string_view data) override {
    out_->append(data);
    return Status::OK();
  }
  Status Close() override { return Status::OK(); }

 private:
  std::string* out_;
};

class StrSource final : public Source {
 public:
  explicit StrSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::unique_ptr<Sink>> OpenFileSink(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<Sink>(new FdSink(STDOUT_FILENO, "stdout", ""));
  }
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
  if (fd >= 0) {
    auto direct = std::make_unique<DirectSink>(fd, path, tmp);
    if (direct->ok()) return std::unique_ptr<Sink>(std::move(direct));
    return Status::IOError("out of memory for the write buffers of " + tmp);
  }
  // Not a regular file on a file system with direct I/O (a pipe, tmpfs).
  fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  return std::unique_ptr<Sink>(new FdSink(fd, path, tmp));
}

Result<std::unique_ptr<Source>> OpenFileSource(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<Source>(new FdSource(STDIN_FILENO, "stdin", false));
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  return std::unique_ptr<Source>(new FdSource(fd, path, true));
}

Result<int> OpenUnnamedTempFile(const std::string& where) {
  const char* tmp = getenv("TMPDIR");
  const std::string dir = !where.empty() ? where : tmp && *tmp ? tmp : "/tmp";
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = dir + "/jfsbr-spill-XXXXXX";
    fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) unlink(name.c_str());
  }
  if (fd < 0) return ErrnoStatus("cannot create a temporary file in", dir);
  return fd;
}

Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", dir);
  Status st;
  if (fsync(fd) != 0) st = ErrnoStatus("flush directory", dir);
  close(fd);
  return st;
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool PReadFull(int fd, char* buf, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t r = pread(fd, buf, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = ENODATA;  // the file ended first
      return false;
    }
    buf += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return true;
}

bool PWriteFull(int fd, const char* buf, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t w = pwrite(fd, buf, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    buf += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

std::unique_ptr<Sink> StringSink(std::string* out) { return std::make_unique<StrSink>(out); }
std::unique_ptr<Source> StringSource(std::string data) {
  return std::make_unique<StrSource>(std::move(data));
}

}  // namespace jfsbr
