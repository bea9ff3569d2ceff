// CRC-32 (zlib's polynomial), continued over several pieces: Crc32(0, a)
// then Crc32(that, b) equals Crc32(0, a + b).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string_view>

namespace jfsbr {

inline uint32_t Crc32(uint32_t crc, std::string_view data) {
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

}  // namespace jfsbr
