// LazyFs keeps exactly what was synced: file bytes by fsync, names by the
// directory's fsync; a cut stops both; what was there at mount survives.
#include "testing/lazy_fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "util/test_util.h"

namespace jfsbr {
namespace {

class LazyFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(backing_);
    std::filesystem::create_directories(mnt_);
  }
  void MountIt() {
    auto fs = LazyFs::Mount(backing_, mnt_);
    ASSERT_TRUE(fs.ok()) << fs.status().ToString();
    fs_ = std::move(*fs);
  }
  // Writes data to the file at rel (in the mount), fsyncing it if asked.
  void Write(const std::string& rel, const std::string& data, bool sync) {
    int fd = open((mnt_ + rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0) << rel;
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    if (sync) {
      ASSERT_EQ(fsync(fd), 0);
    }
    close(fd);
  }
  void SyncDir(const std::string& rel) {
    int fd = open((mnt_ + rel).c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0) << rel;
    ASSERT_EQ(fsync(fd), 0);
    close(fd);
  }
  bool Exists(const std::string& rel) { return std::filesystem::exists(backing_ + rel); }
  std::string Read(const std::string& rel) { return ReadFileOrEmpty(backing_ + rel); }

  TempDir dir_;
  std::string backing_ = dir_.Sub("backing"), mnt_ = dir_.Sub("mnt");
  std::unique_ptr<LazyFs> fs_;
};

TEST_F(LazyFsTest, KeepsOnlyWhatWasSynced) {
  ASSERT_EQ(Exists("/x"), false);
  { std::ofstream(backing_ + "/old") << "there before"; }
  MountIt();
  Write("/both", "c", true);        // bytes and name synced
  Write("/name-only", "d", false);  // the name, but not the bytes
  ASSERT_EQ(mkdir((mnt_ + "/sub").c_str(), 0755), 0);
  Write("/sub/inner", "e", true);  // in a directory never synced
  SyncDir("/");
  Write("/both", "cc, later", false);  // rewritten after the sync
  Write("/unsynced", "a", false);      // after the directory's sync: neither
  Write("/bytes-only", "b", true);     // the bytes, not the name
  // Everything is there before the cut (it passes through).
  EXPECT_EQ(ReadFileOrEmpty(mnt_ + "/bytes-only"), "b");
  EXPECT_EQ(ReadFileOrEmpty(mnt_ + "/both"), "cc, later");
  ASSERT_TRUE(fs_->PowerCut().ok());

  EXPECT_EQ(Read("/old"), "there before");
  EXPECT_FALSE(Exists("/unsynced"));
  EXPECT_FALSE(Exists("/bytes-only"));
  EXPECT_EQ(Read("/both"), "c");
  EXPECT_TRUE(Exists("/name-only"));
  EXPECT_EQ(Read("/name-only"), "");
  EXPECT_TRUE(std::filesystem::is_directory(backing_ + "/sub"));
  EXPECT_FALSE(Exists("/sub/inner"));
}

TEST_F(LazyFsTest, RenameIsDurableWithItsDirectory) {
  { std::ofstream(backing_ + "/target") << "old"; }
  MountIt();
  Write("/tmp1", "new", true);
  ASSERT_EQ(rename((mnt_ + "/tmp1").c_str(), (mnt_ + "/target").c_str()), 0);
  ASSERT_EQ(link((mnt_ + "/target").c_str(), (mnt_ + "/hard").c_str()), 0);
  ASSERT_TRUE(fs_->PowerCut().ok());
  EXPECT_EQ(Read("/target"), "old");  // the rename's directory was never synced
  EXPECT_FALSE(Exists("/tmp1"));      // nor the temporary name
  EXPECT_FALSE(Exists("/hard"));

  MountIt();  // again, now syncing the directory
  Write("/tmp2", "new", true);
  ASSERT_EQ(rename((mnt_ + "/tmp2").c_str(), (mnt_ + "/target").c_str()), 0);
  ASSERT_EQ(link((mnt_ + "/target").c_str(), (mnt_ + "/hard").c_str()), 0);
  SyncDir("/");
  ASSERT_TRUE(fs_->PowerCut().ok());
  EXPECT_EQ(Read("/target"), "new");
  EXPECT_EQ(Read("/hard"), "new");
  EXPECT_FALSE(Exists("/tmp2"));
}

TEST_F(LazyFsTest, NothingAfterTheCutBecomesDurable) {
  MountIt();
  Write("/a", "1", true);
  SyncDir("/");
  uint64_t before = fs_->operations();
  EXPECT_GE(before, 4u);                   // create, write, fsync, fsyncdir
  fs_->CutAt(before + 1, /*kill=*/false);  // the writer is this test
  Write("/b", "2", true);
  SyncDir("/");
  Write("/a", "changed", true);
  EXPECT_GT(fs_->operations(), before + 4);
  ASSERT_TRUE(fs_->PowerCut().ok());
  EXPECT_EQ(Read("/a"), "1");
  EXPECT_FALSE(Exists("/b"));
}

TEST_F(LazyFsTest, UnmountKeepsThePageCache) {
  MountIt();
  Write("/a", "unsynced", false);
  ASSERT_TRUE(fs_->Unmount().ok());
  EXPECT_EQ(Read("/a"), "unsynced");
}

}  // namespace
}  // namespace jfsbr
