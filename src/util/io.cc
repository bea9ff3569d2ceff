#include "util/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jfsbr {
namespace {

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
    if (fsync(fd) != 0 || close(fd) != 0) {
      Status st = ErrnoStatus("flush", tmp_);
      unlink(tmp_.c_str());
      return st;
    }
    if (rename(tmp_.c_str(), path_.c_str()) != 0) {
      Status st = ErrnoStatus("rename to " + path_, tmp_);
      unlink(tmp_.c_str());
      return st;
    }
    return Status::OK();
  }

 private:
  int fd_;
  std::string path_, tmp_;
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
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

std::unique_ptr<Sink> StringSink(std::string* out) { return std::make_unique<StrSink>(out); }
std::unique_ptr<Source> StringSource(std::string data) {
  return std::make_unique<StrSource>(std::move(data));
}

}  // namespace jfsbr
