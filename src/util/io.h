// Byte streams: Sink (write) and Source (read), and the file-backed ones.
//
// A file Sink writes "<path>.tmp" and renames it to <path> only when Close
// succeeds, so a failed or interrupted dump never leaves a file that looks
// complete; Close returns once the file and its name are on stable storage
// (fsync of the file, then of its directory). "-" (or an empty path) means
// stdout / stdin.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace jfsbr {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Write(std::string_view data) = 0;
  // Flushes and commits; nothing may be written after.
  virtual Status Close() = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads up to n bytes; 0 means end of stream.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

Result<std::unique_ptr<Sink>> OpenFileSink(const std::string& path);
Result<std::unique_ptr<Source>> OpenFileSource(const std::string& path);

// A temporary file in dir ("": $TMPDIR or /tmp) with no name (O_TMPFILE, or
// a name unlinked at once where the file system lacks it): gone when
// closed. Its descriptor.
Result<int> OpenUnnamedTempFile(const std::string& dir);

// fsync of a directory: the creates, renames and unlinks in it are durable.
Status SyncDir(const std::string& dir);
// The directory holding path ("." for a bare name).
std::string ParentDir(const std::string& path);

// pread/pwrite of all n bytes at offset, retrying interrupted and short
// transfers. false with errno set on failure (ENODATA: the file ended first).
bool PReadFull(int fd, char* buf, size_t n, uint64_t offset);
bool PWriteFull(int fd, const char* buf, size_t n, uint64_t offset);

// A sink that appends to a string (tests) and a source over a string.
std::unique_ptr<Sink> StringSink(std::string* out);
std::unique_ptr<Source> StringSource(std::string data);

// Buffers small writes into large ones (64 KiB) before passing them on.
class BufferedSink final : public Sink {
 public:
  explicit BufferedSink(Sink* base, size_t capacity = 64 << 10) : base_(base), cap_(capacity) {
    buf_.reserve(cap_);
  }
  Status Write(std::string_view data) override {
    if (buf_.size() + data.size() > cap_) JFS_RETURN_IF_ERROR(Flush());
    if (data.size() >= cap_) return base_->Write(data);
    buf_.append(data);
    return Status::OK();
  }
  Status Flush() {
    if (buf_.empty()) return Status::OK();
    Status st = base_->Write(buf_);
    buf_.clear();
    return st;
  }
  Status Close() override {
    JFS_RETURN_IF_ERROR(Flush());
    return base_->Close();
  }

 private:
  Sink* base_;
  size_t cap_;
  std::string buf_;
};

}  // namespace jfsbr
