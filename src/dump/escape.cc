// JuiceFS's escaping of names, symlink targets and xattr values in JSON dumps.
#include "dump/escape.h"

#include <cstdint>

namespace jfsbr {
namespace {

// Length of the UTF-8 sequence at s[i], or 0 where Go would decode RuneError
// (an invalid sequence, or U+FFFD itself).
size_t ValidRuneLen(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t n;
  uint32_t r, min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0)
    n = 2, r = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    n = 3, r = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    n = 4, r = c & 0x07, min = 0x10000;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b(k) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFD) return 0;
  return n;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendEscaped(&out, s);
  return out;
}

void AppendEscaped(std::string* out_str, std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string& out = *out_str;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = ValidRuneLen(s, i);
    if (n == 0 || c <= 0x20 || c == '%' || c == '"' || c == '\\') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      // An invalid byte advances one; a U+FFFD advances over all three.
      i += (n == 0 && s.substr(i, 3) == "\xEF\xBF\xBD") ? 3 : (n == 0 ? 1 : n);
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = HexValue(s[i + 1]), l = HexValue(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace jfsbr
