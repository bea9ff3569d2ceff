// A streaming (pull) JSON reader over a Source: memory is one buffer and the
// current token, whatever the document's size.
//
// The caller walks the structure: BeginObject / NextMember for objects,
// BeginArray / NextItem for arrays, String / Int / Uint for scalars, Skip for
// anything it does not need. Every error names the byte offset and what was
// expected there.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/io.h"
#include "util/json.h"

namespace jfsbr {

class JsonReader {
 public:
  explicit JsonReader(Source* src) : src_(src) { buf_.resize(64 << 10); }

  // what: the error's "expected ..." if no object starts here.
  Status BeginObject(std::string_view what = "'{'");
  // The next member's name, or false at the closing '}'.
  Result<bool> NextMember(std::string* name);
  Status BeginArray(std::string_view what = "'['");
  // True if another item follows, false at the closing ']'.
  Result<bool> NextItem();

  Result<std::string> String();
  // String() into *out, reusing its memory.
  Status StringInto(std::string* out);
  Result<int64_t> Int();
  Result<uint64_t> Uint();
  // True for null (consumed); false leaves the reader before the value.
  Result<bool> Null();
  Status Skip();
  // A whole value as a small DOM (for the setting and other small parts).
  Result<JsonValue> Value();
  // Succeeds only at the end of input (trailing whitespace allowed).
  Status End();

  uint64_t offset() const { return consumed_ + pos_; }
  Status Error(std::string_view expected) const;

 private:
  Result<int> Peek();  // next non-space byte, -1 at end of input
  Status Fill();
  Status Expect(char c, std::string_view what);
  static constexpr size_t kMaxNumber = 64;  // bytes of a number's text
  // The number's text, a view of the buffer valid until the next read.
  Result<std::string_view> NumberText();
  Result<JsonValue> ValueAt(int depth);

  Source* src_;
  std::string buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t consumed_ = 0;  // bytes before buf_
  bool eof_ = false;
  std::vector<bool> first_;  // per open container: no item read yet
};

// Matches the member names of one object to the fields a reader wants, by
// the rule JsonValue::Find follows (Go's): an exact name wins over an ASCII
// case-insensitive one, and of two equal matches the first wins. Lets a
// reader take members as they stream instead of building a DOM.
class JsonFields {
 public:
  static constexpr size_t kMax = 32;
  // names: at most kMax, alive as long as this.
  explicit JsonFields(std::span<const std::string_view> names) : names_(names) {}

  // The index of the field this member sets, or -1 if it sets none (the
  // caller skips its value).
  int Take(std::string_view name);
  bool Has(size_t field) const { return seen_[field] != 0; }

 private:
  std::span<const std::string_view> names_;
  uint8_t seen_[kMax] = {};  // 0 unseen, 1 matched ignoring case, 2 exactly
};

}  // namespace jfsbr
