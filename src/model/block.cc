// Block object names: building and parsing them as JuiceFS does.
#include "model/block.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace jfsbr {
namespace {

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<BlockName> ParseBlockName(std::string_view key) {
  constexpr std::string_view kChunks = "chunks/";
  if (key.substr(0, kChunks.size()) != kChunks) return std::nullopt;
  key.remove_prefix(kChunks.size());
  size_t a = key.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = key.find('/', a + 1);
  if (b == std::string_view::npos || key.find('/', b + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view base = key.substr(b + 1);
  size_t u1 = base.find('_');
  size_t u2 = u1 == std::string_view::npos ? u1 : base.find('_', u1 + 1);
  if (u2 == std::string_view::npos) return std::nullopt;
  BlockName n;
  if (!ParseNumber(base.substr(0, u1), &n.id) ||
      !ParseNumber(base.substr(u1 + 1, u2 - u1 - 1), &n.index) ||
      !ParseNumber(base.substr(u2 + 1), &n.len)) {
    return std::nullopt;
  }
  return n;
}

std::string BlockKey(uint64_t id, uint32_t index, uint32_t block_len, bool hash_prefix) {
  char buf[128];
  if (hash_prefix) {
    snprintf(buf, sizeof(buf), "chunks/%02X/%llu/%llu_%u_%u", static_cast<unsigned>(id % 256),
             static_cast<unsigned long long>(id / 1000000), static_cast<unsigned long long>(id),
             index, block_len);
  } else {
    snprintf(buf, sizeof(buf), "chunks/%llu/%llu/%llu_%u_%u",
             static_cast<unsigned long long>(id / 1000000),
             static_cast<unsigned long long>(id / 1000), static_cast<unsigned long long>(id), index,
             block_len);
  }
  return buf;
}

std::vector<std::string> ChunkListingBoundaries(bool hash_prefix) {
  std::vector<std::string> b;
  char buf[32];
  if (hash_prefix) {
    for (int h = 0; h < 256; h++) {
      snprintf(buf, sizeof(buf), "chunks/%02X", h);
      b.push_back(buf);
    }
  } else {  // chunks/{id/10^6}/{id/10^3}/
    for (int d = 0; d < 10; d++) {
      std::string top = "chunks/" + std::to_string(d);
      b.push_back(top);
      for (int e = 1; e < 10; e++) b.push_back(top + "/" + std::to_string(e));
    }
  }
  std::sort(b.begin(), b.end());
  return b;
}

}  // namespace jfsbr
