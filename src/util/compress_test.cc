// Compression chosen by file name, and round trips through it.
#include "util/compress.h"

#include <gtest/gtest.h>

#include <random>

namespace jfsbr {
namespace {

std::string ReadAll(Source* s, Status* err) {
  std::string out;
  char buf[1000];
  while (true) {
    auto n = s->Read(buf, sizeof(buf));
    if (!n.ok()) {
      *err = n.status();
      return out;
    }
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(CompressTest, NamesAndRoundTrips) {
  EXPECT_EQ(CompressionForName("a.json.gz"), Compression::kGzip);
  EXPECT_EQ(CompressionForName("a.json.zstd"), Compression::kZstd);
  EXPECT_EQ(CompressionForName("a.zst"), Compression::kZstd);
  EXPECT_EQ(CompressionForName("a.json"), Compression::kNone);
  std::string data;
  std::mt19937 rng(5);
  while (data.size() < 300000) {  // JSON-like: repetitive with some variety
    data += "{\"inode\":" + std::to_string(rng() % 100000) + ",\"type\":\"regular\"},\n";
  }
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    std::string packed;
    auto sink = CompressingSink(StringSink(&packed), c);
    for (size_t i = 0; i < data.size(); i += 7777) {
      ASSERT_TRUE(sink->Write(std::string_view(data).substr(i, 7777)).ok());
    }
    ASSERT_TRUE(sink->Close().ok());
    if (c != Compression::kNone) {
      EXPECT_LT(packed.size(), data.size() / 2);
    }
    Status err;
    auto src = DecompressingSource(StringSource(packed), c);
    EXPECT_EQ(ReadAll(src.get(), &err), data);
    EXPECT_TRUE(err.ok()) << err.ToString();
    if (c == Compression::kNone) continue;
    // Truncated and corrupted streams are errors, not short reads.
    auto cut = DecompressingSource(StringSource(packed.substr(0, packed.size() / 2)), c);
    ReadAll(cut.get(), &err);
    EXPECT_TRUE(err.Is(Code::kCorruption)) << err.ToString();
    std::string flipped = packed;
    flipped[flipped.size() / 2] ^= 0x5a;
    err = Status::OK();
    auto bad = DecompressingSource(StringSource(flipped), c);
    ReadAll(bad.get(), &err);
    EXPECT_FALSE(err.ok());
  }
}

}  // namespace
}  // namespace jfsbr
