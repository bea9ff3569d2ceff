// Status: codes, messages, errno.
#include "util/status.h"

#include <cerrno>
#include <cstring>

namespace jfsbr {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "not found";
    case Code::kExists:
      return "already exists";
    case Code::kNotEmpty:
      return "not empty";
    case Code::kNotDirectory:
      return "not a directory";
    case Code::kIsDirectory:
      return "is a directory";
    case Code::kNameTooLong:
      return "name too long";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kPermission:
      return "permission denied";
    case Code::kConflict:
      return "conflict";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "I/O error";
    case Code::kNotSupported:
      return "not supported";
    case Code::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(CodeName(code_));
  if (!msg_.empty()) s += ": " + msg_;
  return s;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + msg_);
}

Status ErrnoStatus(std::string_view what, const std::string& path) {
  int e = errno;
  std::string msg = std::string(what) + " " + path + ": " + strerror(e);
  return e == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
}

}  // namespace jfsbr
