// A streaming reader of Redis's RDB snapshot format (versions 1-12, Redis
// up to 7.4): the file BGSAVE writes and a primary sends a replica. It
// hands over every key of the snapshot element by element, decoding the
// compact encodings (ziplist, listpack, intset, quicklist, LZF-compressed
// and integer-encoded strings), so memory stays bounded by the largest
// single element or encoded blob, never by a key's size. The trailing
// CRC-64 is checked when the writer computed one.
//
// Facts of the format (redis.io and the rdb.h of Redis); this reader is
// jfsbr's own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/io.h"
#include "util/result.h"

namespace jfsbr {

enum class RedisType { kString, kList, kSet, kZset, kHash };

class RdbVisitor {
 public:
  virtual ~RdbVisitor() = default;
  // A key of database db begins; its elements follow, then EndKey.
  virtual Status BeginKey(uint64_t db, std::string_view key, RedisType type) = 0;
  // One element: a string's value (field empty), a list element (value), a
  // set member (field), a sorted set member (field) and score, a hash
  // field and value.
  virtual Status Element(std::string_view field, std::string_view value, double score) = 0;
  virtual Status EndKey() = 0;
};

struct RdbStats {
  int version = 0;
  uint64_t keys = 0, elements = 0, bytes = 0;
  bool checksum_verified = false;
};

// Reads one RDB stream (from a replication link, a file) to its end marker,
// calling visitor.
// Module, stream and function payloads are refused (JuiceFS keeps none).
Result<RdbStats> ReadRdb(Source* source, RdbVisitor* visitor);

// Redis's CRC-64 (Jones polynomial, reflected), continuing from crc.
uint64_t RedisCrc64(uint64_t crc, const void* data, size_t n);

}  // namespace jfsbr
