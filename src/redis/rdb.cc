// The RDB reader (see rdb.h). Layout facts: the RDB opcodes and value types
// of Redis 7.x, and its ziplist, listpack, intset and LZF encodings.
#include "redis/rdb.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "util/coding.h"

namespace jfsbr {
namespace {

enum Opcode : uint8_t {
  kSlotInfo = 0xF4,
  kFunction2 = 0xF5,
  kFunctionPreGa = 0xF6,
  kModuleAux = 0xF7,
  kIdle = 0xF8,
  kFreq = 0xF9,
  kAux = 0xFA,
  kResizeDb = 0xFB,
  kExpireMs = 0xFC,
  kExpireSec = 0xFD,
  kSelectDb = 0xFE,
  kEof = 0xFF,
};

enum ValueType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kZset2 = 5,
  kModule = 6,
  kModule2 = 7,
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZsetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kStreamListpacks = 15,
  kHashListpack = 16,
  kZsetListpack = 17,
  kListQuicklist2 = 18,
  kStreamListpacks2 = 19,
  kSetListpack = 20,
  kStreamListpacks3 = 21,
};

Status Bad(const std::string& why) { return Status::Corruption("RDB snapshot: " + why); }

std::string IntText(int64_t v) { return std::to_string(v); }

int64_t GetLESigned(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  if (n < 8 && (v >> (n * 8 - 1)) & 1) v |= ~uint64_t{0} << (n * 8);  // sign-extend
  return static_cast<int64_t>(v);
}

// The elements of a ziplist blob, integers as decimal text.
Status ZiplistEntries(std::string_view blob, const std::function<Status(std::string_view)>& fn) {
  auto p = reinterpret_cast<const uint8_t*>(blob.data());
  size_t n = blob.size(), pos = 10;
  if (n < 11) return Bad("short ziplist");
  std::string text;
  while (true) {
    if (pos >= n) return Bad("ziplist without end");
    if (p[pos] == 0xFF) return Status::OK();
    pos += p[pos] < 254 ? 1 : 5;  // the previous entry's length
    if (pos >= n) return Bad("truncated ziplist entry");
    uint8_t enc = p[pos];
    size_t len = 0, head = 0;
    int ints = 0;
    switch (enc >> 6) {
      case 0:
        len = enc & 0x3F, head = 1;
        break;
      case 1:
        if (pos + 1 >= n) return Bad("truncated ziplist entry");
        len = ((enc & 0x3Fu) << 8) | p[pos + 1], head = 2;
        break;
      case 2:
        if (pos + 5 > n) return Bad("truncated ziplist entry");
        len = GetBE32(reinterpret_cast<const char*>(p + pos + 1)), head = 5;
        break;
      default:
        head = 1;
        if (enc == 0xC0)
          ints = 2;
        else if (enc == 0xD0)
          ints = 4;
        else if (enc == 0xE0)
          ints = 8;
        else if (enc == 0xF0)
          ints = 3;
        else if (enc == 0xFE)
          ints = 1;
        else if (enc >= 0xF1 && enc <= 0xFD)
          ints = -1;
        else
          return Bad("bad ziplist encoding");
    }
    if (ints == 0) {
      if (pos + head + len > n) return Bad("truncated ziplist string");
      JFS_RETURN_IF_ERROR(fn(blob.substr(pos + head, len)));
      pos += head + len;
    } else if (ints < 0) {
      text = IntText((enc & 0x0F) - 1);
      JFS_RETURN_IF_ERROR(fn(text));
      pos += 1;
    } else {
      if (pos + 1 + ints > n) return Bad("truncated ziplist integer");
      text = IntText(GetLESigned(p + pos + 1, ints));
      JFS_RETURN_IF_ERROR(fn(text));
      pos += 1 + ints;
    }
  }
}

// The elements of a listpack blob, integers as decimal text.
Status ListpackEntries(std::string_view blob, const std::function<Status(std::string_view)>& fn) {
  auto p = reinterpret_cast<const uint8_t*>(blob.data());
  size_t n = blob.size(), pos = 6;
  if (n < 7) return Bad("short listpack");
  std::string text;
  while (true) {
    if (pos >= n) return Bad("listpack without end");
    uint8_t b = p[pos];
    if (b == 0xFF) return Status::OK();
    size_t enclen;
    auto need = [&](size_t k) { return pos + k <= n; };
    if ((b & 0x80) == 0) {
      text = IntText(b & 0x7F), enclen = 1;
      JFS_RETURN_IF_ERROR(fn(text));
    } else if ((b & 0xC0) == 0x80) {
      size_t len = b & 0x3F;
      enclen = 1 + len;
      if (!need(enclen)) return Bad("truncated listpack string");
      JFS_RETURN_IF_ERROR(fn(blob.substr(pos + 1, len)));
    } else if ((b & 0xE0) == 0xC0) {
      if (!need(2)) return Bad("truncated listpack integer");
      int64_t v = ((b & 0x1F) << 8) | p[pos + 1];
      if (v >= 1 << 12) v -= 1 << 13;
      text = IntText(v), enclen = 2;
      JFS_RETURN_IF_ERROR(fn(text));
    } else if ((b & 0xF0) == 0xE0) {
      if (!need(2)) return Bad("truncated listpack string");
      size_t len = ((b & 0x0Fu) << 8) | p[pos + 1];
      enclen = 2 + len;
      if (!need(enclen)) return Bad("truncated listpack string");
      JFS_RETURN_IF_ERROR(fn(blob.substr(pos + 2, len)));
    } else if (b == 0xF0) {
      if (!need(5)) return Bad("truncated listpack string");
      size_t len = GetLE32(reinterpret_cast<const char*>(p + pos + 1));
      enclen = 5 + len;
      if (!need(enclen)) return Bad("truncated listpack string");
      JFS_RETURN_IF_ERROR(fn(blob.substr(pos + 5, len)));
    } else if (b >= 0xF1 && b <= 0xF4) {
      static constexpr int kWidth[] = {2, 3, 4, 8};
      int w = kWidth[b - 0xF1];
      enclen = 1 + w;
      if (!need(enclen)) return Bad("truncated listpack integer");
      text = IntText(GetLESigned(p + pos + 1, w));
      JFS_RETURN_IF_ERROR(fn(text));
    } else {
      return Bad("bad listpack encoding");
    }
    size_t backlen = enclen < 128         ? 1
                     : enclen < 16384     ? 2
                     : enclen < 2097152   ? 3
                     : enclen < 268435456 ? 4
                                          : 5;
    pos += enclen + backlen;
  }
}

Status IntsetEntries(std::string_view blob, const std::function<Status(std::string_view)>& fn) {
  if (blob.size() < 8) return Bad("short intset");
  uint32_t width = GetLE32(blob.data()), count = GetLE32(blob.data() + 4);
  if ((width != 2 && width != 4 && width != 8) || blob.size() < 8 + uint64_t{width} * count) {
    return Bad("bad intset");
  }
  auto p = reinterpret_cast<const uint8_t*>(blob.data()) + 8;
  for (uint32_t i = 0; i < count; i++) {
    JFS_RETURN_IF_ERROR(fn(IntText(GetLESigned(p + i * width, static_cast<int>(width)))));
  }
  return Status::OK();
}

Result<std::string> LzfDecompress(std::string_view in, size_t out_len) {
  std::string out;
  // out_len comes from the stream; LZF expands 88x at most (3 bytes for a
  // 264-byte reference), so a larger claim is not reserved (it fails below).
  out.reserve(std::min(out_len, in.size() * 88));
  auto ip = reinterpret_cast<const uint8_t*>(in.data());
  size_t i = 0, n = in.size();
  while (i < n) {
    unsigned ctrl = ip[i++];
    if (ctrl < 32) {
      size_t len = ctrl + 1;
      if (i + len > n || out.size() + len > out_len) return Bad("bad LZF literal");
      out.append(in.data() + i, len);
      i += len;
    } else {
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (i >= n) return Bad("truncated LZF");
        len += ip[i++];
      }
      if (i >= n) return Bad("truncated LZF");
      size_t back = ((ctrl & 0x1Fu) << 8) + ip[i++] + 1;
      len += 2;
      if (back > out.size() || out.size() + len > out_len) return Bad("bad LZF reference");
      size_t from = out.size() - back;
      for (size_t k = 0; k < len; k++) out.push_back(out[from + k]);  // may overlap
    }
  }
  if (out.size() != out_len) return Bad("LZF length mismatch");
  return out;
}

class Reader {
 public:
  explicit Reader(Source* src) : src_(src) {}

  Result<uint8_t> Byte() {
    JFS_RETURN_IF_ERROR(Need(1));
    uint8_t b = static_cast<uint8_t>(buf_[pos_]);
    Consume(1);
    return b;
  }
  // n bytes into *out. n comes from the stream: reserve no more than a
  // buffer's worth up front, so a damaged length fails at the stream's end
  // instead of allocating gigabytes (found by the formats fuzzer).
  Status Bytes(size_t n, std::string* out) {
    out->clear();
    out->reserve(std::min<size_t>(n, 1 << 20));
    while (n > 0) {
      JFS_RETURN_IF_ERROR(Need(1));
      size_t take = std::min(n, end_ - pos_);
      out->append(buf_.data() + pos_, take);
      Consume(take);
      n -= take;
    }
    return Status::OK();
  }
  // The length encoding; *special set (and the low 6 bits returned) for
  // the encoded-string forms.
  Result<uint64_t> Length(bool* special = nullptr) {
    if (special) *special = false;
    JFS_ASSIGN_OR_RETURN(uint8_t b, Byte());
    switch (b >> 6) {
      case 0:
        return uint64_t{b & 0x3Fu};
      case 1: {
        JFS_ASSIGN_OR_RETURN(uint8_t c, Byte());
        return (uint64_t{b & 0x3Fu} << 8) | c;
      }
      case 2: {
        int width = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
        if (!width) return Bad("bad length encoding");
        JFS_RETURN_IF_ERROR(Bytes(width, &scratch_));
        return width == 4 ? uint64_t{GetBE32(scratch_.data())} : GetBE64(scratch_.data());
      }
      default:
        if (!special) return Bad("an encoded string where a length belongs");
        *special = true;
        return uint64_t{b & 0x3Fu};
    }
  }
  Status String(std::string* out) {
    bool special;
    JFS_ASSIGN_OR_RETURN(uint64_t len, Length(&special));
    if (!special) {
      if (len > (uint64_t{1} << 32)) return Bad("string of " + std::to_string(len) + " bytes");
      return Bytes(len, out);
    }
    if (len <= 2) {
      int width = 1 << len;
      JFS_RETURN_IF_ERROR(Bytes(width, &scratch_));
      *out = IntText(GetLESigned(reinterpret_cast<const uint8_t*>(scratch_.data()), width));
      return Status::OK();
    }
    if (len != 3) return Bad("unknown string encoding");
    JFS_ASSIGN_OR_RETURN(uint64_t clen, Length());
    JFS_ASSIGN_OR_RETURN(uint64_t ulen, Length());
    if (clen > (uint64_t{1} << 32) || ulen > (uint64_t{1} << 32)) return Bad("huge LZF string");
    JFS_RETURN_IF_ERROR(Bytes(clen, &scratch_));
    JFS_ASSIGN_OR_RETURN(*out, LzfDecompress(scratch_, ulen));
    return Status::OK();
  }
  // A sorted set score of RDB_TYPE_ZSET (text after a length byte).
  Result<double> TextDouble() {
    JFS_ASSIGN_OR_RETURN(uint8_t len, Byte());
    if (len == 253) return std::nan("");
    if (len == 254) return HUGE_VAL;
    if (len == 255) return -HUGE_VAL;
    JFS_RETURN_IF_ERROR(Bytes(len, &scratch_));
    return std::strtod(scratch_.c_str(), nullptr);
  }
  Result<double> BinaryDouble() {
    JFS_RETURN_IF_ERROR(Bytes(8, &scratch_));
    uint64_t bits = GetLE64(scratch_.data());
    double d;
    memcpy(&d, &bits, 8);
    return d;
  }
  uint64_t crc() const { return crc_; }
  uint64_t consumed() const { return consumed_; }

 private:
  Status Need(size_t n) {
    if (end_ - pos_ >= n) return Status::OK();
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    // 64 KiB at first, doubled at each refill up to 1 MiB: a short stream
    // (a fuzzer's input) does not pay for zeroing a whole MiB.
    if (buf_.size() < 1 << 20) buf_.resize(std::clamp<size_t>(2 * buf_.size(), 64 << 10, 1 << 20));
    while (end_ < n) {
      JFS_ASSIGN_OR_RETURN(size_t got, src_->Read(buf_.data() + end_, buf_.size() - end_));
      if (got == 0) return Bad("truncated (the stream ended early)");
      end_ += got;
    }
    return Status::OK();
  }
  void Consume(size_t n) {
    crc_ = RedisCrc64(crc_, buf_.data() + pos_, n);
    pos_ += n;
    consumed_ += n;
  }

  Source* src_;
  std::string buf_, scratch_;
  size_t pos_ = 0, end_ = 0;
  uint64_t crc_ = 0, consumed_ = 0;
};

class Parser {
 public:
  Parser(Reader* in, RdbVisitor* v, RdbStats* stats) : in_(in), v_(v), stats_(stats) {}

  Status Value(uint8_t type, uint64_t db) {
    JFS_RETURN_IF_ERROR(in_->String(&key_));
    RedisType t;
    switch (type) {
      case kString:
        t = RedisType::kString;
        break;
      case kList:
      case kListZiplist:
      case kListQuicklist:
      case kListQuicklist2:
        t = RedisType::kList;
        break;
      case kSet:
      case kSetIntset:
      case kSetListpack:
        t = RedisType::kSet;
        break;
      case kZset:
      case kZset2:
      case kZsetZiplist:
      case kZsetListpack:
        t = RedisType::kZset;
        break;
      case kHash:
      case kHashZiplist:
      case kHashListpack:
        t = RedisType::kHash;
        break;
      case kModule:
      case kModule2:
        return Bad("key '" + key_ + "' holds a module value, which JuiceFS never writes");
      case kStreamListpacks:
      case kStreamListpacks2:
      case kStreamListpacks3:
        return Bad("key '" + key_ + "' holds a stream, which JuiceFS never writes");
      case kHashZipmap:
        return Bad("key '" + key_ +
                   "' is a zipmap hash (Redis < 2.6): load the RDB into a newer "
                   "Redis first");
      default:
        return Bad("key '" + key_ + "' has value type " + std::to_string(type) +
                   " (newer than this reader: hash field expiry?)");
    }
    stats_->keys++;
    JFS_RETURN_IF_ERROR(v_->BeginKey(db, key_, t));
    JFS_RETURN_IF_ERROR(Elements(type));
    return v_->EndKey();
  }

 private:
  Status Emit(std::string_view field, std::string_view value, double score = 0) {
    stats_->elements++;
    return v_->Element(field, value, score);
  }
  // Pairs from a flat sequence (hash field/value, zset member/score).
  template <typename Source>
  Status Pairs(const Source& source, bool zset) {
    bool second = false;
    return source([&](std::string_view e) -> Status {
      if (!second) {
        first_.assign(e);
        second = true;
        return Status::OK();
      }
      second = false;
      if (zset) return Emit(first_, "", std::strtod(std::string(e).c_str(), nullptr));
      return Emit(first_, e);
    });
  }

  Status Elements(uint8_t type) {
    auto blob_source = [&](auto walker) {
      return [this, walker](const std::function<Status(std::string_view)>& fn) {
        return walker(blob_, fn);
      };
    };
    switch (type) {
      case kString:
        JFS_RETURN_IF_ERROR(in_->String(&a_));
        return Emit("", a_);
      case kList:
      case kSet:
      case kZset:
      case kZset2:
      case kHash: {
        JFS_ASSIGN_OR_RETURN(uint64_t n, in_->Length());
        for (uint64_t i = 0; i < n; i++) {
          JFS_RETURN_IF_ERROR(in_->String(&a_));
          if (type == kList) {
            JFS_RETURN_IF_ERROR(Emit("", a_));
          } else if (type == kSet) {
            JFS_RETURN_IF_ERROR(Emit(a_, ""));
          } else if (type == kHash) {
            JFS_RETURN_IF_ERROR(in_->String(&b_));
            JFS_RETURN_IF_ERROR(Emit(a_, b_));
          } else {
            JFS_ASSIGN_OR_RETURN(double s, type == kZset ? in_->TextDouble() : in_->BinaryDouble());
            JFS_RETURN_IF_ERROR(Emit(a_, "", s));
          }
        }
        return Status::OK();
      }
      case kListZiplist:
        JFS_RETURN_IF_ERROR(in_->String(&blob_));
        return ZiplistEntries(blob_, [&](std::string_view e) { return Emit("", e); });
      case kSetIntset:
        JFS_RETURN_IF_ERROR(in_->String(&blob_));
        return IntsetEntries(blob_, [&](std::string_view e) { return Emit(e, ""); });
      case kSetListpack:
        JFS_RETURN_IF_ERROR(in_->String(&blob_));
        return ListpackEntries(blob_, [&](std::string_view e) { return Emit(e, ""); });
      case kZsetZiplist:
      case kHashZiplist:
        JFS_RETURN_IF_ERROR(in_->String(&blob_));
        return Pairs(blob_source(ZiplistEntries), type == kZsetZiplist);
      case kZsetListpack:
      case kHashListpack:
        JFS_RETURN_IF_ERROR(in_->String(&blob_));
        return Pairs(blob_source(ListpackEntries), type == kZsetListpack);
      case kListQuicklist:
      case kListQuicklist2: {
        JFS_ASSIGN_OR_RETURN(uint64_t n, in_->Length());
        for (uint64_t i = 0; i < n; i++) {
          uint64_t container = 2;  // packed
          if (type == kListQuicklist2) {
            JFS_ASSIGN_OR_RETURN(container, in_->Length());
          }
          JFS_RETURN_IF_ERROR(in_->String(&blob_));
          if (container == 1) {  // one plain element
            JFS_RETURN_IF_ERROR(Emit("", blob_));
          } else if (type == kListQuicklist) {
            JFS_RETURN_IF_ERROR(ZiplistEntries(blob_, [&](auto e) { return Emit("", e); }));
          } else {
            JFS_RETURN_IF_ERROR(ListpackEntries(blob_, [&](auto e) { return Emit("", e); }));
          }
        }
        return Status::OK();
      }
    }
    return Bad("value type " + std::to_string(type));
  }

  Reader* in_;
  RdbVisitor* v_;
  RdbStats* stats_;
  std::string key_, a_, b_, blob_, first_;
};

}  // namespace

uint64_t RedisCrc64(uint64_t crc, const void* data, size_t n) {
  static const auto kTable = [] {
    std::vector<uint64_t> t(256);
    constexpr uint64_t kPoly = 0x95AC9329AC4BC9B5ULL;  // 0xad93d23594c935a9 reflected
    for (uint64_t i = 0; i < 256; i++) {
      uint64_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ kPoly : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  auto p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; i++) crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

Result<RdbStats> ReadRdb(Source* source, RdbVisitor* visitor) {
  Reader in(source);
  RdbStats stats;
  std::string magic;
  JFS_RETURN_IF_ERROR(in.Bytes(9, &magic));
  if (magic.compare(0, 5, "REDIS") != 0) return Bad("not an RDB stream (no REDIS magic)");
  for (int i = 5; i < 9; i++) {
    if (!isdigit(static_cast<unsigned char>(magic[i]))) return Bad("bad RDB version");
  }
  stats.version = std::stoi(magic.substr(5));
  if (stats.version < 1 || stats.version > 12) {
    return Bad("RDB version " + std::to_string(stats.version) + " is newer than this reader (12)");
  }
  Parser parser(&in, visitor, &stats);
  uint64_t db = 0;
  std::string a, b;
  while (true) {
    JFS_ASSIGN_OR_RETURN(uint8_t op, in.Byte());
    switch (op) {
      case kEof: {
        uint64_t computed = in.crc();
        if (stats.version >= 5) {
          JFS_RETURN_IF_ERROR(in.Bytes(8, &a));
          uint64_t stored = GetLE64(a.data());
          if (stored != 0 && stored != computed) return Bad("checksum mismatch (corrupt stream)");
          stats.checksum_verified = stored != 0;
        }
        stats.bytes = in.consumed();
        return stats;
      }
      case kSelectDb: {
        JFS_ASSIGN_OR_RETURN(db, in.Length());
        break;
      }
      case kExpireSec:
        JFS_RETURN_IF_ERROR(in.Bytes(4, &a));
        break;
      case kExpireMs:
        JFS_RETURN_IF_ERROR(in.Bytes(8, &a));
        break;
      case kResizeDb:
        JFS_RETURN_IF_ERROR(in.Length().status());
        JFS_RETURN_IF_ERROR(in.Length().status());
        break;
      case kAux:
        JFS_RETURN_IF_ERROR(in.String(&a));
        JFS_RETURN_IF_ERROR(in.String(&b));
        break;
      case kFreq:
        JFS_RETURN_IF_ERROR(in.Byte().status());
        break;
      case kIdle:
        JFS_RETURN_IF_ERROR(in.Length().status());
        break;
      case kFunction2:
        JFS_RETURN_IF_ERROR(in.String(&a));
        break;
      case kSlotInfo:
        for (int i = 0; i < 3; i++) JFS_RETURN_IF_ERROR(in.Length().status());
        break;
      case kModuleAux:
      case kFunctionPreGa:
        return Bad("module or function data (opcode " + std::to_string(op) + ") is not supported");
      default:
        JFS_RETURN_IF_ERROR(parser.Value(op, db));
    }
  }
}

}  // namespace jfsbr
