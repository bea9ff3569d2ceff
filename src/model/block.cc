#include "model/block.h"

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

}  // namespace jfsbr
