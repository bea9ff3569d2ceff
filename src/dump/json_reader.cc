// A pull parser for JSON dumps: one token at a time, bounded memory.
#include "dump/json_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace jfsbr {

Status JsonReader::Error(std::string_view expected) const {
  return Status::Corruption("JSON at byte " + std::to_string(offset()) + ": expected " +
                            std::string(expected));
}

Status JsonReader::Fill() {
  if (eof_) return Status::OK();
  consumed_ += pos_;
  memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
  len_ -= pos_;
  pos_ = 0;
  JFS_ASSIGN_OR_RETURN(size_t n, src_->Read(buf_.data() + len_, buf_.size() - len_));
  if (n == 0) eof_ = true;
  len_ += n;
  return Status::OK();
}

Result<int> JsonReader::Peek() {
  while (true) {
    while (pos_ < len_) {
      char c = buf_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return static_cast<unsigned char>(c);
      pos_++;
    }
    if (eof_) return -1;
    JFS_RETURN_IF_ERROR(Fill());
  }
}

Status JsonReader::Expect(char c, std::string_view what) {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p != c) return Error(what);
  pos_++;
  return Status::OK();
}

Status JsonReader::BeginObject(std::string_view what) {
  JFS_RETURN_IF_ERROR(Expect('{', what));
  first_.push_back(true);
  return Status::OK();
}

Status JsonReader::BeginArray(std::string_view what) {
  JFS_RETURN_IF_ERROR(Expect('[', what));
  first_.push_back(true);
  return Status::OK();
}

Result<bool> JsonReader::NextMember(std::string* name) {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p == '}') {
    pos_++;
    first_.pop_back();
    return false;
  }
  if (!first_.back()) {
    if (p != ',') return Error("',' or '}'");
    pos_++;
  }
  first_.back() = false;
  JFS_RETURN_IF_ERROR(StringInto(name));
  JFS_RETURN_IF_ERROR(Expect(':', "':' after a member name"));
  return true;
}

Result<bool> JsonReader::NextItem() {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p == ']') {
    pos_++;
    first_.pop_back();
    return false;
  }
  if (!first_.back()) {
    if (p != ',') return Error("',' or ']'");
    pos_++;
  }
  first_.back() = false;
  return true;
}

Result<std::string> JsonReader::String() {
  std::string out;
  JFS_RETURN_IF_ERROR(StringInto(&out));
  return out;
}

Status JsonReader::StringInto(std::string* out) {
  JFS_RETURN_IF_ERROR(Expect('"', "a string"));
  out->clear();
  while (true) {
    if (pos_ >= len_) {
      JFS_RETURN_IF_ERROR(Fill());
      if (pos_ >= len_) return Error("the end of a string");
    }
    // Copy a run of plain bytes at once.
    const char* start = buf_.data() + pos_;
    const char* stop = start;
    const char* end = buf_.data() + len_;
    while (stop < end && *stop != '"' && *stop != '\\' &&
           static_cast<unsigned char>(*stop) >= 0x20) {
      stop++;
    }
    out->append(start, stop);
    pos_ += static_cast<size_t>(stop - start);
    if (stop == end) continue;
    char c = *stop;
    if (c == '"') {
      pos_++;
      return Status::OK();
    }
    if (c != '\\') return Error("no control character inside a string");
    // An escape: make sure the whole sequence is buffered (at most 12 bytes).
    if (len_ - pos_ < 12 && !eof_) JFS_RETURN_IF_ERROR(Fill());
    std::string_view rest(buf_.data() + pos_, len_ - pos_);
    size_t used = 0;
    if (!DecodeJsonEscape(rest, out, &used)) return Error("a valid escape sequence");
    pos_ += used;
  }
}

Result<std::string_view> JsonReader::NumberText() {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p != '-' && (p < '0' || p > '9')) return Error("a number");
  // Buffer the longest number allowed and one byte more, then scan in place.
  while (len_ - pos_ <= kMaxNumber && !eof_) JFS_RETURN_IF_ERROR(Fill());
  const char* start = buf_.data() + pos_;
  const char* stop = start;
  const char* end = buf_.data() + std::min(len_, pos_ + kMaxNumber + 1);
  while (stop < end && ((*stop >= '0' && *stop <= '9') || *stop == '-' || *stop == '+' ||
                        *stop == '.' || *stop == 'e' || *stop == 'E')) {
    stop++;
  }
  if (stop - start > static_cast<ptrdiff_t>(kMaxNumber)) return Error("a shorter number");
  pos_ += static_cast<size_t>(stop - start);
  return std::string_view(start, static_cast<size_t>(stop - start));
}

Result<int64_t> JsonReader::Int() {
  uint64_t at = offset();
  JFS_ASSIGN_OR_RETURN(std::string_view t, NumberText());
  int64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
    return Status::Corruption("JSON at byte " + std::to_string(at) + ": expected an integer");
  }
  return v;
}

Result<uint64_t> JsonReader::Uint() {
  uint64_t at = offset();
  JFS_ASSIGN_OR_RETURN(std::string_view t, NumberText());
  uint64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
    return Status::Corruption("JSON at byte " + std::to_string(at) +
                              ": expected a non-negative integer");
  }
  return v;
}

Result<bool> JsonReader::Null() {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p != 'n') return false;
  JFS_RETURN_IF_ERROR(Skip());
  return true;
}

Result<JsonValue> JsonReader::Value() { return ValueAt(0); }

Result<JsonValue> JsonReader::ValueAt(int depth) {
  if (depth > 64) return Error("less nesting");
  JsonValue v;
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p == '{') {
    v.kind = JsonValue::Kind::kObject;
    JFS_RETURN_IF_ERROR(BeginObject());
    std::string name;
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool more, NextMember(&name));
      if (!more) break;
      JFS_ASSIGN_OR_RETURN(JsonValue m, ValueAt(depth + 1));
      v.members.push_back(JsonMember{std::move(name), std::move(m)});
    }
  } else if (p == '[') {
    v.kind = JsonValue::Kind::kArray;
    JFS_RETURN_IF_ERROR(BeginArray());
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool more, NextItem());
      if (!more) break;
      JFS_ASSIGN_OR_RETURN(JsonValue item, ValueAt(depth + 1));
      v.items.push_back(std::move(item));
    }
  } else if (p == '"') {
    v.kind = JsonValue::Kind::kString;
    JFS_ASSIGN_OR_RETURN(v.text, String());
  } else if (p == '-' || (p >= '0' && p <= '9')) {
    v.kind = JsonValue::Kind::kNumber;
    JFS_ASSIGN_OR_RETURN(std::string_view text, NumberText());
    v.text = text;
  } else if (p == 't' || p == 'f' || p == 'n') {
    // Literals are short: make sure they are buffered whole.
    if (len_ - pos_ < 5 && !eof_) JFS_RETURN_IF_ERROR(Fill());
    std::string_view rest(buf_.data() + pos_, len_ - pos_);
    for (std::string_view lit : {"true", "false", "null"}) {
      if (rest.substr(0, lit.size()) == lit) {
        pos_ += lit.size();
        v.kind = lit == "null" ? JsonValue::Kind::kNull : JsonValue::Kind::kBool;
        v.boolean = lit == "true";
        return v;
      }
    }
    return Error("true, false or null");
  } else {
    return Error("a value");
  }
  return v;
}

// Skips a value without building it: containers are walked, scalars read and
// dropped, so skipping a huge unknown section takes no memory.
Status JsonReader::Skip() {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p == '{' || p == '[') {
    bool object = p == '{';
    JFS_RETURN_IF_ERROR(object ? BeginObject() : BeginArray());
    if (first_.size() > 64) return Error("less nesting");
    std::string name;
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool more, object ? NextMember(&name) : NextItem());
      if (!more) return Status::OK();
      JFS_RETURN_IF_ERROR(Skip());
    }
  }
  return ValueAt(0).status();  // a scalar
}

Status JsonReader::End() {
  JFS_ASSIGN_OR_RETURN(int p, Peek());
  if (p != -1) return Error("the end of the input");
  return Status::OK();
}

int JsonFields::Take(std::string_view name) {
  for (size_t i = 0; i < names_.size() && i < kMax; i++) {
    if (name.size() != names_[i].size()) continue;
    uint8_t match = name == names_[i] ? 2 : EqualFoldAscii(name, names_[i]) ? 1 : 0;
    if (match == 0) continue;
    // Names differ ignoring case, so no other field can match this member.
    if (match <= seen_[i]) return -1;
    seen_[i] = match;
    return static_cast<int>(i);
  }
  return -1;
}

}  // namespace jfsbr
