// ImportTree / ExportTree on both engines, with several upload threads.
#include "fs/tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "meta/registry.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;

void Write(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}

class TreeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url = FreshMetaUrl(EngineKind(GetParam()), dir_.path());
    auto e = OpenMeta(url, true);
    ASSERT_TRUE(e.ok());
    FormatOptions o;
    o.name = "treevol";
    UseFreshStore(StoreKind(GetParam()), dir_.path(), &o);
    ASSERT_TRUE(FormatVolume(e->get(), o).ok());
    vol_ = std::move(*Volume::Open(std::move(*e)));
  }
  TempDir dir_;
  std::unique_ptr<Volume> vol_;
};

TEST_P(TreeTest, RoundTripWithThreadsKeepsLinksAndTimes) {
  std::string src = dir_.Sub("src");
  for (int d = 0; d < 5; d++) {
    fs::create_directories(src + "/d" + std::to_string(d) + "/sub");
    for (int f = 0; f < 20; f++) {
      Write(src + "/d" + std::to_string(d) + "/f" + std::to_string(f),
            std::string(static_cast<size_t>(f * 1000 + d), static_cast<char>('a' + f)));
    }
  }
  for (int d = 1; d < 5; d++) {  // every dN/sub/link is a hard link of d0/f3
    ASSERT_EQ(
        link((src + "/d0/f3").c_str(), (src + "/d" + std::to_string(d) + "/sub/link").c_str()), 0);
  }
  ASSERT_EQ(symlink("../f1", (src + "/d2/sub/sym").c_str()), 0);
  struct timespec old[2] = {{1000000000, 5}, {1000000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (src + "/d3").c_str(), old, 0), 0);

  ImportOptions io;
  io.threads = 4;
  auto imported = ImportTree(vol_.get(), src, io);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->files, 100u);
  EXPECT_EQ(imported->others, 4u);  // the four extra names of the hard link
  EXPECT_EQ(vol_->GetAttr(*vol_->Resolve("/d0/f3"))->nlink, 5u);
  auto d3 = vol_->GetAttr(*vol_->Resolve("/d3"));
  EXPECT_EQ(d3->mtime, 1000000000);  // restored after its children were made
  EXPECT_EQ(d3->mtimensec, 123456789u);

  std::string out = dir_.Sub("out");
  auto exported = ExportTree(vol_.get(), out, {});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(system(("diff -r --no-dereference " + src + " " + out).c_str()), 0);
  struct stat a, b;
  ASSERT_EQ(stat((out + "/d0/f3").c_str(), &a), 0);
  ASSERT_EQ(stat((out + "/d4/sub/link").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(stat((out + "/d3").c_str(), &a), 0);
  EXPECT_EQ(a.st_mtim.tv_nsec, 123456789);

  auto again = ImportTree(vol_.get(), src, io);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->files, 0u);
  EXPECT_EQ(again->skipped, 100u + 4 + 1);  // files, links, symlink
}

TEST_P(TreeTest, Errors) {
  EXPECT_TRUE(ImportTree(vol_.get(), dir_.Sub("missing"), {}).status().Is(Code::kNotFound));
  Write(dir_.Sub("plain"), "x");
  EXPECT_TRUE(ImportTree(vol_.get(), dir_.Sub("plain"), {}).status().Is(Code::kNotDirectory));
  fs::create_directories(dir_.Sub("empty"));
  ImportOptions io;
  io.dest = "/nope";
  EXPECT_TRUE(ImportTree(vol_.get(), dir_.Sub("empty"), io).status().Is(Code::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Engines, TreeTest,
                         ::testing::Values("memkv", "rocksdb", "etcd", "sqlite3", "postgres",
                                           "mariadb", "redis", "rocksdb+s3"),
                         TestKindName);

}  // namespace
}  // namespace jfsbr
