// check finds each kind of damage, named in one line.
#include "fs/check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "fs/volume.h"
#include "meta/registry.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

class CheckTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = OpenMeta(FreshMetaUrl(EngineKind(GetParam()), dir_.path()), true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    FormatOptions o;
    o.name = "checkvol";
    UseFreshStore(StoreKind(GetParam()), dir_.path(), &o);
    ASSERT_TRUE(FormatVolume(e->get(), o).ok());
    vol_ = std::move(*Volume::Open(std::move(*e)));
    d_ = *vol_->Mkdir(kRootInode, "d", {.mode = 0755});
    *vol_->Mkdir(d_, "sub", {.mode = 0755});
    f_ = *vol_->CreateFile(d_, "f", {.mode = 0644}, 0, {});
    ASSERT_TRUE(vol_->Write(f_, 0, "hello").ok());
    ASSERT_TRUE(vol_->Link(f_, kRootInode, "link").ok());
  }

  std::string Problems(bool warnings = false) {
    auto snap = vol_->meta()->Snapshot();
    auto r = CheckVolume(snap->get());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::string all;
    for (const auto& p : warnings ? r->warnings : r->problems) all += p + "\n";
    return all;
  }
  std::string Warnings() { return Problems(true); }

  void Put(const RecordKey& k, const std::string& v) {
    RecordBatch b;
    b.Put(k, v);
    ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  }

  void ExpectProblem(const std::function<void()>& damage, const std::string& needle) {
    damage();
    std::string p = Problems();
    EXPECT_NE(p.find(needle), std::string::npos) << "want '" << needle << "' in:\n" << p;
  }
  // A state JuiceFS leaves in normal use: a warning, and no problem.
  void ExpectWarning(const std::function<void()>& state, const std::string& needle) {
    state();
    std::string w = Warnings();
    EXPECT_NE(w.find(needle), std::string::npos) << "want '" << needle << "' in:\n" << w;
    EXPECT_EQ(Problems(), "");
  }

  Attr AttrOf(Ino ino) { return *vol_->GetAttr(ino); }

  TempDir dir_;
  std::unique_ptr<Volume> vol_;
  Ino d_ = 0, f_ = 0;
};

TEST_P(CheckTest, HealthyVolumePasses) {
  EXPECT_EQ(Problems(), "");
  EXPECT_EQ(Warnings(), "");
}

TEST_P(CheckTest, WrongFileNlink) {
  ExpectProblem(
      [&] {
        Attr a = AttrOf(f_);
        a.nlink = 5;
        Put(RecordKey::Attr(f_), EncodeAttr(a));
      },
      "has nlink 5 but 2 entries");
}

TEST_P(CheckTest, WrongDirNlink) {
  ExpectProblem(
      [&] {
        Attr a = AttrOf(d_);
        a.nlink = 2;
        Put(RecordKey::Attr(d_), EncodeAttr(a));
      },
      "dir " + std::to_string(d_) + " has nlink 2, want 3");
}

// JuiceFS flushes usage records and the usage counters in the background.
TEST_P(CheckTest, LaggingUsageIsAWarning) {
  ExpectWarning(
      [&] {
        Put(RecordKey::DirStat(d_), EncodeDirStat({1, 2, 3}));
      },
      "usage record says length 1 space 2 inodes 3, its entries add up to length 5 "
      "space 8192 inodes 2");
  ExpectWarning([&] { Put(RecordKey::Counter("usedSpace"), EncodeCounterLE(1)); },
                "counter usedSpace is 1, the volume holds 12288");
  ExpectWarning(
      [&] {
        RecordBatch b;
        b.Delete(RecordKey::DirStat(d_));
        ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
      },
      "has no usage record (U) yet");
}

TEST_P(CheckTest, WrongCounters) {
  ExpectProblem([&] { Put(RecordKey::Counter("nextInode"), EncodeCounterLE(2)); },
                "counter nextInode is 2, not above inode");
}

TEST_P(CheckTest, DanglingEntryAndOrphanInode) {
  ExpectProblem(
      [&] {
        Put(RecordKey::Entry(d_, "ghost"), EncodeDentry({FileType::kFile, 999}));
      },
      "has an entry for inode 999, which has no attr");
  ExpectProblem(
      [&] {
        Attr a = AttrOf(f_);
        a.parent = d_;
        a.nlink = 1;
        Put(RecordKey::Attr(998), EncodeAttr(a));
      },
      "inode 998 is not reachable");
}

// A detached node (N) is the top dir of a clone JuiceFS did not finish.
TEST_P(CheckTest, DetachedNodeIsAWarning) {
  Attr a = AttrOf(d_);
  a.nlink = 2;
  Put(RecordKey::Attr(997), EncodeAttr(a));
  EXPECT_NE(Problems().find("inode 997 is not reachable"), std::string::npos);
  ExpectWarning([&] { Put(RecordKey::Detached(997), EncodeCounterBE(1)); },
                "inode 997 is detached");
}

TEST_P(CheckTest, WrongParentCounter) {
  if (IsSqlEngine(EngineKind(GetParam()))) {
    // SQL counts a hard link's parents from its edges: a counter written
    // is dropped, and the count read is the edges'.
    Put(RecordKey::Parent(f_, kRootInode), EncodeCounterLE(3));
    auto v = vol_->meta()->Get(RecordKey::Parent(f_, kRootInode));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(*v, std::optional<std::string>(EncodeCounterLE(1)));
    EXPECT_EQ(Problems(), "");
    return;
  }
  ExpectProblem([&] { Put(RecordKey::Parent(f_, kRootInode), EncodeCounterLE(3)); },
                "has 1 entries in dir 1 but its parent counter says 3");
}

TEST_P(CheckTest, SliceRefs) {
  auto recs = vol_->ReadChunk(f_, 0);
  ASSERT_TRUE(recs.ok());
  const SliceRecord s = (*recs)[0];
  // More refs than uses keeps objects longer: a warning, never lowered.
  ExpectWarning([&] { Put(RecordKey::SliceRef(s.id, s.size), EncodeCounterLE(3)); },
                "is used 1 times but its ref record says 4");
  // A second chunk using the slice and no ref for it: its objects would go
  // with the first file.
  Put(RecordKey::SliceRef(s.id, s.size), EncodeCounterLE(0));
  Put(RecordKey::Chunk(f_, 7), *vol_->meta()->Get(RecordKey::Chunk(f_, 0)).value());
  ExpectProblem([] {}, "is used 2 times but its ref record says 1");
}

// A compaction on a volume with trash keeps the replaced slices' refs in a
// delayed-slices (L) record until it expires: those refs are uses.
TEST_P(CheckTest, DelayedSlicesHoldRefs) {
  auto recs = vol_->ReadChunk(f_, 0);
  ASSERT_TRUE(recs.ok());
  const SliceRecord s = (*recs)[0];
  Put(RecordKey::SliceRef(s.id, s.size), EncodeCounterLE(1));
  EXPECT_NE(Warnings().find("is used 1 times"), std::string::npos);  // no L yet
  Put(RecordKey::DelayedSlices(1700000000, 424242), EncodeDelayedSlices({{s.id, s.size}}));
  EXPECT_EQ(Problems(), "");
  EXPECT_EQ(Warnings(), "");
  Put(RecordKey::SliceRef(s.id, s.size), EncodeCounterLE(0));
  EXPECT_NE(Problems().find("is used 1 times (+1 delayed by a compaction) but its ref record "
                            "says 1"),
            std::string::npos)
      << Problems();
}

TEST_P(CheckTest, NoSettingIsNotAVolume) {
  ExpectProblem(
      [&] {
        RecordBatch b;
        b.Delete(RecordKey::Setting());
        ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
      },
      "no volume setting");
}

INSTANTIATE_TEST_SUITE_P(Engines, CheckTest,
                         ::testing::Values("memkv", "rocksdb", "etcd", "sqlite3", "postgres",
                                           "mariadb", "redis", "rocksdb+s3"),
                         TestKindName);

// A volume too big for the check's memory gives the same report through
// sorted runs on disk as it does in memory.
TEST(CheckSpillTest, SpilledRunsGiveTheSameReport) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path());
  ASSERT_NE(vol, nullptr);
  std::vector<Ino> files;
  for (int d = 0; d < 40; d++) {
    auto dino = vol->Mkdir(kRootInode, "d" + std::to_string(d), {.mode = 0755});
    ASSERT_TRUE(dino.ok());
    for (int f = 0; f < 60; f++) {
      auto ino = vol->CreateFile(*dino, "f" + std::to_string(f), {.mode = 0644}, 0, {});
      ASSERT_TRUE(ino.ok());
      if (f % 15 == 0) {
        ASSERT_TRUE(vol->Write(*ino, 0, "data " + std::to_string(*ino)).ok());
      }
      files.push_back(*ino);
    }
  }
  ASSERT_TRUE(vol->Link(files[7], kRootInode, "hard").ok());
  // Damage spread over the volume: an nlink, an entry without an attr, a
  // missing usage record, a slice used twice with one ref.
  RecordBatch b;
  Attr a = *vol->GetAttr(files[1000]);
  a.nlink = 3;
  b.Put(RecordKey::Attr(files[1000]), EncodeAttr(a));
  b.Put(RecordKey::Entry(kRootInode, "ghost"), EncodeDentry({FileType::kFile, 999999}));
  b.Delete(RecordKey::DirStat(vol->Lookup(kRootInode, "d30")->ino));
  auto shared = vol->ReadChunk(files[0], 0);
  ASSERT_TRUE(shared.ok() && !shared->empty());
  std::string chunk;
  AppendSliceRecord(&chunk, (*shared)[0]);
  b.Put(RecordKey::Chunk(files[2000], 0), chunk);
  ASSERT_TRUE(b.CommitTo(vol->meta()).ok());

  auto report = [&](size_t memory) {
    auto snap = vol->meta()->Snapshot();
    auto r = CheckVolume(snap->get(), 1000, true, memory);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CheckReport{};
  };
  CheckReport big = report(64 << 20), small = report(1);  // 1 byte: 1,024 records a run
  EXPECT_EQ(big.inodes, small.inodes);
  EXPECT_GT(big.inodes, 2400u);
  EXPECT_EQ(big.temp_bytes, 0u);
  EXPECT_GT(small.temp_bytes, 100000u);
  EXPECT_EQ(big.entries, small.entries);
  EXPECT_EQ(big.slices, small.slices);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(big.problems), sorted(small.problems));
  EXPECT_EQ(sorted(big.warnings), sorted(small.warnings));
  EXPECT_EQ(big.repairs.size(), small.repairs.size());
  std::string all;
  for (const auto& p : small.problems) all += p + "\n";
  for (const char* want : {"nlink 3 but 1 entries", "inode 999999, which has no attr",
                           "is used 2 times but its ref record says 1"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << " not in:\n" << all;
  }
  EXPECT_EQ(small.problem_count, 3u) << all;
}

}  // namespace
}  // namespace jfsbr
