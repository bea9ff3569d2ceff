// Conformance tests for every object store backend and the prefixed view.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/registry.h"
#include "store/s3_xml.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    StoreConfig c{GetParam(), dir_.path()};
    if (GetParam() == "mem") c.bucket = "store-test-" + UniqueTestId();
    if (GetParam() == "s3") {
      auto b = S3Server::Shared()->NewBucket("store-test-" + UniqueTestId());
      ASSERT_TRUE(b.ok()) << b.status().ToString();
      c = *b;
    }
    c.part_size = 100 << 10;  // multipart from 100 KiB on (s3rver has no 5 MiB minimum)
    auto s = OpenStore(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *s;
  }
  std::string ReadAll(const std::string& key, size_t piece) {
    auto src = OpenObject(store_.get(), key, piece);
    EXPECT_TRUE(src.ok()) << src.status().ToString();
    if (!src.ok()) return "";
    std::string out;
    char buf[7000];
    while (true) {
      auto n = (*src)->Read(buf, sizeof(buf));
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) return out;
      out.append(buf, *n);
    }
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
  // (s3rver lists directory by directory, unlike S3: the key is left out there.)
  for (std::string k : {"a/x", "a.b", "a/y/z", "b", "ab", "a/y0"}) {
    if (GetParam() == "s3" && k == "a.b") continue;
    ASSERT_TRUE(store_->Put(k, k).ok());
  }
  std::vector<std::string> all = {"a.b", "a/x", "a/y/z", "a/y0", "ab", "b"};
  if (GetParam() == "s3") all.erase(all.begin());
  EXPECT_EQ(Keys(""), all);
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

TEST_P(StoreTest, StreamedWritesAppearOnlyWhenClosed) {
  std::string big;
  for (int i = 0; big.size() < 350 * 1024; i++) big += std::to_string(i) + ",";
  {
    auto sink = store_->Create("meta/dump.json.gz");
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    for (size_t off = 0; off < big.size(); off += 9999) {
      ASSERT_TRUE((*sink)->Write(std::string_view(big).substr(off, 9999)).ok());
      EXPECT_TRUE(store_->Head("meta/dump.json.gz").status().Is(Code::kNotFound));
    }
    ASSERT_TRUE((*sink)->Close().ok());
  }
  EXPECT_EQ(store_->Head("meta/dump.json.gz")->size, big.size());
  EXPECT_EQ(*store_->Get("meta/dump.json.gz"), big);
  EXPECT_EQ(ReadAll("meta/dump.json.gz", 64 << 10), big);  // many pieces
  EXPECT_EQ(ReadAll("meta/dump.json.gz", 1 << 20), big);   // one piece
  {  // abandoned midway (over several parts): nothing appears
    auto sink = store_->Create("meta/abandoned");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(big).ok());
  }
  EXPECT_EQ(Keys("meta/"), std::vector<std::string>{"meta/dump.json.gz"});
  {  // small and empty objects go as one request
    auto sink = store_->Create("meta/empty");
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  EXPECT_EQ(store_->Head("meta/empty")->size, 0u);
  EXPECT_EQ(ReadAll("meta/empty", 1024), "");
  EXPECT_TRUE(OpenObject(store_.get(), "meta/none").status().Is(Code::kNotFound));
}

TEST_P(StoreTest, KeysWithAwkwardBytes) {
  std::vector<std::string> keys = {"v/a b+c=d&e?f", "v/%41", "v/\xe4\xb8\xad", "v/x~y(z)*'!"};
  for (const auto& k : keys) ASSERT_TRUE(store_->Put(k, k).ok()) << k;
  for (const auto& k : keys) EXPECT_EQ(*store_->Get(k), k);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Keys("v/"), sorted);
}

TEST_P(StoreTest, ListRangesSeesEveryObjectOnceAndStopsAtAnError) {
  // Keys on and around the cut points, and one range large enough to page.
  // A key equal to a cut point that is also a directory ("chunks/0") only
  // exists where keys are not files (s3rver keeps them as files too).
  std::vector<std::string> keys = {
      "chunks/0/0/1_0_5", "chunks/0/1/1000_0_5", "chunks/0/19/x", "chunks/0/9z", "chunks/0a",
      "chunks/9/9/9",     "chunks/A/b",          "chunks/~",      "other/x"};
  if (GetParam() == "mem") keys.insert(keys.end(), {"chunks/0", "chunks/0/1"});
  for (int i = 0; i < 1100; i++) keys.push_back("chunks/0/5/" + std::to_string(i));
  for (const auto& k : keys) ASSERT_TRUE(store_->Put(k, "v").ok()) << k;
  std::vector<std::string> bounds = {"chunks/0", "chunks/0/1", "chunks/0/5", "chunks/0/9",
                                     "chunks/1"};
  std::mutex mu;
  std::vector<std::string> seen;
  Status st = ListRanges(store_.get(), "chunks/", bounds, 3, [&](const ObjectInfo& o) {
    std::lock_guard l(mu);
    seen.push_back(o.key);
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> want = keys;
  want.erase(std::remove(want.begin(), want.end(), "other/x"), want.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);
  std::atomic<int> calls{0};
  st = ListRanges(store_.get(), "chunks/", bounds, 2, [&](const ObjectInfo& o) {
    calls++;
    return o.key == "chunks/0/5/100" ? Status::IOError("injected") : Status::OK();
  });
  EXPECT_FALSE(st.ok());
  EXPECT_LT(calls.load(), static_cast<int>(want.size()));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("file", "mem", "s3"));

TEST(S3StoreTest, ListPagesThroughContinuationTokens) {
  auto c = S3Server::Shared()->NewBucket("list-test-" + UniqueTestId());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto store = *OpenStore(*c);
  std::vector<std::string> want;
  for (int i = 0; i < 1100; i++) {
    char key[32];
    snprintf(key, sizeof(key), "k/%05d", i);
    want.push_back(key);
  }
  // Written concurrently: one by one this takes a few seconds on s3rver.
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; t++) {
    ts.emplace_back([&, t] {
      for (size_t i = t; i < want.size(); i += 8) EXPECT_TRUE(store->Put(want[i], "x").ok());
    });
  }
  for (auto& t : ts) t.join();
  auto page = store->List("k/", "", 1050);  // a page of 1000, then one of 50 by token
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1050u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->objects[1049].key, want[1049]);
  auto all = ListAll(store.get(), "k/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), want.size());
  for (size_t i = 0; i < want.size(); i++) ASSERT_EQ((*all)[i].key, want[i]);
}

TEST(S3StoreTest, ErrorsAreOneLineAndNeverShowTheSecret) {
  auto c = S3Server::Shared()->NewBucket("err-test-" + UniqueTestId());
  ASSERT_TRUE(c.ok());
  StoreConfig bad = *c;
  bad.access_key = "NOT-A-KEY";
  bad.secret_key = "very-secret-value";
  auto store = OpenStore(bad);
  ASSERT_TRUE(store.ok());
  Status st = (*store)->Put("x", "y");
  EXPECT_TRUE(st.Is(Code::kPermission)) << st.ToString();
  EXPECT_NE(st.message().find("InvalidAccessKeyId"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("very-secret-value"), std::string::npos);
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
  EXPECT_EQ((*store)->Describe().find("very-secret-value"), std::string::npos);

  for (std::string b : {"ftp://h/b", "http://127.0.0.1:9", "http://h/b/extra", "http://u@h/b"}) {
    auto s = OpenStore(StoreConfig{"s3", b, "a", "s"});
    EXPECT_TRUE(s.status().Is(Code::kInvalidArgument)) << b;
  }
  EXPECT_EQ(*NormalizeBucket("s3", "http://127.0.0.1:9/bkt/"), "http://127.0.0.1:9/bkt");
  auto missing_secret = OpenStore(StoreConfig{"s3", c->bucket, "S3RVER", "removed"});
  if (getenv("SECRET_KEY") == nullptr && getenv("AWS_SECRET_ACCESS_KEY") == nullptr) {
    EXPECT_TRUE(missing_secret.status().Is(Code::kInvalidArgument));
    EXPECT_NE(missing_secret.status().message().find("SECRET_KEY"), std::string::npos);
  }
}

TEST(S3StoreTest, ServerDownIsAnErrorAndAKilledServerFailsTheUpload) {
  auto server = S3Server::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto c = (*server)->NewBucket("down-test");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  c->part_size = 64 << 10;
  auto store = *OpenStore(*c);
  ASSERT_TRUE(store->Put("before", "x").ok());
  auto sink = store->Create("meta/dump-2026-01-01-000000.json.gz");
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(std::string(200 << 10, 'a')).ok());  // parts under way
  (*server)->Kill();
  Status st = (*sink)->Write(std::string(200 << 10, 'b'));
  if (st.ok()) st = (*sink)->Close();
  EXPECT_TRUE(st.Is(Code::kUnavailable)) << st.ToString();
  EXPECT_NE(st.message().find("gave up"), std::string::npos);
  sink->reset();
  ASSERT_TRUE((*server)->Restart().ok());
  auto all = ListAll(store.get(), "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);  // the upload never became an object
  EXPECT_EQ((*all)[0].key, "before");
}

TEST(S3XmlTest, ElementsAndEntities) {
  std::string doc =
      "<R><KeyCount>2</KeyCount><Contents><Key>a&amp;b&#x4e2d;&#65;</Key></Contents>"
      "<Contents><Key>c&lt;d</Key><Size>5</Size></Contents><Empty/></R>";
  auto contents = s3xml::Elements(doc, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(s3xml::Text(contents[0], "Key"),
            "a&b\xe4\xb8\xad"
            "A");
  EXPECT_EQ(s3xml::Text(contents[1], "Key"), "c<d");
  EXPECT_EQ(s3xml::Text(doc, "Key"),
            "a&b\xe4\xb8\xad"
            "A");  // not <KeyCount>
  EXPECT_EQ(s3xml::Text(doc, "KeyCount"), "2");
  EXPECT_EQ(s3xml::Elements(doc, "Empty").size(), 1u);
  EXPECT_EQ(s3xml::Unescape(s3xml::Escape("<a&'\">")), "<a&'\">");
}

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
