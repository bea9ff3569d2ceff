// gc: the classification rules, and a real volume (RocksDB + local store)
// with planted objects of every kind, a failing listing, and backups.
#include "gc/gc.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "backup/backup.h"
#include "fs/check.h"
#include "meta/registry.h"
#include "model/block.h"
#include "store/registry.h"
#include "testing/test_volume.h"
#include "util/clock.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

constexpr uint64_t kBs = 4 << 20;

TEST(ClassifyTest, BlockNames) {
  auto n = ParseBlockName("chunks/0/0/123_4_4194304");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->id, 123u);
  EXPECT_EQ(n->index, 4u);
  EXPECT_EQ(n->len, 4194304u);
  EXPECT_FALSE(ParseBlockName("chunks/0/123_4_5").has_value());      // two parts
  EXPECT_FALSE(ParseBlockName("chunks/0/0/1/123_4_5").has_value());  // four parts
  EXPECT_FALSE(ParseBlockName("chunks/0/0/123_4").has_value());
  EXPECT_FALSE(ParseBlockName("chunks/0/0/123_4_x").has_value());
  EXPECT_FALSE(ParseBlockName("chunks/0/0/-1_4_5").has_value());
  EXPECT_FALSE(ParseBlockName("meta/0/0/1_0_5").has_value());
}

TEST(ClassifyTest, JuiceFsRules) {
  SliceInventory inv;
  inv.Add(10, 5 << 20, SliceUse::kUsed);  // blocks 4 MiB + 1 MiB
  inv.Add(11, 4096, SliceUse::kPending);
  inv.Add(12, 4096, SliceUse::kTrash);
  inv.Add(13, 4096, SliceUse::kBackup);
  inv.Add(12, 4096, SliceUse::kUsed);  // a stronger use wins
  inv.Add(10, 5 << 20, SliceUse::kTrash);
  inv.Seal();
  EXPECT_EQ(inv.size(), 4u);
  VolumeLayout l{kBs, false};
  auto c = [&](const std::string& key, int64_t mtime = 100) {
    return ClassifyObject(key, mtime, inv, l, /*cutoff=*/1000);
  };
  EXPECT_EQ(c("chunks/0/0/10_0_4194304"), ObjectClass::kValid);
  EXPECT_EQ(c("chunks/0/0/10_1_1048576"), ObjectClass::kValid);
  EXPECT_EQ(c("chunks/0/0/10_1_4194304"), ObjectClass::kLeaked);  // full block past the end
  EXPECT_EQ(c("chunks/0/0/10_2_1048576"), ObjectClass::kLeaked);  // past the end
  EXPECT_EQ(c("chunks/0/0/10_1_1000"), ObjectClass::kLeaked);     // short, not at the end
  EXPECT_EQ(c("chunks/0/0/10_2_0"), ObjectClass::kLeaked);        // empty block name
  EXPECT_EQ(c("chunks/0/0/11_0_4096"), ObjectClass::kPendingDelete);
  EXPECT_EQ(c("chunks/0/0/12_0_4096"), ObjectClass::kValid);
  EXPECT_EQ(c("chunks/0/0/13_0_4096"), ObjectClass::kBackup);
  EXPECT_EQ(c("chunks/0/0/14_0_4096"), ObjectClass::kLeaked);
  EXPECT_EQ(c("chunks/0/0/14_0_4096", 1001), ObjectClass::kSkipped);
  EXPECT_EQ(c("chunks/0/1/10_0_4194304"), ObjectClass::kForeign);   // not its directory
  EXPECT_EQ(c("chunks/0/0/010_0_4194304"), ObjectClass::kForeign);  // padded
  EXPECT_EQ(c("chunks/readme.txt"), ObjectClass::kForeign);
  VolumeLayout hashed{kBs, true};
  EXPECT_EQ(ClassifyObject("chunks/0A/0/10_0_4194304", 1, inv, hashed, 1000), ObjectClass::kValid);
  EXPECT_EQ(ClassifyObject("chunks/0/0/10_0_4194304", 1, inv, hashed, 1000), ObjectClass::kForeign);
}

TEST(ClassifyTest, ListingRangesPartitionTheKeySpace) {
  for (bool hashed : {false, true}) {
    auto b = ChunkListingBoundaries(hashed);
    ASSERT_TRUE(std::is_sorted(b.begin(), b.end()));
    EXPECT_EQ(std::adjacent_find(b.begin(), b.end()), b.end());
    EXPECT_GE(b.size(), 90u);
  }
}

// A store whose listings fail for keys after `fail_after`.
class FailingListStore final : public ObjectStore {
 public:
  FailingListStore(std::unique_ptr<ObjectStore> base, std::string fail_after)
      : base_(std::move(base)), fail_after_(std::move(fail_after)) {}
  Status Put(const std::string& k, std::string_view d) override { return base_->Put(k, d); }
  Result<std::unique_ptr<Sink>> Create(const std::string& k) override { return base_->Create(k); }
  Result<std::string> Get(const std::string& k, uint64_t off, int64_t len) override {
    return base_->Get(k, off, len);
  }
  Result<ObjectInfo> Head(const std::string& k) override { return base_->Head(k); }
  Result<ListPage> List(const std::string& prefix, const std::string& after,
                        size_t limit) override {
    if (on_list && prefix == "chunks/") std::exchange(on_list, nullptr)();
    if (after >= fail_after_) return Status::IOError("injected listing failure after " + after);
    return base_->List(prefix, after, limit);
  }
  Status Delete(const std::string& k) override {
    deletes_++;
    return base_->Delete(k);
  }
  std::string Describe() const override { return "failing(" + base_->Describe() + ")"; }
  int deletes_ = 0;
  std::function<void()> on_list;  // once, at the first listing of chunks/

 private:
  std::unique_ptr<ObjectStore> base_;
  std::string fail_after_;
};

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meta_ = "rocksdb://" + dir_.path() + "/meta";
    {
      auto e = OpenMeta(meta_, /*create=*/true);
      ASSERT_TRUE(e.ok());
      FormatOptions o;
      o.name = "gcvol";
      o.bucket = dir_.path() + "/bucket";
      ASSERT_TRUE(FormatVolume(e->get(), o).ok());
    }
    bucket_ = dir_.path() + "/bucket/gcvol/";
    Reopen("");
  }

  // Opens the volume, its store failing listings after fail_after (if set;
  // "~" fails none but keeps the wrapper).
  void Reopen(const std::string& fail_after) {
    vol_.reset();
    auto e = OpenMeta(meta_);
    ASSERT_TRUE(e.ok());
    auto base = OpenStoreUrl("file://" + bucket_);
    ASSERT_TRUE(base.ok());
    std::unique_ptr<ObjectStore> store = WithPrefix(*base, "");
    if (!fail_after.empty()) {
      auto f = std::make_unique<FailingListStore>(std::move(store), fail_after);
      failing_ = f.get();
      store = std::move(f);
    }
    auto v = Volume::Open(std::move(*e), std::move(store));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vol_ = std::move(*v);
  }

  Ino Create(const std::string& name, const std::string& data) {
    return CreateTestFile(vol_.get(), kRootInode, name, data);
  }

  // Writes an object into the bucket, `age` seconds old.
  void Plant(const std::string& key, size_t size, int64_t age = 7200) {
    std::string path = bucket_ + key;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << std::string(size, 'x');
    Age(key, age);
  }
  void Age(const std::string& key, int64_t age) {
    struct utimbuf t;
    t.actime = t.modtime = UnixSeconds() - age;
    ASSERT_EQ(utime((bucket_ + key).c_str(), &t), 0) << key;
  }
  bool Exists(const std::string& key) { return std::filesystem::exists(bucket_ + key); }

  void Put(const RecordKey& key, const std::string& value) {
    RecordBatch b;
    b.Put(key, value);
    ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  }

  Result<GcReport> Gc(bool remove, int64_t now = 0) {
    GcOptions o;
    o.remove = remove;
    o.threads = 3;
    o.now = now;
    GcProgress p;
    return RunGc(vol_.get(), o, &p);
  }

  static uint64_t N(const GcReport& r, ObjectClass c) { return r.objects[static_cast<int>(c)]; }

  TempDir dir_;
  std::string meta_, bucket_;
  std::unique_ptr<Volume> vol_;
  FailingListStore* failing_ = nullptr;
};

TEST_F(GcTest, PlantedObjectsAreClassifiedExactlyAndOnlyLeakedOnesDeleted) {
  std::string data(5 << 20, 'd');  // one slice: a 4 MiB and a 1 MiB block
  Ino f = Create("file", data);
  auto recs = vol_->ReadChunk(f, 0);
  ASSERT_TRUE(recs.ok());
  uint64_t id = (*recs)[0].id;
  std::string valid0 = BlockKey(id, 0, kBs, false), valid1 = BlockKey(id, 1, 1 << 20, false);
  Age(valid0, 7200);
  Age(valid1, 7200);
  // Slices the metadata knows without a file: pending delete (K < 0), delayed (L).
  Put(RecordKey::SliceRef(900001, 4096), EncodeCounterLE(-1));
  Put(RecordKey::DelayedSlices(UnixSeconds(), 900002), EncodeDelayedSlices({{900002, 4096}}));
  const std::string pending = BlockKey(900001, 0, 4096, false);
  const std::string compacted = BlockKey(900002, 0, 4096, false);
  const std::string deleted_slice = BlockKey(900003, 0, 4096, false);
  const std::string past_end = BlockKey(id, 2, 1 << 20, false);
  const std::string zero_size = BlockKey(id, 3, 0, false);
  const std::string young = BlockKey(900004, 0, 4096, false);
  const std::string foreign1 = "chunks/README", foreign2 = "chunks/0/0/notes.txt";
  Plant(pending, 4096);
  Plant(compacted, 4096);
  Plant(deleted_slice, 4096);
  Plant(past_end, 1 << 20);
  Plant(zero_size, 0);
  Plant(young, 4096, /*age=*/10);
  Plant(foreign1, 10);
  Plant(foreign2, 10);

  auto r = Gc(false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->listed, 10u);
  EXPECT_EQ(N(*r, ObjectClass::kValid), 2u);
  EXPECT_EQ(N(*r, ObjectClass::kPendingDelete), 1u);
  EXPECT_EQ(N(*r, ObjectClass::kCompacted), 1u);
  EXPECT_EQ(N(*r, ObjectClass::kLeaked), 3u);
  EXPECT_EQ(N(*r, ObjectClass::kSkipped), 1u);
  EXPECT_EQ(N(*r, ObjectClass::kForeign), 2u);
  EXPECT_EQ(r->bytes[static_cast<int>(ObjectClass::kLeaked)], 4096u + (1 << 20));
  EXPECT_EQ(r->used_slices, 1u);
  EXPECT_EQ(r->expected_objects, 2u);
  EXPECT_EQ(r->pending_slices, 1u);
  EXPECT_EQ(r->trash_slices, 1u);
  std::vector<std::string> leaked = r->leaked_examples;
  std::sort(leaked.begin(), leaked.end());
  std::vector<std::string> want = {deleted_slice, past_end, zero_size};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(leaked, want);

  // A listing that fails part way: an error, and nothing at all deleted.
  Reopen("chunks/0/0/9");
  auto failed = Gc(true);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().ToString().find("nothing was deleted"), std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(failing_->deletes_, 0);
  for (const auto& k : {valid0, valid1, pending, compacted, deleted_slice, past_end, zero_size,
                        young, foreign1, foreign2}) {
    EXPECT_TRUE(Exists(k)) << k;
  }
  ASSERT_TRUE(vol_->meta()->Get(RecordKey::SliceRef(900001, 4096))->has_value());

  // A complete listing: the leaked objects and the pending slice go, nothing else.
  Reopen("");
  r = Gc(true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->leaked_deleted, 3u);
  EXPECT_EQ(r->unallocated, 1u);  // slice 900003 was never handed out
  EXPECT_EQ(r->raised_next_chunk, 900004u);
  EXPECT_EQ(*vol_->Counter("nextChunk"), 900004);
  EXPECT_EQ(r->pending_cleaned.slices, 1u);
  for (const auto& k : {deleted_slice, past_end, zero_size, pending}) EXPECT_FALSE(Exists(k)) << k;
  for (const auto& k : {valid0, valid1, compacted, young, foreign1, foreign2}) {
    EXPECT_TRUE(Exists(k)) << k;
  }
  EXPECT_FALSE(vol_->meta()->Get(RecordKey::SliceRef(900001, 4096))->has_value());
  auto back = vol_->Read(f, 0, data.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, data);

  // Three days later the delayed slice has expired: its objects go too.
  r = Gc(true, UnixSeconds() + 3 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->delayed_purged.slices, 1u);
  EXPECT_FALSE(Exists(compacted));
  EXPECT_TRUE(Exists(valid0));
}

TEST_F(GcTest, ObjectsOfIdsNotHandedOutStayWhenAnIdIsHandedOutDuringGc) {
  Ino f = Create("f", "data");
  uint64_t id = (*vol_->ReadChunk(f, 0))[0].id;
  Age(BlockKey(id, 0, 4, false), 7200);
  const std::string ahead = BlockKey(5000000, 0, 4096, false);  // an id never handed out
  const std::string behind = BlockKey(id, 1, 4096, false);      // past the end of a used slice
  Plant(ahead, 4096);
  Plant(behind, 4096);
  Reopen("~");
  failing_->on_list = [&] {  // a client takes ids while gc lists
    ASSERT_TRUE(vol_->NextSliceId().ok());
  };
  auto r = Gc(true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(N(*r, ObjectClass::kLeaked), 2u);
  EXPECT_TRUE(r->unallocated_kept);
  EXPECT_EQ(r->leaked_deleted, 1u);
  EXPECT_TRUE(Exists(ahead));
  EXPECT_FALSE(Exists(behind));
  // Undisturbed, the next gc raises nextChunk past it and deletes it.
  r = Gc(true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->raised_next_chunk, 5000001u);
  EXPECT_FALSE(Exists(ahead));
}

TEST_F(GcTest, AMetadataReadErrorDeletesNothing) {
  Plant(BlockKey(900003, 0, 4096, false), 4096);  // leaked
  Put(RecordKey::SliceRef(900001, 4096), EncodeCounterLE(-1));
  Plant(BlockKey(900001, 0, 4096, false), 4096);       // pending delete
  Put(RecordKey::Chunk(77, 0), std::string(30, 'x'));  // not a whole number of slice records
  auto r = Gc(true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("inode 77"), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(Exists(BlockKey(900003, 0, 4096, false)));
  EXPECT_TRUE(Exists(BlockKey(900001, 0, 4096, false)));
  EXPECT_TRUE(vol_->meta()->Get(RecordKey::SliceRef(900001, 4096))->has_value());
}

TEST_F(GcTest, ObjectsOfRetainedBackupsAreKept) {
  std::string before(300000, 'b'), after(300000, 'a');
  Ino f = Create("doc", before);
  auto recs = vol_->ReadChunk(f, 0);
  ASSERT_TRUE(recs.ok());
  const uint64_t backed_up = (*recs)[0].id;
  auto backup = RunBackup(vol_->meta(), vol_->store(), {});
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  ASSERT_TRUE(vol_->Write(f, 0, after).ok());         // overwritten: a second slice on top
  ASSERT_TRUE(vol_->Unlink(kRootInode, "doc").ok());  // into the trash
  auto all = ListAll(vol_->store(), "chunks/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const auto& o : *all) Age(o.key, 7200);
  // Three days on, the trash has expired: the file goes, but the slice the
  // backup's file uses keeps its object.
  auto r = Gc(true, UnixSeconds() + 3 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->backups, 1u);
  EXPECT_EQ(r->trash_purged.records, 1u);
  EXPECT_EQ(r->trash_purged.slices, 1u);
  EXPECT_EQ(r->trash_purged.kept, 1u);
  {
    auto snap = vol_->meta()->Snapshot();
    ASSERT_TRUE(snap.ok());
    auto check = CheckVolume(snap->get());  // the purge kept links, usage and counters right
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->ok()) << check->problems[0];
    EXPECT_TRUE(vol_->ReadDir(kTrashInode)->empty());
  }
  auto left = ListAll(vol_->store(), "chunks/");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  auto name = ParseBlockName(left->front().key);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->id, backed_up);
  // The next gc sees that object as kept for the backup, not leaked.
  r = Gc(true, UnixSeconds() + 3 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(N(*r, ObjectClass::kBackup), 1u);
  EXPECT_EQ(N(*r, ObjectClass::kLeaked), 0u);
  // Without the backup, it is leaked and deleted.
  ASSERT_TRUE(DeleteBackup(vol_->store(), backup->name).ok());
  r = Gc(true, UnixSeconds() + 3 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->leaked_deleted, 1u);
  EXPECT_TRUE(ListAll(vol_->store(), "chunks/")->empty());
}

// On a volume with quotas our writes are refused (usage we do not keep), so
// gc --delete keeps expired trash and says why, and still does the rest.
TEST_F(GcTest, QuotasKeepExpiredTrashAndTheRestGoesOn) {
  Create("doomed", std::string(5000, 'd'));
  ASSERT_TRUE(vol_->Unlink(kRootInode, "doomed").ok());  // into the trash
  RecordBatch b;
  b.Put(RecordKey::UserQuota(0), EncodeQuota({-1, -1, 0, 0}));
  ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  Reopen("");
  ASSERT_FALSE(vol_->writable().ok());
  auto r = Gc(true, time(nullptr) + 10 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->trash_kept_why.find("quotas"), std::string::npos) << r->trash_kept_why;
  EXPECT_EQ(r->trash_purged.records, 0u);
  EXPECT_EQ(vol_->ReadDir(kTrashInode)->size(), 1u);                  // the hour dir is still there
  EXPECT_TRUE(r->cleanups_kept_why.empty()) << r->cleanups_kept_why;  // quotas do not stop them
  // With the change log on too, each refusal names what stops it.
  VolumeFormat f = vol_->format();
  f.change_log = true;
  Put(RecordKey::Setting(), EncodeSetting(f));
  Reopen("");
  r = Gc(true, time(nullptr) + 10 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->trash_kept_why.find("quotas"), std::string::npos) << r->trash_kept_why;
  EXPECT_NE(r->cleanups_kept_why.find("change log"), std::string::npos) << r->cleanups_kept_why;
}

// On a volume that keeps JuiceFS 1.4's change log, every metadata write
// jfsbr would make unrecorded is refused: namespace writes, expired trash,
// pending deletes and compaction. Leaked objects (no metadata) still go.
TEST_F(GcTest, ChangeLogRefusesUnrecordedWritesAndLeakedObjectsStillGo) {
  Create("doomed", std::string(5000, 'd'));
  Ino f = Create("patched", std::string(6000, 'p'));
  ASSERT_TRUE(vol_->Write(f, 100, "xyz").ok());                 // two slice records in chunk 0
  ASSERT_TRUE(vol_->Unlink(kRootInode, "doomed").ok());         // into the trash
  Put(RecordKey::SliceRef(900001, 4096), EncodeCounterLE(-1));  // a pending delete
  const std::string leaked = BlockKey(50, 0, 4096, false);      // below nextChunk
  Plant(leaked, 4096);
  VolumeFormat f2 = vol_->format();
  f2.change_log = true;
  Put(RecordKey::Setting(), EncodeSetting(f2));
  Reopen("");
  ASSERT_FALSE(vol_->writable().ok());
  EXPECT_NE(vol_->writable().message().find("change log"), std::string::npos);
  EXPECT_FALSE(vol_->Mkdir(kRootInode, "d", NodeSpec{}).ok());

  GcOptions o;
  o.compact = true;
  GcProgress p;
  auto compacted = RunGc(vol_.get(), o, &p);
  ASSERT_FALSE(compacted.ok());
  EXPECT_NE(compacted.status().ToString().find("change log"), std::string::npos);
  EXPECT_EQ(vol_->ReadChunk(f, 0)->size(), 2u);

  auto r = Gc(true, time(nullptr) + 10 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->trash_kept_why.find("change log"), std::string::npos) << r->trash_kept_why;
  EXPECT_NE(r->cleanups_kept_why.find("change log"), std::string::npos);
  EXPECT_EQ(r->pending_cleaned.slices, 0u);
  EXPECT_EQ(vol_->ReadDir(kTrashInode)->size(), 1u);
  EXPECT_TRUE(vol_->meta()->Get(RecordKey::SliceRef(900001, 4096))->has_value());
  EXPECT_EQ(r->leaked_deleted, 1u);
  EXPECT_FALSE(Exists(leaked));
}

TEST_F(GcTest, CompactMergesOverlappingSlicesAndKeepsTheBytes) {
  std::string data(6 << 20, 'x');
  Ino f = Create("f", data);
  for (int i = 0; i < 5; i++) {  // overlapping overwrites: six records in chunk 0
    std::string patch(100000 + i, static_cast<char>('a' + i));
    ASSERT_TRUE(vol_->Write(f, 4000000 + i * 70000, patch).ok());
    data.replace(4000000 + i * 70000, patch.size(), patch);
  }
  ASSERT_EQ(vol_->ReadChunk(f, 0)->size(), 6u);
  GcOptions o;
  o.compact = true;
  o.threads = 2;
  GcProgress p;
  auto r = RunGc(vol_.get(), o, &p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->chunks_compacted, 1u);
  EXPECT_EQ(r->records_compacted, 6u);
  auto recs = vol_->ReadChunk(f, 0);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].len, data.size());
  EXPECT_EQ(*vol_->Read(f, 0, data.size()), data);
  // The replaced slices wait in an L record (the volume keeps a trash): their
  // objects are "compacted", not leaked, until the trash days have passed.
  EXPECT_EQ(r->trash_slices, 6u);
  EXPECT_EQ(N(*r, ObjectClass::kLeaked), 0u);
  auto snap = vol_->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  auto check = CheckVolume(snap->get());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems[0];
  r = Gc(true, UnixSeconds() + 3 * 86400);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->delayed_purged.slices, 6u);
  EXPECT_EQ(ListAll(vol_->store(), "chunks/")->size(), 2u);  // the new slice's two blocks
  EXPECT_EQ(*vol_->Read(f, 0, data.size()), data);
  snap = vol_->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  check = CheckVolume(snap->get());  // refs of the replaced slices dropped exactly
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems[0];
}

}  // namespace
}  // namespace jfsbr
