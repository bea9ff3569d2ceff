// Parsing RESP commands (see resp.h).
#include "redis/resp.h"

#include <cctype>

namespace jfsbr {
namespace {

// A decimal after its type byte up to CRLF at buf[at]; false if incomplete.
Result<bool> Number(std::string_view buf, size_t* at, int64_t* out) {
  size_t eol = buf.find("\r\n", *at);
  if (eol == std::string_view::npos) return false;
  std::string_view digits = buf.substr(*at, eol - *at);
  if (digits.empty() || digits.size() > 18) return Status::Corruption("redis stream: bad length");
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return Status::Corruption("redis stream: bad length");
    v = v * 10 + (c - '0');
  }
  *out = v;
  *at = eol + 2;
  return true;
}

}  // namespace

Result<size_t> ParseRespCommand(std::string_view buf, std::vector<std::string_view>* args) {
  args->clear();
  if (buf.empty()) return size_t{0};
  if (buf[0] != '*') return Status::Corruption("redis stream: a command that is not an array");
  size_t at = 1;
  int64_t n;
  JFS_ASSIGN_OR_RETURN(bool whole, Number(buf, &at, &n));
  if (!whole) return size_t{0};
  for (int64_t i = 0; i < n; i++) {
    if (at >= buf.size()) return size_t{0};
    if (buf[at] != '$') return Status::Corruption("redis stream: an argument that is not a string");
    at++;
    int64_t len;
    JFS_ASSIGN_OR_RETURN(whole, Number(buf, &at, &len));
    if (!whole || at + static_cast<size_t>(len) + 2 > buf.size()) return size_t{0};
    args->push_back(buf.substr(at, static_cast<size_t>(len)));
    at += static_cast<size_t>(len) + 2;
  }
  return at;
}

std::string CommandName(std::string_view arg0) {
  std::string s(arg0);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace jfsbr
