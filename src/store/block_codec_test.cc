// Block compression and sharded buckets, as JuiceFS stores them.
#include "store/block_codec.h"

#include <gtest/gtest.h>

#include "store/registry.h"
#include "store/sharded.h"
#include "testing/test_volume.h"

namespace jfsbr {
namespace {

TEST(BlockCodecTest, RoundTripsAndRefusesTheUnknown) {
  std::string block;
  for (int i = 0; i < 100000; i++) block += "block " + std::to_string(i % 97) + "\n";
  for (const char* name : {"lz4", "zstd", "LZ4", "none", ""}) {
    auto c = BlockCodec::ForSetting(name);
    ASSERT_TRUE(c.ok()) << name;
    auto stored = c->Encode(block);
    ASSERT_TRUE(stored.ok());
    if (c->identity()) {
      EXPECT_EQ(*stored, block);
    } else {
      EXPECT_LT(stored->size(), block.size() / 4) << name;
    }
    auto back = c->Decode(*stored, static_cast<uint32_t>(block.size()));
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().ToString();
    EXPECT_EQ(*back, block) << name;
    // The wrong length (a block name that lies) or damaged bytes fail.
    EXPECT_FALSE(c->Decode(*stored, static_cast<uint32_t>(block.size() + 1)).ok()) << name;
    std::string damaged = stored->substr(0, stored->size() / 2);
    EXPECT_FALSE(c->Decode(damaged, static_cast<uint32_t>(block.size())).ok()) << name;
  }
  auto gz = BlockCodec::ForSetting("gzip");
  EXPECT_TRUE(gz.status().Is(Code::kNotSupported));
  EXPECT_NE(gz.status().message().find("gzip"), std::string::npos);
}

TEST(ShardedTest, NamesAndHash) {
  EXPECT_EQ(*FormatShardName("/data/jfs-%d", 3), "/data/jfs-3");
  EXPECT_EQ(*FormatShardName("http://h:9000/b%02d", 7), "http://h:9000/b07");
  EXPECT_EQ(*FormatShardName("b%3d%%", 5), "b  5%");
  EXPECT_FALSE(FormatShardName("/data/jfs", 1).ok());
  EXPECT_FALSE(FormatShardName("/data/%s", 1).ok());
  EXPECT_FALSE(FormatShardName("/%d/%d", 1).ok());
  // FNV-1a (32 bit) reference values.
  EXPECT_EQ(Fnv1a32(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a32("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a32("foobar"), 0xbf9cf968u);
}

TEST(ShardedTest, ObjectsGoToTheirShardAndListInOrder) {
  std::vector<std::shared_ptr<ObjectStore>> shards;
  for (int i = 0; i < 3; i++) shards.push_back(*OpenStore("mem", "shard-" + UniqueTestId()));
  auto s = Sharded(shards);
  std::vector<std::string> keys;
  for (int i = 0; i < 50; i++) keys.push_back("vol/chunks/0/0/" + std::to_string(i) + "_0_1");
  for (const auto& k : keys) ASSERT_TRUE(s->Put(k, "x").ok());
  for (const auto& k : keys) {
    EXPECT_TRUE(shards[Fnv1a32(k) % 3]->Head(k).ok()) << k;
    EXPECT_EQ(*s->Get(k), "x");
  }
  std::sort(keys.begin(), keys.end());
  // Small pages: the merge must not skip or repeat a key.
  std::vector<std::string> listed;
  std::string after;
  while (true) {
    auto page = s->List("vol/", after, 7);
    ASSERT_TRUE(page.ok());
    for (const auto& o : page->objects) listed.push_back(o.key);
    if (!page->truncated || page->objects.empty()) break;
    after = listed.back();
  }
  EXPECT_EQ(listed, keys);
}

}  // namespace
}  // namespace jfsbr
