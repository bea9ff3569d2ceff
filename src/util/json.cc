// A small JSON parser and Go-compatible quoting.
#include "util/json.h"

#include <charconv>
#include <cstring>

namespace jfsbr {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
size_t Utf8Len(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t n;
  uint32_t r = 0, min = 0;
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    r = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    r = c & 0x0F;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    r = c & 0x07;
    min = 0x10000;
  } else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b(k) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0;
  *rune = r;
  return n;
}

void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<JsonValue> Document() {
    JsonValue v;
    JFS_RETURN_IF_ERROR(Value(&v, 0));
    SkipSpace();
    if (pos_ != s_.size()) return Error("end of document");
    return v;
  }

 private:
  Status Error(std::string_view expected) const {
    return Status::Corruption("invalid JSON at byte " + std::to_string(pos_) + ": expected " +
                              std::string(expected));
  }
  void SkipSpace() {
    while (pos_ < s_.size() && strchr(" \t\r\n", s_[pos_]) != nullptr) pos_++;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      pos_++;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status Value(JsonValue* v, int depth) {
    if (depth > 64) return Error("less nesting");
    SkipSpace();
    if (pos_ >= s_.size()) return Error("a value");
    char c = s_[pos_];
    if (c == '{') return Object(v, depth);
    if (c == '[') return Array(v, depth);
    if (c == '"') {
      v->kind = JsonValue::Kind::kString;
      return String(&v->text);
    }
    if (Literal("null")) {
      v->kind = JsonValue::Kind::kNull;
      return Status::OK();
    }
    if (Literal("true")) {
      v->kind = JsonValue::Kind::kBool;
      v->boolean = true;
      return Status::OK();
    }
    if (Literal("false")) {
      v->kind = JsonValue::Kind::kBool;
      return Status::OK();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return Number(v);
    return Error("a value");
  }

  Status Number(JsonValue* v) {
    size_t start = pos_;
    while (pos_ < s_.size() && strchr("+-.eE0123456789", s_[pos_]) != nullptr) pos_++;
    v->kind = JsonValue::Kind::kNumber;
    v->text = std::string(s_.substr(start, pos_ - start));
    return Status::OK();
  }

  Status Object(JsonValue* v, int depth) {
    v->kind = JsonValue::Kind::kObject;
    pos_++;
    if (Eat('}')) return Status::OK();
    do {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("a member name");
      std::string name;
      JFS_RETURN_IF_ERROR(String(&name));
      if (!Eat(':')) return Error("':'");
      JsonValue member;
      JFS_RETURN_IF_ERROR(Value(&member, depth + 1));
      v->members.push_back(JsonMember{std::move(name), std::move(member)});
    } while (Eat(','));
    if (!Eat('}')) return Error("',' or '}'");
    return Status::OK();
  }

  Status Array(JsonValue* v, int depth) {
    v->kind = JsonValue::Kind::kArray;
    pos_++;
    if (Eat(']')) return Status::OK();
    do {
      v->items.emplace_back();
      JFS_RETURN_IF_ERROR(Value(&v->items.back(), depth + 1));
    } while (Eat(','));
    if (!Eat(']')) return Error("',' or ']'");
    return Status::OK();
  }

  Status String(std::string* out) {
    pos_++;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '"') {
        pos_++;
        return Status::OK();
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("no control character in string");
      if (c != '\\') {
        out->push_back(c);
        pos_++;
        continue;
      }
      size_t used = 0;
      if (!DecodeJsonEscape(s_.substr(pos_), out, &used)) return Error("a valid escape");
      pos_ += used;
    }
    return Error("closing quote");
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool Hex4(std::string_view s, uint32_t* out) {
  if (s.size() < 4) return false;
  auto r = std::from_chars(s.data(), s.data() + 4, *out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + 4;
}

}  // namespace

bool DecodeJsonEscape(std::string_view s, std::string* out, size_t* used) {
  if (s.size() < 2 || s[0] != '\\') return false;
  *used = 2;
  switch (s[1]) {
    case '"':
    case '\\':
    case '/':
      out->push_back(s[1]);
      return true;
    case 'b':
      out->push_back('\b');
      return true;
    case 'f':
      out->push_back('\f');
      return true;
    case 'n':
      out->push_back('\n');
      return true;
    case 'r':
      out->push_back('\r');
      return true;
    case 't':
      out->push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return false;
  }
  uint32_t r = 0;
  if (!Hex4(s.substr(2), &r)) return false;
  *used = 6;
  if (r >= 0xD800 && r < 0xDC00 && s.substr(6, 2) == "\\u") {
    uint32_t lo = 0;
    if (Hex4(s.substr(8), &lo) && lo >= 0xDC00 && lo < 0xE000) {
      r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
      *used = 12;
    } else {
      r = 0xFFFD;
    }
  } else if (r >= 0xD800 && r < 0xE000) {
    r = 0xFFFD;
  }
  AppendUtf8(out, r);
  return true;
}

void AppendGoQuoted(std::string* out, std::string_view s, GoJson flavor) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      i++;
      switch (c) {
        case '"':
          out->append("\\\"");
          continue;
        case '\\':
          out->append("\\\\");
          continue;
        case '\b':
          out->append(flavor == GoJson::kGoccy ? "\\u0008" : "\\b");
          continue;
        case '\f':
          out->append(flavor == GoJson::kGoccy ? "\\u000c" : "\\f");
          continue;
        case '\n':
          out->append("\\n");
          continue;
        case '\r':
          out->append("\\r");
          continue;
        case '\t':
          out->append("\\t");
          continue;
        default:
          break;
      }
      if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
      } else {
        out->push_back(static_cast<char>(c));
      }
      continue;
    }
    uint32_t rune;
    size_t n = Utf8Len(s, i, &rune);
    if (n == 0) {
      out->append("\\ufffd");
      i++;
    } else if (rune == 0x2028 || rune == 0x2029) {
      out->append(rune == 0x2028 ? "\\u2028" : "\\u2029");
      i += n;
    } else {
      out->append(s.substr(i, n));
      i += n;
    }
  }
  out->push_back('"');
}

bool EqualFoldAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

const JsonValue* JsonValue::Find(std::string_view name) const {
  for (const auto& [k, v] : members) {
    if (k == name) return &v;
  }
  for (const auto& [k, v] : members) {
    if (EqualFoldAscii(k, name)) return &v;
  }
  return nullptr;
}

namespace {

template <typename T>
Result<T> ParseInteger(const JsonValue& v, std::string_view what) {
  T out = 0;
  const std::string& t = v.text;
  auto r = std::from_chars(t.data(), t.data() + t.size(), out);
  if (v.kind != JsonValue::Kind::kNumber || r.ec != std::errc() || r.ptr != t.data() + t.size()) {
    return Status::Corruption("expected " + std::string(what) + ", got '" + t + "'");
  }
  return out;
}

}  // namespace

namespace {

Result<const JsonValue*> Member(const JsonValue& o, std::string_view name, JsonValue::Kind kind) {
  const JsonValue* f = o.Find(name);
  if (!f || f->kind != kind) {
    return Status::Corruption("no " +
                              std::string(kind == JsonValue::Kind::kString ? "string" : "number") +
                              " member \"" + std::string(name) + "\"");
  }
  return f;
}

}  // namespace

Result<std::string> StringMember(const JsonValue& o, std::string_view name) {
  JFS_ASSIGN_OR_RETURN(const JsonValue* f, Member(o, name, JsonValue::Kind::kString));
  return f->text;
}

Result<uint64_t> UintMember(const JsonValue& o, std::string_view name) {
  JFS_ASSIGN_OR_RETURN(const JsonValue* f, Member(o, name, JsonValue::Kind::kNumber));
  return f->AsUint();
}

Result<int64_t> IntMember(const JsonValue& o, std::string_view name) {
  JFS_ASSIGN_OR_RETURN(const JsonValue* f, Member(o, name, JsonValue::Kind::kNumber));
  return f->AsInt();
}

Result<int64_t> JsonValue::AsInt() const { return ParseInteger<int64_t>(*this, "an integer"); }
Result<uint64_t> JsonValue::AsUint() const {
  return ParseInteger<uint64_t>(*this, "an unsigned integer");
}

Result<JsonValue> ParseJson(std::string_view text) { return Parser(text).Document(); }

}  // namespace jfsbr
