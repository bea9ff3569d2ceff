// How a volume stores each block: as is, or compressed as the setting's
// Compression says ("lz4": one LZ4 block, no frame; "zstd": one zstd frame,
// level 1), as JuiceFS's chunk store writes them. An object's name keeps the
// uncompressed length, which is what a reader decompresses to.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace jfsbr {

class BlockCodec {
 public:
  enum class Kind { kNone, kLz4, kZstd };
  // "", "none", "lz4", "zstd" (any case); anything else is refused.
  static Result<BlockCodec> ForSetting(const std::string& compression);
  BlockCodec() = default;

  Result<std::string> Encode(std::string_view block) const;
  // The block of `len` bytes that `stored` holds.
  Result<std::string> Decode(std::string_view stored, uint32_t len) const;
  // Stored bytes equal the block: ranged reads and size checks work.
  bool identity() const { return kind_ == Kind::kNone; }

 private:
  explicit BlockCodec(Kind k) : kind_(k) {}
  Kind kind_ = Kind::kNone;
};

}  // namespace jfsbr
