// A streaming (pull) JSON reader over a Source: memory is one buffer and the
// current token, whatever the document's size.
//
// The caller walks the structure: BeginObject / NextMember for objects,
// BeginArray / NextItem for arrays, String / Int / Uint for scalars, Skip for
// anything it does not need. Every error names the byte offset and what was
// expected there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/io.h"
#include "util/json.h"

namespace jfsbr {

class JsonReader {
 public:
  explicit JsonReader(Source* src) : src_(src) { buf_.resize(64 << 10); }

  Status BeginObject();
  // The next member's name, or false at the closing '}'.
  Result<bool> NextMember(std::string* name);
  Status BeginArray();
  // True if another item follows, false at the closing ']'.
  Result<bool> NextItem();

  Result<std::string> String();
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
  Result<std::string> Number();
  Result<JsonValue> ValueAt(int depth);

  Source* src_;
  std::string buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t consumed_ = 0;  // bytes before buf_
  bool eof_ = false;
  std::vector<bool> first_;  // per open container: no item read yet
};

}  // namespace jfsbr
