// Fixed-width integer encoding in both byte orders.
//
// JuiceFS's TKV schema mixes them: inode numbers inside keys and counters
// written through incrBy are little-endian, everything else is big-endian.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace jfsbr {

inline void PutBE16(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v >> 8));
  dst->push_back(static_cast<char>(v));
}
inline void PutBE32(std::string* dst, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) dst->push_back(static_cast<char>(v >> s));
}
inline void PutBE64(std::string* dst, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) dst->push_back(static_cast<char>(v >> s));
}
inline void PutLE16(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v));
  dst->push_back(static_cast<char>(v >> 8));
}
inline void PutLE32(std::string* dst, uint32_t v) {
  for (int s = 0; s < 32; s += 8) dst->push_back(static_cast<char>(v >> s));
}
inline void PutLE64(std::string* dst, uint64_t v) {
  for (int s = 0; s < 64; s += 8) dst->push_back(static_cast<char>(v >> s));
}

inline uint16_t GetBE16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t GetBE32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t GetBE64(const char* p) { return (uint64_t{GetBE32(p)} << 32) | GetBE32(p + 4); }
inline uint16_t GetLE16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}
inline uint32_t GetLE32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[3]} << 24) | (uint32_t{u[2]} << 16) | (uint32_t{u[1]} << 8) | u[0];
}
inline uint64_t GetLE64(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | u[i];
  return v;
}

// Reads big-endian fields in order from a byte string; bounds are the caller's
// job (check remaining() first).
class BEReader {
 public:
  explicit BEReader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  uint8_t U8() { return static_cast<uint8_t>(*p_++); }
  void Skip(size_t n) { p_ += n; }
  uint16_t U16() {
    auto v = GetBE16(p_);
    p_ += 2;
    return v;
  }
  uint32_t U32() {
    auto v = GetBE32(p_);
    p_ += 4;
    return v;
  }
  uint64_t U64() {
    auto v = GetBE64(p_);
    p_ += 8;
    return v;
  }

 private:
  const char* p_;
  const char* end_;
};

// Bytes as lowercase hex, for messages and tests.
std::string HexString(std::string_view bytes);
// The bytes a HexString spells (either case); kCorruption otherwise.
Result<std::string> HexDecode(std::string_view hex);

// The smallest string greater than every string starting with prefix ("" if
// there is none: prefix is all 0xFF): the end of a prefix scan.
std::string PrefixEnd(std::string_view prefix);

}  // namespace jfsbr
