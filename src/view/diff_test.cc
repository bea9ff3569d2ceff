// diff on scripted changes between two dumps of one volume: exactly the
// creates, removals, renames (a file moved, a directory renamed with its
// children), overwrites, chmods, xattrs and symlink changes made; and the
// spill that pairs renames keeps its order when it goes to disk.
#include "view/diff.h"

#include <gtest/gtest.h>

#include <map>

#include "dump/dump.h"
#include "testing/test_volume.h"
#include "util/test_util.h"
#include "view/sorted_spill.h"

namespace jfsbr {
namespace {

std::string DumpOf(Volume* v) {
  auto snap = v->meta()->Snapshot();
  EXPECT_TRUE(snap.ok());
  std::string out;
  auto sink = StringSink(&out);
  DumpOptions o;
  o.skip_trash = true;
  EXPECT_TRUE(DumpVolume(snap->get(), sink.get(), o).ok());
  return out;
}

// Every difference as text, and the statistics.
std::vector<std::string> Diff(const std::string& a, const std::string& b, DiffStats* stats,
                              const std::string& dir = "/", size_t memory = 64 << 20) {
  auto sa = StringSource(a), sb = StringSource(b);
  TreeReader ra(sa.get(), "/", dir, "A"), rb(sb.get(), "/", dir, "B");
  std::vector<std::string> lines;
  TempDir tmp;
  DiffOptions o;
  o.scratch_dir = tmp.path();
  o.memory_bytes = memory;
  auto s = DiffTrees(&ra, &rb, o, [&](const DiffEntry& e) {
    lines.push_back(DiffEntryText(e));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (s.ok() && stats) *stats = *s;
  std::sort(lines.begin(), lines.end());
  return lines;
}

class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TEST_UseFakeClock(1700000000);
    v_ = NewMemVolume(dir_.path());
    ASSERT_NE(v_, nullptr);
    Ino docs = *v_->Mkdir(kRootInode, "docs", {.mode = 0755});
    CreateTestFile(v_.get(), docs, "a.txt", "aaa");
    CreateTestFile(v_.get(), docs, "keep", "kept");
    Ino old = *v_->Mkdir(kRootInode, "old", {.mode = 0755});
    CreateTestFile(v_.get(), old, "child", "c");
    CreateTestFile(v_.get(), kRootInode, "f.bin", std::string(5 << 20, 'f'));
    ASSERT_TRUE(v_->Symlink(kRootInode, "link", "docs/a.txt", {.mode = 0777}).ok());
    CreateTestFile(v_.get(), kRootInode, "x.txt", "x");
    CreateTestFile(v_.get(), kRootInode, "mode.txt", "m");
    CreateTestFile(v_.get(), kRootInode, "gone.txt", "g");
    before_ = DumpOf(v_.get());
  }
  void TearDown() override { TEST_UseRealClock(); }
  Ino At(const char* path) { return v_->Resolve(path).value(); }

  TempDir dir_;
  std::unique_ptr<Volume> v_;
  std::string before_;
};

TEST_F(DiffTest, ListsExactlyTheScriptedChanges) {
  CreateTestFile(v_.get(), kRootInode, "new.txt", "n");
  ASSERT_TRUE(v_->Unlink(kRootInode, "gone.txt").ok());
  ASSERT_TRUE(v_->Rename(At("/docs"), "a.txt", kRootInode, "moved.txt").ok());
  ASSERT_TRUE(v_->Rename(kRootInode, "old", kRootInode, "older").ok());
  ASSERT_TRUE(v_->Write(At("/f.bin"), 4096, "overwritten").ok());
  Attr mode;
  mode.mode = 0600;
  ASSERT_TRUE(v_->SetAttr(At("/mode.txt"), kSetMode, mode).ok());
  ASSERT_TRUE(v_->SetXattr(At("/x.txt"), "user.tag", "v").ok());
  ASSERT_TRUE(v_->Unlink(kRootInode, "link").ok());
  ASSERT_TRUE(v_->Symlink(kRootInode, "link", "moved.txt", {.mode = 0777}).ok());
  const std::string after = DumpOf(v_.get());

  DiffStats st;
  auto lines = Diff(before_, after, &st);
  std::vector<std::string> files;  // directories' own time and link changes aside
  for (const auto& l : lines) {
    if (l.rfind("M ", 0) == 0 && l.find("/ (") != std::string::npos) {
      EXPECT_EQ(l.find("content"), std::string::npos) << l;
      continue;
    }
    files.push_back(l);
  }
  std::vector<std::string> want = {
      "+ /link",  // a new symlink (a new inode) where the old one was removed
      "+ /new.txt",
      "- /gone.txt",
      "- /link",
      "M /f.bin (content, mtime, ctime)",
      "M /mode.txt (mode, ctime)",
      "M /x.txt (xattrs)",  // setting an xattr leaves ctime, as in JuiceFS
      "R /docs/a.txt -> /moved.txt (ctime)",
      "R /old/ -> /older/ (ctime)",
  };
  std::sort(want.begin(), want.end());
  EXPECT_EQ(files, want);
  // The renamed directory's child is not reported: it kept its name and place.
  for (const auto& l : lines) EXPECT_EQ(l.find("child"), std::string::npos) << l;
  EXPECT_EQ(st.renamed, 2u);
  EXPECT_EQ(st.added, 2u);
  EXPECT_EQ(st.removed, 2u);

  // Only one directory.
  auto docs = Diff(before_, after, nullptr, "/docs");
  EXPECT_EQ(docs, (std::vector<std::string>{"- /docs/a.txt", "M /docs/ (mtime, ctime)"}));
  // The same with a spill budget of a few records: runs on disk, same answer.
  DiffStats small;
  EXPECT_EQ(Diff(before_, after, &small, "/", 300), lines);
  EXPECT_GT(small.spilled_bytes, 0u);
  // A state against itself: nothing.
  EXPECT_TRUE(Diff(after, after, nullptr).empty());
}

TEST_F(DiffTest, ChangeInsideARenamedDirectoryIsReportedAtItsNewPath) {
  ASSERT_TRUE(v_->Rename(kRootInode, "old", kRootInode, "older").ok());
  ASSERT_TRUE(v_->Write(At("/older/child"), 0, "C").ok());
  ASSERT_TRUE(v_->Rename(At("/docs"), "keep", At("/older"), "keep").ok());  // moved in
  auto lines = Diff(before_, DumpOf(v_.get()), nullptr);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "M /older/child (content, mtime, ctime)"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "R /docs/keep -> /older/keep (ctime)"),
            lines.end());
}

TEST(TreePathOrder, ComponentsCompareBeforeLongerNames) {
  EXPECT_LT(CompareTreePaths("/a/x", "/a-b"), 0);
  EXPECT_LT(CompareTreePaths("/a", "/a/x"), 0);
  EXPECT_LT(CompareTreePaths("/", "/a"), 0);
  EXPECT_GT(CompareTreePaths("/b", "/a/zzz"), 0);
  EXPECT_EQ(CompareTreePaths("/a/b", "/a/b"), 0);
  EXPECT_LT(CompareTreePaths("/a\x7f", "/a\xff"), 0);  // bytes, unsigned
}

TEST(SortedSpillTest, KeyOrderAndInsertionOrderWithinAKeyAcrossRuns) {
  TempDir dir;
  SortedSpill spill(dir.path(), 200);  // a run every few records
  std::multimap<uint64_t, std::string> want;
  for (int i = 0; i < 500; i++) {
    uint64_t key = (i * 7919) % 37;
    std::string v = "v" + std::to_string(i);
    ASSERT_TRUE(spill.Add(key, v).ok());
    want.emplace(key, v);  // multimap keeps insertion order within a key
  }
  std::vector<std::pair<uint64_t, std::string>> got;
  ASSERT_TRUE(spill
                  .ForEach([&](uint64_t k, std::string_view p) {
                    got.emplace_back(k, std::string(p));
                    return Status::OK();
                  })
                  .ok());
  using Pairs = std::vector<std::pair<uint64_t, std::string>>;
  EXPECT_EQ(got, Pairs(want.begin(), want.end()));
  EXPECT_GT(spill.spilled_bytes(), 0u);
}

}  // namespace
}  // namespace jfsbr
