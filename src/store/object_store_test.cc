// Conformance tests for every object store backend and the prefixed view.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/registry.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto s = GetParam() == "file" ? OpenStore("file", dir_.path())
                                  : OpenStore("mem", "store-test-" + std::to_string(rand()));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *s;
  }
  std::vector<std::string> Keys(const std::string& prefix) {
    std::vector<std::string> out;
    auto all = ListAll(store_.get(), prefix);
    EXPECT_TRUE(all.ok());
    for (const auto& o : *all) out.push_back(o.key);
    return out;
  }
  TempDir dir_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_P(StoreTest, PutGetRangeHeadDelete) {
  ASSERT_TRUE(store_->Put("v/chunks/0/0/1_0_10", "0123456789").ok());
  EXPECT_EQ(*store_->Get("v/chunks/0/0/1_0_10"), "0123456789");
  EXPECT_EQ(*store_->Get("v/chunks/0/0/1_0_10", 3, 4), "3456");
  EXPECT_EQ(*store_->Get("v/chunks/0/0/1_0_10", 8, 100), "89");
  auto h = store_->Head("v/chunks/0/0/1_0_10");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size, 10u);
  EXPECT_GT(h->mtime, 0);
  ASSERT_TRUE(store_->Put("v/chunks/0/0/1_0_10", "new").ok());  // replace
  EXPECT_EQ(*store_->Get("v/chunks/0/0/1_0_10"), "new");
  ASSERT_TRUE(store_->Delete("v/chunks/0/0/1_0_10").ok());
  EXPECT_TRUE(store_->Get("v/chunks/0/0/1_0_10").status().Is(Code::kNotFound));
  EXPECT_TRUE(store_->Head("v/chunks/0/0/1_0_10").status().Is(Code::kNotFound));
  EXPECT_TRUE(store_->Delete("v/never").ok());
}

TEST_P(StoreTest, ListIsOrderedPagedAndPrefixed) {
  // "a.b" sorts before "a/x" bytewise even though directory "a" sorts first.
  for (std::string k : {"a/x", "a.b", "a/y/z", "b", "ab", "a/y0"}) {
    ASSERT_TRUE(store_->Put(k, k).ok());
  }
  EXPECT_EQ(Keys(""), (std::vector<std::string>{"a.b", "a/x", "a/y/z", "a/y0", "ab", "b"}));
  EXPECT_EQ(Keys("a/"), (std::vector<std::string>{"a/x", "a/y/z", "a/y0"}));
  EXPECT_EQ(Keys("a/y"), (std::vector<std::string>{"a/y/z", "a/y0"}));
  auto page = store_->List("", "a/x", 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->objects[0].key, "a/y/z");
  EXPECT_EQ(page->objects[1].key, "a/y0");
  page = store_->List("", "ab", 2);
  EXPECT_EQ(page->objects.size(), 1u);
  EXPECT_FALSE(page->truncated);
}

TEST_P(StoreTest, PrefixedView) {
  auto vol = WithPrefix(store_, "myjfs/");
  ASSERT_TRUE(vol->Put("juicefs_uuid", "u").ok());
  EXPECT_EQ(*store_->Get("myjfs/juicefs_uuid"), "u");
  ASSERT_TRUE(store_->Put("other/x", "x").ok());
  auto all = ListAll(vol.get(), "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "juicefs_uuid");
  EXPECT_EQ(vol->Head("juicefs_uuid")->key, "juicefs_uuid");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("file", "mem"));

TEST(LocalStoreTest, NoTemporaryFilesRemainAndBucketIsNormalized) {
  TempDir dir;
  auto s = OpenStore("file", "file://" + dir.path() + "/./b");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Put("k/obj", std::string(1 << 20, 'x')).ok());
  int files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file()) files++;
  }
  EXPECT_EQ(files, 1);
  EXPECT_EQ(*NormalizeBucket("file", dir.path() + "/./b"), dir.path() + "/b/");
  EXPECT_TRUE(OpenStore("s4", "x").status().Is(Code::kInvalidArgument));
}

}  // namespace
}  // namespace jfsbr
