#include "model/block.h"

#include <algorithm>
#include <cstdio>

namespace jfsbr {

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
