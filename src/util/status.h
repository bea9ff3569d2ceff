// Status: the outcome of an operation that returns no value.
//
// A small fixed set of codes, a message for people, and no exceptions. The
// filesystem-flavoured codes (kNotFound, kExists, kNotEmpty, ...) map one to one
// onto the errno values a POSIX user would expect. kConflict means an optimistic
// transaction lost a race and may be retried; kUnavailable is a retryable
// transport failure.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace jfsbr {

enum class Code {
  kOk = 0,
  kNotFound,
  kExists,
  kNotEmpty,
  kNotDirectory,
  kIsDirectory,
  kNameTooLong,
  kInvalidArgument,
  kPermission,
  kConflict,
  kCorruption,
  kIOError,
  kNotSupported,
  kUnavailable,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string msg) : code_(code), msg_(std::move(msg)) {}

  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Exists(std::string m) { return {Code::kExists, std::move(m)}; }
  static Status NotEmpty(std::string m) { return {Code::kNotEmpty, std::move(m)}; }
  static Status NotDirectory(std::string m) { return {Code::kNotDirectory, std::move(m)}; }
  static Status IsDirectory(std::string m) { return {Code::kIsDirectory, std::move(m)}; }
  static Status NameTooLong(std::string m) { return {Code::kNameTooLong, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Permission(std::string m) { return {Code::kPermission, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status NotSupported(std::string m) { return {Code::kNotSupported, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  bool Is(Code c) const { return code_ == c; }

  // "<code name>: <message>", or "OK".
  std::string ToString() const;
  // The same status with "context: " put before the message.
  Status Annotate(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string msg_;
};

std::string_view CodeName(Code code);

// "<what> <path>: <strerror(errno)>" as kNotFound for ENOENT, else kIOError.
// Call right after the failing system call, before errno can change.
Status ErrnoStatus(std::string_view what, const std::string& path);

}  // namespace jfsbr

#define JFS_RETURN_IF_ERROR(expr) \
  do {                            \
    ::jfsbr::Status _st = (expr); \
    if (!_st.ok()) return _st;    \
  } while (0)
