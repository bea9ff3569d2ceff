// Compressing and decompressing block objects (lz4, zstd) as JuiceFS does.
#include "store/block_codec.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>

namespace jfsbr {

Result<BlockCodec> BlockCodec::ForSetting(const std::string& compression) {
  std::string c = compression;
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char x) { return std::tolower(x); });
  if (c.empty() || c == "none") return BlockCodec(Kind::kNone);
  if (c == "lz4") return BlockCodec(Kind::kLz4);
  if (c == "zstd") return BlockCodec(Kind::kZstd);
  return Status::NotSupported("blocks compressed with '" + compression +
                              "' are not supported (lz4 and zstd are)");
}

Result<std::string> BlockCodec::Encode(std::string_view block) const {
  std::string out;
  switch (kind_) {
    case Kind::kNone:
      return std::string(block);
    case Kind::kLz4: {
      out.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(block.size()))));
      int n = LZ4_compress_default(block.data(), out.data(), static_cast<int>(block.size()),
                                   static_cast<int>(out.size()));
      if (n <= 0) return Status::IOError("lz4 compression failed");
      out.resize(static_cast<size_t>(n));
      return out;
    }
    case Kind::kZstd: {
      out.resize(ZSTD_compressBound(block.size()));
      size_t n = ZSTD_compress(out.data(), out.size(), block.data(), block.size(), 1);
      if (ZSTD_isError(n)) return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(n));
      out.resize(n);
      return out;
    }
  }
  return out;
}

Result<std::string> BlockCodec::Decode(std::string_view stored, uint32_t len) const {
  std::string out(len, '\0');
  switch (kind_) {
    case Kind::kNone:
      if (stored.size() != len) break;
      return std::string(stored);
    case Kind::kLz4: {
      if (stored.empty()) break;
      int n = LZ4_decompress_safe(stored.data(), out.data(), static_cast<int>(stored.size()),
                                  static_cast<int>(len));
      if (n != static_cast<int>(len)) break;
      return out;
    }
    case Kind::kZstd: {
      size_t n = ZSTD_decompress(out.data(), len, stored.data(), stored.size());
      if (ZSTD_isError(n) || n != len) break;
      return out;
    }
  }
  return Status::Corruption("block does not decompress to its " + std::to_string(len) + " bytes");
}

}  // namespace jfsbr
