// Result<T>: a value or the Status that explains why there is none.
//
// std::expected is C++23 (GCC 12 rejects it under -std=c++20), so this is the
// small subset we need. Accessing value() of an error Result is a programming
// error and asserts.
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "util/status.h"

namespace jfsbr {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace jfsbr

// Evaluates expr (a Result), returns its status from the enclosing function
// on error, else assigns (or declares) lhs from the value. Written as a GNU
// statement expression so that it nests inside other macros and lambdas.
#define JFS_ASSIGN_OR_RETURN(lhs, expr)                 \
  lhs = ({                                              \
    auto _jfs_result = (expr);                          \
    if (!_jfs_result.ok()) return _jfs_result.status(); \
    std::move(_jfs_result).value();                     \
  })
