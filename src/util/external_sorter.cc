// RunFile: the unnamed temporary file behind an ExternalSorter.
#include "util/external_sorter.h"

#include <unistd.h>

#include <cstdlib>

#include "util/io.h"

namespace jfsbr {

RunFile::RunFile(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    const char* tmp = getenv("TMPDIR");
    dir_ = tmp && *tmp ? tmp : "/tmp";
  }
}

RunFile::~RunFile() {
  if (fd_ >= 0) close(fd_);
}

Result<uint64_t> RunFile::Append(const void* data, size_t bytes) {
  // Opened on the first spill: a set that fits in memory makes no file.
  if (fd_ < 0) JFS_ASSIGN_OR_RETURN(fd_, OpenUnnamedTempFile(dir_));
  if (!PWriteFull(fd_, static_cast<const char*>(data), bytes, end_)) {
    return ErrnoStatus("write", dir_ + " (temporary sort file)");
  }
  uint64_t at = end_;
  end_ += bytes;
  return at;
}

Status RunFile::Read(uint64_t offset, void* out, size_t bytes) const {
  if (!PReadFull(fd_, static_cast<char*>(out), bytes, offset)) {
    return ErrnoStatus("read", dir_ + " (temporary sort file)");
  }
  return Status::OK();
}

}  // namespace jfsbr
