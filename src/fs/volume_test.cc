// Volume operations on every engine (memkv, RocksDB) over a real local store.
// Each test ends by checking the volume-wide invariants from scratch.
#include "fs/volume.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "fs/check.h"
#include "meta/registry.h"
#include "model/block.h"
#include "model/secrets.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t v = rng();
    memcpy(&s[i], &v, std::min<size_t>(4, n - i));
  }
  return s;
}

class VolumeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { Format(1); }

  void Format(int64_t trash_days) {
    vol_.reset();
    meta_url_ = FreshMetaUrl(EngineKind(GetParam()), dir_.path());
    auto e = OpenMeta(meta_url_, /*create=*/true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    FormatOptions o;
    o.name = "testvol";
    UseFreshStore(StoreKind(GetParam()), dir_.path(), &o);
    o.trash_days = trash_days;
    options_ = o;
    auto f = FormatVolume(e->get(), o);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    auto v = Volume::Open(std::move(*e));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vol_ = std::move(*v);
  }

  Ino MustCreate(Ino parent, const std::string& name, const std::string& data) {
    return CreateTestFile(vol_.get(), parent, name, data);
  }

  std::string ReadAll(Ino ino) {
    auto a = vol_->GetAttr(ino);
    EXPECT_TRUE(a.ok());
    auto r = vol_->Read(ino, 0, a->length);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }

  int64_t Counter(const char* name) { return *vol_->Counter(name); }

  // The volume-wide invariants, checked from scratch after every test.
  void CheckInvariants() {
    auto snap = vol_->meta()->Snapshot();
    ASSERT_TRUE(snap.ok());
    auto report = CheckVolume(snap->get());
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    std::string problems;
    for (const auto& p : report->problems) problems += p + "\n";
    EXPECT_TRUE(report->ok()) << problems;
  }

  void TearDown() override {
    if (vol_ && !HasFatalFailure()) CheckInvariants();
  }

  TempDir dir_;
  std::string meta_url_;
  FormatOptions options_;
  std::unique_ptr<Volume> vol_;
};

TEST_P(VolumeTest, FormatWritesJuiceFsInitialState) {
  EXPECT_EQ(Counter("nextInode"), 2);
  EXPECT_EQ(Counter("nextChunk"), 1);
  auto root = vol_->GetAttr(kRootInode);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->mode, 0777);
  EXPECT_EQ(root->nlink, 2u);
  EXPECT_EQ(root->length, 4096u);
  EXPECT_EQ(root->parent, kRootInode);
  EXPECT_EQ(vol_->GetAttr(kTrashInode)->mode, 0555);
  auto base = OpenStore(options_.storage, options_.bucket);
  ASSERT_TRUE(base.ok());
  auto uuid = (*base)->Get("testvol/juicefs_uuid");
  ASSERT_TRUE(uuid.ok()) << uuid.status().ToString();
  EXPECT_EQ(*uuid, vol_->format().uuid);
  EXPECT_EQ(vol_->format().bucket, *NormalizeBucket(options_.storage, options_.bucket));
  FormatOptions again = options_;
  again.trash_days = 1;
  EXPECT_TRUE(FormatVolume(vol_->meta(), again).status().Is(Code::kExists));
  again.force = true;
  again.trash_days = 3;
  auto f = FormatVolume(vol_->meta(), again);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->trash_days, 3);
  EXPECT_EQ(f->uuid, vol_->format().uuid);
}

TEST_P(VolumeTest, FileSpanningThreeChunks) {
  const size_t n = 2 * kChunkSize + (3 << 20) + 12345;  // 131 MiB and a bit
  std::string data = Pattern(n, 1);
  Ino ino = MustCreate(kRootInode, "big", data);
  EXPECT_EQ(ReadAll(ino), data);
  for (uint32_t c = 0; c < 3; c++) {
    auto recs = vol_->ReadChunk(ino, c);
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), 1u) << "one slice per chunk for a sequential write";
  }
  auto part = vol_->Read(ino, kChunkSize - 10, 20);  // across a chunk border
  EXPECT_EQ(*part, data.substr(kChunkSize - 10, 20));
  EXPECT_EQ(Counter("usedSpace"), Align4K(n));
}

TEST_P(VolumeTest, OverwritesCreateOverlappingSlices) {
  std::string model = Pattern(10 << 20, 2);
  Ino ino = MustCreate(kRootInode, "f", model);
  std::string a = Pattern(3 << 20, 3), b = Pattern(100, 4), c = Pattern(5 << 20, 5);
  ASSERT_TRUE(vol_->Write(ino, 1 << 20, a).ok());
  model.replace(1 << 20, a.size(), a);
  ASSERT_TRUE(vol_->Write(ino, (11 << 20) / 2, b).ok());
  model.replace((11 << 20) / 2, b.size(), b);
  ASSERT_TRUE(vol_->Write(ino, 8 << 20, c).ok());  // extends the file
  model.resize(13 << 20);
  model.replace(8 << 20, c.size(), c);
  EXPECT_EQ(vol_->ReadChunk(ino, 0)->size(), 4u);
  EXPECT_EQ(vol_->GetAttr(ino)->length, model.size());
  EXPECT_EQ(ReadAll(ino), model);
  EXPECT_EQ(*vol_->Read(ino, (1 << 20) - 7, 20), model.substr((1 << 20) - 7, 20));
}

TEST_P(VolumeTest, RandomWritesAndTruncatesMatchAModel) {
  // Random overlapping writes (some across chunk borders) and truncates,
  // checked against a plain byte string after every step.
  std::mt19937 rng(42);
  std::string model;
  Ino ino = MustCreate(kRootInode, "model", "");
  const uint64_t span = kChunkSize + (8 << 20);  // touches chunks 0 and 1
  for (int step = 0; step < 60; step++) {
    if (rng() % 5 == 0) {
      uint64_t len = rng() % span;
      ASSERT_TRUE(vol_->Truncate(ino, len).ok());
      model.resize(len, '\0');
    } else {
      uint64_t off = rng() % span;
      std::string data = Pattern(1 + rng() % (6 << 20), static_cast<uint32_t>(step));
      ASSERT_TRUE(vol_->Write(ino, off, data).ok());
      if (model.size() < off + data.size()) model.resize(off + data.size(), '\0');
      model.replace(off, data.size(), data);
    }
    ASSERT_EQ(vol_->GetAttr(ino)->length, model.size()) << "step " << step;
    uint64_t probe = model.empty() ? 0 : rng() % model.size();
    ASSERT_EQ(*vol_->Read(ino, probe, 1 << 20), model.substr(probe, 1 << 20)) << "step " << step;
  }
  EXPECT_EQ(ReadAll(ino), model);
}

TEST_P(VolumeTest, EmptyFilesSparseHolesAndTruncate) {
  Ino empty = MustCreate(kRootInode, "empty", "");
  EXPECT_EQ(vol_->GetAttr(empty)->length, 0u);
  EXPECT_EQ(ReadAll(empty), "");
  EXPECT_TRUE(vol_->ReadChunk(empty, 0)->empty());
  Ino sparse = MustCreate(kRootInode, "sparse", "head");
  ASSERT_TRUE(vol_->Write(sparse, 100 << 20, "tail").ok());
  std::string got = ReadAll(sparse);
  ASSERT_EQ(got.size(), (100u << 20) + 4);
  EXPECT_EQ(got.substr(0, 4), "head");
  EXPECT_EQ(got.substr(got.size() - 4), "tail");
  EXPECT_EQ(got.find_first_not_of('\0', 4), got.size() - 4);
  ASSERT_TRUE(vol_->Truncate(sparse, 2).ok());
  EXPECT_EQ(ReadAll(sparse), "he");
  ASSERT_TRUE(vol_->Truncate(sparse, 200 << 20).ok());  // grows with zeros
  got = ReadAll(sparse);
  EXPECT_EQ(got.size(), 200u << 20);
  EXPECT_EQ(got.find_first_not_of('\0', 2), std::string::npos);
}

TEST_P(VolumeTest, SymlinksHardLinksAndXattrs) {
  NodeSpec dir{.mode = 0755};
  Ino d1 = *vol_->Mkdir(kRootInode, "d1", dir);
  Ino d2 = *vol_->Mkdir(kRootInode, "d2", dir);
  Ino f = MustCreate(d1, "f", "hello");
  ASSERT_TRUE(vol_->Link(f, d2, "g").ok());
  ASSERT_TRUE(vol_->Link(f, d2, "h").ok());
  auto a = vol_->GetAttr(f);
  EXPECT_EQ(a->nlink, 3u);
  EXPECT_EQ(a->parent, 0u);
  EXPECT_EQ(*DecodeCounterLE(**vol_->meta()->Get(RecordKey::Parent(f, d1))), 1);
  EXPECT_EQ(*DecodeCounterLE(**vol_->meta()->Get(RecordKey::Parent(f, d2))), 2);
  {
    Status w = vol_->Write(f, 5, " world");
    ASSERT_TRUE(w.ok()) << w.ToString();
  }  // updates usage of every parent
  EXPECT_EQ(ReadAll(*vol_->Resolve("/d2/h")), "hello world");
  EXPECT_TRUE(vol_->Link(d1, d2, "x").Is(Code::kPermission));
  EXPECT_TRUE(vol_->Link(f, d2, "g").Is(Code::kExists));

  Ino s = *vol_->Symlink(kRootInode, "s", "d1/f", {});
  EXPECT_EQ(*vol_->ReadLink(s), "d1/f");
  EXPECT_EQ(vol_->GetAttr(s)->length, 4u);

  ASSERT_TRUE(vol_->SetXattr(f, "user.k", std::string("v\0\xff", 3)).ok());
  ASSERT_TRUE(vol_->SetXattr(f, "user.a", "").ok());
  EXPECT_EQ(*vol_->GetXattr(f, "user.k"), std::string("v\0\xff", 3));
  EXPECT_EQ(*vol_->ListXattr(f), (std::vector<std::string>{"user.a", "user.k"}));
  ASSERT_TRUE(vol_->RemoveXattr(f, "user.a").ok());
  EXPECT_TRUE(vol_->GetXattr(f, "user.a").status().Is(Code::kNotFound));
  EXPECT_TRUE(vol_->RemoveXattr(f, "user.a").Is(Code::kNotFound));

  Format(0);  // the same without trash: unlinking links
  d1 = *vol_->Mkdir(kRootInode, "d1", dir);
  f = MustCreate(d1, "f", "x");
  ASSERT_TRUE(vol_->Link(f, kRootInode, "l").ok());
  ASSERT_TRUE(vol_->Unlink(d1, "f").ok());
  EXPECT_EQ(vol_->GetAttr(f)->nlink, 1u);
  EXPECT_EQ(ReadAll(f), "x");
}

TEST_P(VolumeTest, OddNamesRoundTrip) {
  std::vector<std::string> names = {
      "name with spaces",         "100%",     "%41", std::string("bad\xff\xfe", 5),
      "\xe6\x9e\x9c\xe6\xb1\x81", "tab\there"};
  for (const auto& n : names) MustCreate(kRootInode, n, n);
  auto entries = vol_->ReadDir(kRootInode);
  ASSERT_EQ(entries->size(), names.size());
  for (const auto& n : names) EXPECT_EQ(ReadAll(*vol_->Resolve("/" + n)), n);
  EXPECT_TRUE(vol_->Mkdir(kRootInode, std::string(256, 'a'), {}).status().Is(Code::kNameTooLong));
  EXPECT_TRUE(vol_->Mkdir(kRootInode, std::string(255, 'a'), {}).ok());
  EXPECT_TRUE(vol_->Mkdir(kRootInode, ".trash", {}).status().Is(Code::kPermission));
  EXPECT_TRUE(vol_->Resolve("/no/such").status().Is(Code::kNotFound));
  EXPECT_TRUE(vol_->Mkdir(kRootInode, "100%", {}).status().Is(Code::kExists));
}

TEST_P(VolumeTest, RenameMovesFilesAndDirectories) {
  Ino a = *vol_->Mkdir(kRootInode, "a", {.mode = 0755});
  Ino b = *vol_->Mkdir(kRootInode, "b", {.mode = 0755});
  Ino sub = *vol_->Mkdir(a, "sub", {.mode = 0755});
  MustCreate(sub, "f", "data");
  Ino g = MustCreate(b, "g", "old");
  ASSERT_TRUE(vol_->Rename(a, "sub", b, "moved").ok());
  EXPECT_EQ(vol_->GetAttr(a)->nlink, 2u);
  EXPECT_EQ(vol_->GetAttr(b)->nlink, 3u);
  EXPECT_EQ(vol_->GetAttr(sub)->parent, b);
  EXPECT_EQ(ReadAll(*vol_->Resolve("/b/moved/f")), "data");
  EXPECT_TRUE(vol_->Rename(kRootInode, "b", sub, "loop").Is(Code::kInvalidArgument));
  ASSERT_TRUE(vol_->Rename(sub, "f", b, "g").ok());  // replaces g (to the trash)
  EXPECT_EQ(ReadAll(*vol_->Resolve("/b/g")), "data");
  auto trashed = vol_->ReadDir(kTrashInode + 1);  // the replaced g went to the trash
  ASSERT_TRUE(trashed.ok());
  ASSERT_EQ(trashed->size(), 1u);
  EXPECT_EQ((*trashed)[0].name, std::to_string(b) + "-" + std::to_string(g) + "-g");
  EXPECT_EQ(ReadAll(g), "old");
  EXPECT_TRUE(vol_->Rename(b, "g", b, "moved").Is(Code::kIsDirectory));
  EXPECT_TRUE(vol_->Rename(b, "nope", a, "x").Is(Code::kNotFound));
}

TEST_P(VolumeTest, RemoveGoesToHourlyTrash) {
  Ino d = *vol_->Mkdir(kRootInode, "d", {.mode = 0755});
  Ino f = MustCreate(d, "f", "content");
  int64_t space = Counter("usedSpace");
  // Like JuiceFS, the hourly dir is made before the removal is tried.
  EXPECT_TRUE(vol_->Rmdir(kRootInode, "d").Is(Code::kNotEmpty));
  EXPECT_TRUE(vol_->Unlink(kRootInode, "d").Is(Code::kIsDirectory));
  ASSERT_TRUE(vol_->Unlink(d, "f").ok());
  auto hours = vol_->ReadDir(kTrashInode);
  ASSERT_EQ(hours->size(), 1u);
  EXPECT_EQ((*hours)[0].name.size(), 13u);  // YYYY-MM-DD-HH
  EXPECT_EQ((*hours)[0].dentry.ino, kTrashInode + 1);
  auto trashed = vol_->ReadDir(kTrashInode + 1);
  ASSERT_EQ(trashed->size(), 1u);
  EXPECT_EQ((*trashed)[0].name, std::to_string(d) + "-" + std::to_string(f) + "-f");
  EXPECT_EQ(vol_->GetAttr(f)->parent, kTrashInode + 1);
  EXPECT_EQ(ReadAll(f), "content");
  EXPECT_EQ(Counter("usedSpace"), space + 4096);  // the hourly dir
  ASSERT_TRUE(vol_->Rmdir(kRootInode, "d").ok());
  EXPECT_EQ(vol_->ReadDir(kTrashInode + 1)->size(), 2u);
  EXPECT_EQ(Counter("nextTrash"), 1);
  // Put both back, as `restore --put-back` would.
  std::string dname = "1-" + std::to_string(d) + "-d";
  ASSERT_TRUE(vol_->Rename(kTrashInode + 1, dname, kRootInode, "d").ok());
  ASSERT_TRUE(vol_->Rename(kTrashInode + 1, (*trashed)[0].name, d, "f").ok());
  EXPECT_EQ(ReadAll(*vol_->Resolve("/d/f")), "content");
  EXPECT_EQ(vol_->GetAttr(kTrashInode + 1)->nlink, 2u);
  EXPECT_EQ(vol_->GetAttr(d)->parent, kRootInode);
}

TEST_P(VolumeTest, RemoveWithoutTrashDeletesDataAndObjects) {
  Format(0);
  Ino f = MustCreate(kRootInode, "f", Pattern(5 << 20, 9));
  auto recs = vol_->ReadChunk(f, 0);
  uint64_t id = (*recs)[0].id;
  std::string obj = BlockKey(id, 1, 1 << 20, false);
  ASSERT_TRUE(vol_->store()->Head(obj).ok());
  Status unlinked = vol_->Unlink(kRootInode, "f");
  ASSERT_TRUE(unlinked.ok()) << unlinked.ToString();
  EXPECT_TRUE(vol_->store()->Head(obj).status().Is(Code::kNotFound));
  EXPECT_TRUE(vol_->GetAttr(f).status().Is(Code::kNotFound));
  EXPECT_FALSE(vol_->meta()->Get(RecordKey::DelFile(f, 5 << 20))->has_value());
  EXPECT_FALSE(vol_->meta()->Get(RecordKey::Chunk(f, 0))->has_value());
  EXPECT_FALSE(vol_->meta()->Get(RecordKey::SliceRef(id, 5 << 20))->has_value());
  EXPECT_FALSE(vol_->GetAttr(kTrashInode).ok());
}

// A file written in 250 appends: one chunk of 250 slice records, more than
// one etcd transaction may hold with the default max-txn-ops (128), so every
// path that drops their references goes kRefsPerTxn records a transaction.
class FragmentedChunkTest : public VolumeTest {
 protected:
  static constexpr int kSlices = 250;
  void WriteFragmented(int64_t trash_days) {
    Format(trash_days);
    file_ = *vol_->CreateFile(kRootInode, "f", {.mode = 0644}, 0, {});
    for (int i = 0; i < kSlices; i++) {
      std::string part = Pattern(100, i);
      ASSERT_TRUE(vol_->Write(file_, content_.size(), part).ok());
      content_ += part;
    }
    auto recs = vol_->ReadChunk(file_, 0);
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), size_t{kSlices});
    old_ = *recs;
    EXPECT_EQ(ReadAll(file_), content_);
  }
  // Every replaced slice: no object, no reference record.
  void ExpectOldSlicesGone() {
    for (const auto& r : old_) {
      EXPECT_TRUE(
          vol_->store()->Head(BlockKey(r.id, 0, r.size, false)).status().Is(Code::kNotFound));
      EXPECT_FALSE(vol_->meta()->Get(RecordKey::SliceRef(r.id, r.size))->has_value());
    }
  }
  Ino file_ = 0;
  std::string content_;
  std::vector<SliceRecord> old_;
};

TEST_P(FragmentedChunkTest, RemovingTheFileDropsEverySlice) {
  WriteFragmented(0);
  Status unlinked = vol_->Unlink(kRootInode, "f");
  ASSERT_TRUE(unlinked.ok()) << unlinked.ToString();
  EXPECT_FALSE(vol_->meta()->Get(RecordKey::Chunk(file_, 0))->has_value());
  ExpectOldSlicesGone();
}

TEST_P(FragmentedChunkTest, CompactionLeavesOneSliceAndDropsTheRest) {
  WriteFragmented(0);
  auto done = vol_->CompactChunk(file_, 0);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->changed);
  EXPECT_EQ(done->records, uint64_t{kSlices});
  auto recs = vol_->ReadChunk(file_, 0);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].len, content_.size());
  EXPECT_EQ(ReadAll(file_), content_);
  ExpectOldSlicesGone();
}

// Overwrites at random places and a truncation (a zero-slice) between them:
// every step of the swap, with a prefix of the records replaced by the new
// slice, must read what the whole chunk read.
TEST_P(FragmentedChunkTest, CompactionOfOverlappingWritesReadsTheSame) {
  Format(0);
  file_ = *vol_->CreateFile(kRootInode, "f", {.mode = 0644}, 0, {});
  std::mt19937 rng(7);
  for (int i = 0; i < kSlices; i++) {
    if (i == kSlices / 2) {
      ASSERT_TRUE(vol_->Truncate(file_, content_.size() / 3).ok());
      content_.resize(content_.size() / 3);
    }
    const size_t off = rng() % 30000, len = 1 + rng() % 3000;
    std::string part = Pattern(len, i);
    ASSERT_TRUE(vol_->Write(file_, off, part).ok());
    if (content_.size() < off + len) content_.resize(off + len, '\0');
    content_.replace(off, len, part);
  }
  ASSERT_GT(vol_->ReadChunk(file_, 0)->size(), size_t{kSlices});
  EXPECT_EQ(ReadAll(file_), content_);
  auto done = vol_->CompactChunk(file_, 0);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(vol_->ReadChunk(file_, 0)->size(), 1u);
  EXPECT_EQ(ReadAll(file_), content_);
}

TEST_P(FragmentedChunkTest, CompactionWithTrashPurgesItsDelayedSlicesLater) {
  WriteFragmented(1);
  auto done = vol_->CompactChunk(file_, 0);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(ReadAll(file_), content_);
  // Kept for the trash's day: the objects are still there.
  EXPECT_TRUE(vol_->store()->Head(BlockKey(old_[0].id, 0, old_[0].size, false)).ok());
  auto purged = vol_->PurgeDelayedSlices(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(purged->records, 1u);
  EXPECT_EQ(purged->slices, uint64_t{kSlices});
  EXPECT_EQ(ReadAll(file_), content_);
  ExpectOldSlicesGone();
}

// A file of 250 chunks (etcd takes ~126 writes in one transaction): its chunks
// are staged under a pending-delete record, and the file appears whole. A
// create that fails then (the name exists) leaves neither chunks nor objects.
TEST_P(VolumeTest, AFileOfManyChunksAppearsWholeOrNotAtAll) {
  constexpr uint32_t kChunks = 250;
  auto write = [&](uint32_t seed, std::vector<ChunkSlice>* slices) {
    for (uint32_t i = 0; i < kChunks; i++) {
      SliceWriter w(vol_.get(), uint64_t{i} * kChunkSize);
      ASSERT_TRUE(w.Append(Pattern(10, seed + i)).ok());
      auto done = w.Finish();
      ASSERT_TRUE(done.ok());
      slices->insert(slices->end(), done->begin(), done->end());
    }
  };
  auto count = [&](RecordKind kind) {
    size_t n = 0;
    EXPECT_TRUE(vol_->meta()->Scan(RecordRange::Kind(kind), [&](const RecordKey&, auto) {
      n++;
      return true;
    }).ok());
    return n;
  };
  const uint64_t length = uint64_t{kChunks - 1} * kChunkSize + 10;
  std::vector<ChunkSlice> slices;
  write(0, &slices);
  auto ino = vol_->CreateFile(kRootInode, "big", {.mode = 0644}, length, slices);
  ASSERT_TRUE(ino.ok()) << ino.status().ToString();
  EXPECT_EQ(vol_->GetAttr(*ino)->length, length);
  for (uint32_t i : {0u, 99u, 100u, 101u, kChunks - 1}) {
    EXPECT_EQ(*vol_->Read(*ino, uint64_t{i} * kChunkSize, 10), Pattern(10, i)) << i;
  }
  EXPECT_EQ(count(RecordKind::kDelFile), 0u);
  EXPECT_EQ(count(RecordKind::kChunk), size_t{kChunks});

  std::vector<ChunkSlice> again;
  write(1000, &again);
  auto dup = vol_->CreateFile(kRootInode, "big", {.mode = 0644}, length, again);
  EXPECT_TRUE(dup.status().Is(Code::kExists)) << dup.status().ToString();
  EXPECT_EQ(count(RecordKind::kDelFile), 0u);
  EXPECT_EQ(count(RecordKind::kChunk), size_t{kChunks});
  for (const auto& s : again) {
    EXPECT_TRUE(vol_->store()
                    ->Head(BlockKey(s.record.id, 0, s.record.size, false))
                    .status()
                    .Is(Code::kNotFound));
  }
}

// gc --delete claims a pending-delete record before deleting its inode's
// chunks, and does not when the inode has an attr: the record of a create
// that staged its chunks and completed while the gc held the record in its
// list. The file stays whole.
TEST_P(VolumeTest, CleanupLeavesTheChunksOfAnInodeThatExists) {
  std::string data = Pattern(5000, 3);
  Ino f = MustCreate(kRootInode, "f", data);
  ASSERT_TRUE(vol_->meta()
                  ->Transact([&](MetaTxn& tx) {
                    tx.Put(RecordKey::DelFile(f, data.size()), EncodeDelFileTime(1));
                    return Status::OK();
                  })
                  .ok());
  auto cleaned = vol_->CleanupDeletedFiles();
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->records, 0u);
  EXPECT_EQ(ReadAll(f), data);
  ASSERT_TRUE(vol_->meta()
                  ->Transact([&](MetaTxn& tx) {  // as the completed create does
                    tx.Delete(RecordKey::DelFile(f, data.size()));
                    return Status::OK();
                  })
                  .ok());
}

TEST_P(VolumeTest, InodesAndSlicesComeInJuiceFsBatches) {
  Ino f = MustCreate(kRootInode, "f", "x");
  EXPECT_EQ(f, 2u);
  EXPECT_EQ(Counter("nextInode"), 2 + 1024);
  EXPECT_EQ((*vol_->ReadChunk(f, 0))[0].id, 1u);
  EXPECT_EQ(Counter("nextChunk"), 1 + 4096);
}

TEST_P(VolumeTest, ConcurrentOperationsRetryAndKeepInvariants) {
  // Threads create, write, link and remove in one directory at once, so their
  // transactions conflict on the directory and its usage record and retry.
  Ino dir = *vol_->Mkdir(kRootInode, "shared", {.mode = 0755});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; i++) {
        std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto ino = vol_->CreateFile(dir, name, {.mode = 0644}, 0, {});
        ASSERT_TRUE(ino.ok()) << ino.status().ToString();
        ASSERT_TRUE(vol_->Write(*ino, 0, name).ok());
        ASSERT_TRUE(vol_->Link(*ino, dir, name + "-link").ok());
        if (i % 3 == 0) {
          ASSERT_TRUE(vol_->Unlink(dir, name).ok());
        }
        if (i % 5 == 0) {
          ASSERT_TRUE(vol_->Mkdir(dir, name + "-d", {.mode = 0755}).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(vol_->ReadDir(dir)->size(), 4u * (25 + 16 + 5));
  EXPECT_EQ(vol_->GetAttr(dir)->nlink, 2u + 4 * 5);
  EXPECT_EQ(ReadAll(*vol_->Resolve("/shared/t2-3-link")), "t2-3");
}

TEST_P(VolumeTest, HashPrefixedObjectNames) {
  vol_.reset();
  auto e = OpenMeta("memkv://hash-prefix-" + GetParam(), true);
  FormatOptions o;
  o.name = "hashvol";
  o.bucket = dir_.Sub("hash-bucket");
  o.hash_prefix = true;
  o.block_size_kib = 100;  // rounds down to 64 KiB
  auto f = FormatVolume(e->get(), o);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->block_size, 64);
  vol_ = std::move(*Volume::Open(std::move(*e)));
  std::string data = Pattern(100 << 10, 3);
  Ino ino = MustCreate(kRootInode, "f", data);
  EXPECT_EQ(ReadAll(ino), data);
  EXPECT_TRUE(std::filesystem::exists(o.bucket + "/hashvol/chunks/01/0/1_0_65536"));
  EXPECT_TRUE(std::filesystem::exists(o.bucket + "/hashvol/chunks/01/0/1_1_36864"));
}

INSTANTIATE_TEST_SUITE_P(Engines, VolumeTest,
                         ::testing::Values("memkv", "rocksdb", "etcd", "sqlite3", "postgres",
                                           "mariadb", "redis", "rocksdb+s3"),
                         TestKindName);
INSTANTIATE_TEST_SUITE_P(Engines, FragmentedChunkTest,
                         ::testing::Values("memkv", "rocksdb", "etcd", "sqlite3", "postgres",
                                           "mariadb", "redis"),
                         TestKindName);

TEST(VolumeOpenTest, UnformattedAndBadName) {
  auto e = OpenMeta("memkv://unformatted");
  ASSERT_TRUE(e.ok());
  auto v = Volume::Open(std::move(*e));
  EXPECT_TRUE(v.status().Is(Code::kNotFound));
  EXPECT_NE(v.status().message().find("not formatted"), std::string::npos);
  auto e2 = OpenMeta("memkv://badname");
  FormatOptions o;
  o.name = "Bad_Name";
  o.bucket = "/tmp/x";
  EXPECT_TRUE(FormatVolume(e2->get(), o).status().Is(Code::kInvalidArgument));
}

// As juicefs format: secrets are sealed in the setting, and a --force with a
// new secret key replaces it sealed (it used to be written in plain text
// beside KeyEncrypted: true, which JuiceFS cannot mount).
TEST(VolumeOpenTest, FormatSealsSecretsAndForceKeepsThemSealed) {
  TempDir dir;
  auto e = OpenMeta(FreshMetaUrl("memkv", dir.path()), true);
  ASSERT_TRUE(e.ok());
  FormatOptions o;
  o.name = "sealed";
  o.bucket = dir.Sub("bucket");
  o.access_key = "AK";
  o.secret_key = "first-secret";
  auto f = FormatVolume(e->get(), o);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto stored = DecodeSetting(*(*e)->Get(RecordKey::Setting()).value());
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->key_encrypted);
  EXPECT_NE(stored->secret_key, "first-secret");
  EXPECT_EQ(OpenSecrets(*stored)->secret_key, "first-secret");
  o.force = true;
  o.secret_key = "second-secret";
  ASSERT_TRUE(FormatVolume(e->get(), o).ok());
  stored = DecodeSetting(*(*e)->Get(RecordKey::Setting()).value());
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->key_encrypted);
  EXPECT_EQ(stored->secret_key.find("second"), std::string::npos);
  EXPECT_EQ(OpenSecrets(*stored)->secret_key, "second-secret");
  EXPECT_EQ(stored->access_key, "AK");
}

}  // namespace
}  // namespace jfsbr
