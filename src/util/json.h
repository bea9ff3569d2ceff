// Minimal JSON support: Go-compatible string quoting and a small DOM parser.
//
// The quoting reproduces Go's encoding/json with HTML escaping on, byte for
// byte, because JuiceFS stores the volume `setting` that way. The parser is
// for small documents (the setting); streaming dumps use their own reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace jfsbr {

// Go's two JSON encoders in JuiceFS differ in one thing: encoding/json (the
// stored setting; Go >= 1.22) writes backspace and form feed as \b and \f,
// goccy/go-json (the dump header) as \u0008 and \u000c.
enum class GoJson { kEncodingJson, kGoccy };

// Appends s as a quoted JSON string the way Go's encoders do: `<`, `>`, `&`,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by \ufffd.
void AppendGoQuoted(std::string* out, std::string_view s, GoJson flavor = GoJson::kEncodingJson);

// Emits one JSON object in Go's MarshalIndent layout.
class GoObjectWriter {
 public:
  GoObjectWriter(std::string* out, std::string_view indent, int depth,
                 GoJson flavor = GoJson::kEncodingJson)
      : out_(out), indent_(indent), depth_(depth), flavor_(flavor) {
    out_->push_back('{');
  }

  void Key(std::string_view name) {
    out_->append(first_ ? "" : ",");
    first_ = false;
    Newline(depth_ + 1);
    AppendGoQuoted(out_, name, flavor_);
    out_->append(": ");
  }
  void String(std::string_view name, std::string_view v) {
    Key(name);
    AppendGoQuoted(out_, v, flavor_);
  }
  void Int(std::string_view name, int64_t v) {
    Key(name);
    out_->append(std::to_string(v));
  }
  void Uint(std::string_view name, uint64_t v) {
    Key(name);
    out_->append(std::to_string(v));
  }
  void Bool(std::string_view name, bool v) {
    Key(name);
    out_->append(v ? "true" : "false");
  }
  // name: [{...}, ...], one object per item; fill(i, writer) writes item i's members.
  template <typename Fill>
  void ObjectArray(std::string_view name, size_t n, Fill&& fill) {
    Key(name);
    out_->push_back('[');
    for (size_t i = 0; i < n; i++) {
      if (i) out_->push_back(',');
      Newline(depth_ + 2);
      GoObjectWriter item(out_, indent_, depth_ + 2, flavor_);
      fill(i, item);
      item.End();
    }
    Newline(depth_ + 1);
    out_->push_back(']');
  }
  void End() {
    if (!first_) Newline(depth_);
    out_->push_back('}');
  }
  int depth() const { return depth_; }

 private:
  void Newline(int depth) {
    out_->push_back('\n');
    for (int i = 0; i < depth; i++) out_->append(indent_);
  }

  std::string* out_;
  std::string_view indent_;
  int depth_;
  GoJson flavor_;
  bool first_ = true;
};

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // string contents, or the number's literal text
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // in document order

  // Member by name: exact match first, then ASCII case-insensitive (as Go).
  const JsonValue* Find(std::string_view name) const;
  Result<int64_t> AsInt() const;
  Result<uint64_t> AsUint() const;
};

struct JsonMember {
  std::string name;
  JsonValue value;
};

// ASCII case-insensitive equality: how Go matches a member name to a field
// when no name matches exactly.
bool EqualFoldAscii(std::string_view a, std::string_view b);

// Required members of an object: kCorruption naming a missing or mistyped one.
Result<std::string> StringMember(const JsonValue& object, std::string_view name);
Result<uint64_t> UintMember(const JsonValue& object, std::string_view name);
Result<int64_t> IntMember(const JsonValue& object, std::string_view name);

// Decodes the escape sequence at the start of s (which begins with '\\'),
// appending its UTF-8 bytes to out and setting *used to the bytes consumed.
// A \uD800-\uDBFF followed by a low surrogate makes one code point; a lone
// surrogate becomes U+FFFD, as in Go. False if the sequence is invalid.
bool DecodeJsonEscape(std::string_view s, std::string* out, size_t* used);

// Parses one complete JSON document. Errors name the byte offset.
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace jfsbr
