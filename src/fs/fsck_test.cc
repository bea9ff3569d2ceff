// fsck on a real volume (RocksDB + local store): a deleted block object is
// found and its file named; --repair fixes nlink and a usage record.
#include "fs/fsck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "meta/registry.h"
#include "model/block.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

class FsckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = OpenMeta("rocksdb://" + dir_.path() + "/meta", /*create=*/true);
    ASSERT_TRUE(e.ok());
    FormatOptions o;
    o.name = "fsckvol";
    o.bucket = dir_.path() + "/bucket";
    o.trash_days = 0;
    ASSERT_TRUE(FormatVolume(e->get(), o).ok());
    auto v = Volume::Open(std::move(*e));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vol_ = std::move(*v);
    auto d = vol_->Mkdir(kRootInode, "d", {.mode = 0755});
    ASSERT_TRUE(d.ok());
    dir_ino_ = *d;
    file_ = Create(dir_ino_, "f", std::string(5 << 20, 'f'));
    other_ = Create(kRootInode, "g", std::string(1000, 'g'));
  }

  Ino Create(Ino parent, const std::string& name, const std::string& data) {
    return CreateTestFile(vol_.get(), parent, name, data);
  }

  FsckReport MustFsck(FsckOptions o = {}) {
    o.threads = 3;
    auto r = Fsck(vol_.get(), o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : FsckReport{};
  }

  TempDir dir_;
  std::unique_ptr<Volume> vol_;
  Ino dir_ino_ = 0, file_ = 0, other_ = 0;
};

TEST_F(FsckTest, HealthyVolume) {
  auto r = MustFsck();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.blocks, 3u);  // 4 MiB + 1 MiB, and 1000 bytes
  EXPECT_TRUE(r.broken.empty());
}

TEST_F(FsckTest, DeletedBlockNamesTheBrokenFile) {
  auto recs = vol_->ReadChunk(file_, 0);
  ASSERT_TRUE(recs.ok());
  ASSERT_TRUE(vol_->store()->Delete(BlockKey((*recs)[0].id, 1, 1 << 20, false)).ok());
  for (FsckOptions o :
       {FsckOptions{}, FsckOptions{.path = "/d", .recursive = true}, FsckOptions{.path = "/d/f"}}) {
    auto r = MustFsck(o);
    EXPECT_FALSE(r.ok()) << o.path;
    EXPECT_EQ(r.lost_blocks, 1u) << o.path;
    EXPECT_EQ(r.lost_bytes, 1u << 20) << o.path;
    ASSERT_EQ(r.broken.size(), 1u) << o.path;
    EXPECT_EQ(r.broken[0].ino, file_);
    EXPECT_EQ(r.broken[0].path, "/d/f");
  }
  // Elsewhere nothing is broken; a non-recursive dir check sees no files below.
  EXPECT_TRUE(MustFsck({.path = "/g"}).ok());
  EXPECT_EQ(MustFsck({.path = "/"}).lost_blocks, 1u);
  // An object of the wrong size is damaged too.
  std::string key = BlockKey((*recs)[0].id, 0, 4 << 20, false);
  ASSERT_TRUE(vol_->store()->Put(key, "short").ok());
  auto r = MustFsck();
  EXPECT_EQ(r.wrong_size, 1u);
  EXPECT_EQ(r.lost_blocks, 1u);
}

TEST_F(FsckTest, ADamagedSharedSliceBreaksEveryFileUsingIt) {
  auto recs = vol_->ReadChunk(file_, 0);
  ASSERT_TRUE(recs.ok());
  // A second file on the same slice (as a clone makes it), with its second reference.
  auto twin =
      vol_->CreateFile(kRootInode, "twin", {.mode = 0644}, 5 << 20, {ChunkSlice{0, (*recs)[0]}});
  ASSERT_TRUE(twin.ok()) << twin.status().ToString();
  RecordBatch b;
  b.Put(RecordKey::SliceRef((*recs)[0].id, (*recs)[0].size), EncodeCounterLE(1));
  ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  ASSERT_TRUE(MustFsck().ok());
  ASSERT_TRUE(vol_->store()->Delete(BlockKey((*recs)[0].id, 0, 4 << 20, false)).ok());
  auto r = MustFsck();
  EXPECT_EQ(r.lost_blocks, 1u);
  ASSERT_EQ(r.broken.size(), 2u);
  std::vector<std::string> paths = {r.broken[0].path, r.broken[1].path};
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/d/f", "/twin"}));
}

TEST_F(FsckTest, RepairFixesNlinkAndDirStat) {
  auto a = vol_->GetAttr(other_);
  ASSERT_TRUE(a.ok());
  a->nlink = 7;
  auto d = vol_->GetAttr(dir_ino_);
  ASSERT_TRUE(d.ok());
  d->nlink = 9;
  RecordBatch b;
  b.Put(RecordKey::Attr(other_), EncodeAttr(*a));
  b.Put(RecordKey::Attr(dir_ino_), EncodeAttr(*d));
  b.Put(RecordKey::DirStat(dir_ino_), EncodeDirStat({1, 4096, 5}));
  b.Put(RecordKey::Counter("usedSpace"), EncodeCounterLE(12345));
  ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  auto r = MustFsck();
  EXPECT_FALSE(r.check.ok());
  EXPECT_EQ(r.check.problem_count, 2u);  // the nlinks
  EXPECT_EQ(r.check.warning_count, 2u);  // usage lagging, as JuiceFS's may
  EXPECT_EQ(r.check.repairs.size(), 4u);
  EXPECT_TRUE(r.repairs.applied.empty());  // not without repair
  r = MustFsck({.repair = true});
  EXPECT_EQ(r.repairs.applied.size(), 4u);
  EXPECT_TRUE(r.repairs.skipped.empty());
  auto snap = vol_->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  auto after = CheckVolume(snap->get());
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok()) << (after->problems.empty() ? "" : after->problems[0]);
  EXPECT_EQ(vol_->GetAttr(other_)->nlink, 1u);
  EXPECT_EQ(vol_->GetAttr(dir_ino_)->nlink, 2u);
  EXPECT_TRUE(MustFsck().ok());
}

// On a volume that keeps JuiceFS's change log, a repair (which JuiceFS would
// log) is refused in one line and nothing is written; the check still runs.
TEST_F(FsckTest, RepairIsRefusedOnAChangeLogVolume) {
  auto a = vol_->GetAttr(other_);
  ASSERT_TRUE(a.ok());
  a->nlink = 7;
  VolumeFormat f = vol_->format();
  f.change_log = true;
  RecordBatch b;
  b.Put(RecordKey::Attr(other_), EncodeAttr(*a));
  b.Put(RecordKey::Setting(), EncodeSetting(f));
  ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  vol_.reset();
  auto e = OpenMeta("rocksdb://" + dir_.path() + "/meta");
  ASSERT_TRUE(e.ok());
  auto v = Volume::Open(std::move(*e));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  vol_ = std::move(*v);
  EXPECT_EQ(MustFsck().check.problem_count, 1u);
  FsckOptions o;
  o.repair = true;
  auto r = Fsck(vol_.get(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("change log"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(vol_->GetAttr(other_)->nlink, 7u);
}

TEST_F(FsckTest, RepairSkipsARecordChangedSinceTheCheck) {
  auto a = vol_->GetAttr(other_);
  ASSERT_TRUE(a.ok());
  a->nlink = 7;
  RecordBatch b;
  b.Put(RecordKey::Attr(other_), EncodeAttr(*a));
  ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  auto snap = vol_->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  auto report = CheckVolume(snap->get());
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->repairs.size(), 1u);
  a->nlink = 3;  // someone else wrote it meanwhile
  RecordBatch c;
  c.Put(RecordKey::Attr(other_), EncodeAttr(*a));
  ASSERT_TRUE(c.CommitTo(vol_->meta()).ok());
  auto applied = ApplyRepairs(vol_->meta(), report->repairs);
  ASSERT_TRUE(applied.ok());
  EXPECT_TRUE(applied->applied.empty());
  EXPECT_EQ(applied->skipped.size(), 1u);
  EXPECT_EQ(vol_->GetAttr(other_)->nlink, 3u);
}

// JuiceFS's state after compacting a chunk whose slices another file shares
// (a clone), on a volume with trash: the replaced slices keep their refs in a
// delayed-slices record. Neither check nor --repair may take those refs away,
// or the purge of the record deletes objects the clone still reads.
TEST(FsckDelayedSlices, RepairAndPurgeKeepASharedSliceReadable) {
  TempDir dir;
  auto v = NewMemVolume(dir.path(), {.trash_days = 1});
  ASSERT_NE(v, nullptr);
  Volume* vol = v.get();
  Ino a = CreateTestFile(vol, kRootInode, "a", std::string(3000, 'a'));
  ASSERT_TRUE(vol->Write(a, 1000, std::string(1000, 'b')).ok());  // a second slice
  const std::string want = std::string(1000, 'a') + std::string(1000, 'b') + std::string(1000, 'a');
  // The clone: b's chunk names a's slices, and each slice's ref goes up.
  Ino b = CreateTestFile(vol, kRootInode, "b", "");
  auto chunk = vol->meta()->Get(RecordKey::Chunk(a, 0));
  ASSERT_TRUE(chunk.ok() && *chunk);
  auto recs = DecodeChunk(**chunk);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  auto battr = vol->GetAttr(b);
  ASSERT_TRUE(battr.ok());
  battr->length = want.size();
  RecordBatch clone;
  clone.Put(RecordKey::Chunk(b, 0), **chunk);
  clone.Put(RecordKey::Attr(b), EncodeAttr(*battr));
  for (const auto& r : *recs) clone.Put(RecordKey::SliceRef(r.id, r.size), EncodeCounterLE(1));
  ASSERT_TRUE(clone.CommitTo(vol->meta()).ok());
  auto done = vol->CompactChunk(a, 0);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_TRUE(done->changed);
  auto r = Fsck(vol, {.repair = true, .threads = 2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->check.ok()) << (r->check.problems.empty() ? "" : r->check.problems[0]);
  // The usage record and counter of b lag (the clone above wrote no usage):
  // those are the only repairs.
  for (const auto& fix : r->repairs.applied) EXPECT_EQ(fix.find("slice"), std::string::npos) << fix;
  auto purged = vol->PurgeDelayedSlices(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(purged->records, 1u);
  for (Ino ino : {a, b}) {
    auto got = vol->Read(ino, 0, want.size());
    ASSERT_TRUE(got.ok()) << ino << ": " << got.status().ToString();
    EXPECT_EQ(*got, want) << ino;
  }
  auto after = Fsck(vol, {.threads = 2});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->ok()) << (after->check.problems.empty() ? "" : after->check.problems[0]);
  EXPECT_EQ(after->lost_blocks, 0u);
}

}  // namespace
}  // namespace jfsbr
