// Key/value files: pairs of any size come back as written, and a damaged
// file fails with the error naming what is wrong.
#include "br/kv_file.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "store/backends.h"
#include "util/compress.h"

namespace jfsbr {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

KvFileInfo Write(ObjectStore* store, const Pairs& pairs) {
  auto w = KvFileWriter::Create(store, "f", nullptr);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& [k, v] : pairs) EXPECT_TRUE((*w)->Add(k, v).ok());
  auto info = (*w)->Finish();
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return *info;
}

Status Read(ObjectStore* store, const KvFileInfo& info, Pairs* got) {
  return ReadKvFile(store, info, [&](std::string_view k, std::string_view v) {
    got->emplace_back(std::string(k), std::string(v));
    return Status::OK();
  });
}

TEST(KvFileTest, PairsOfEverySizeReadBackAsWritten) {
  auto store = OpenMemoryStore("kv-file-sizes");
  Pairs pairs = {{"a", ""}, {"b", "x"}, {"c", std::string(65536, 'c')}};
  // Values longer than the reader's first 64 KiB step, and up to 3 MiB.
  char name = '1';
  for (size_t n : {65537, 200000, 3 << 20}) {
    pairs.emplace_back(std::string("d") + name++, std::string(n, static_cast<char>('0' + n % 10)));
  }
  pairs.emplace_back(std::string(70000, 'k'), "a long key");
  KvFileInfo info = Write(store.get(), pairs);
  Pairs got;
  Status st = Read(store.get(), info, &got);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got, pairs);
}

TEST(KvFileTest, ALengthPastTheEndIsATruncatedRecord) {
  auto store = OpenMemoryStore("kv-file-damaged");
  // A record saying its value has 200 MiB, followed by 10 bytes.
  std::string raw =
      std::string("\x01\x00\x00\x00", 4) + "k" + std::string("\x00\x00\x80\x0c", 4) + "0123456789";
  std::string object;
  auto sink = CompressingSink(StringSink(&object), Compression::kZstd);
  ASSERT_TRUE(sink->Write(raw).ok());
  ASSERT_TRUE(sink->Close().ok());
  ASSERT_TRUE(store->Put("f", object).ok());
  KvFileInfo info;
  info.name = "f";
  info.last_key = "z";
  Pairs got;
  Status st = Read(store.get(), info, &got);
  EXPECT_TRUE(st.Is(Code::kCorruption)) << st.ToString();
  EXPECT_NE(st.message().find("f: truncated record"), std::string::npos) << st.ToString();
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace jfsbr
