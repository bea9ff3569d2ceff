// The Redis Meta against a real server: JuiceFS's keys for each record
// (byte for byte where JuiceFS's format says), transactions that conflict
// on what they read, and loads that refuse a chunk named twice.
#include <gtest/gtest.h>

#include "meta/registry.h"
#include "model/attr.h"
#include "model/records.h"
#include "testing/redis_server.h"
#include "testing/test_volume.h"

namespace jfsbr {
namespace {

class RedisMetaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = FreshMetaUrl("redis", "");
    db_ = url_.substr(url_.rfind('/') + 1);
    auto m = OpenMeta(url_, true);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    meta_ = std::move(*m);
  }
  std::string Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"-n", db_});
    auto out = RedisServer::Shared()->Command(args);
    EXPECT_TRUE(out.ok());
    return out.ok() ? *out : "";
  }
  std::string url_, db_;
  std::unique_ptr<Meta> meta_;
};

TEST_F(RedisMetaTest, RecordsLandInJuicefsKeys) {
  Attr a;
  a.type = FileType::kFile;
  a.mode = 0644;
  a.nlink = 1;
  std::string slice;
  AppendSliceRecord(&slice, {0, 7, 100, 0, 100});
  ASSERT_TRUE(meta_
                  ->Transact([&](MetaTxn& tx) {
                    tx.Put(RecordKey::Attr(5), EncodeAttr(a));
                    tx.Put(RecordKey::Entry(1, "f"), EncodeDentry({FileType::kFile, 5}));
                    tx.Put(RecordKey::Chunk(5, 0), slice + slice);
                    tx.Put(RecordKey::Counter("nextInode"), EncodeCounterLE(1025));
                    tx.Put(RecordKey::DelFile(9, 4096), EncodeDelFileTime(1700000000));
                    tx.Put(RecordKey::DirStat(1), EncodeDirStat({10, 4096, 1}));
                    tx.Add(RecordKey::SliceRef(7, 100), 1);
                    return Status::OK();
                  })
                  .ok());
  EXPECT_EQ(Cli({"TYPE", "i5"}), "string");
  EXPECT_EQ(Cli({"STRLEN", "i5"}), "72");
  EXPECT_EQ(Cli({"HLEN", "d1"}), "1");
  EXPECT_EQ(Cli({"LLEN", "c5_0"}), "2");         // one list element per slice
  EXPECT_EQ(Cli({"GET", "nextinode"}), "1024");  // the last id used
  EXPECT_EQ(Cli({"ZSCORE", "delfiles", "9:4096"}), "1700000000");
  EXPECT_EQ(Cli({"HGET", "dirUsedSpace", "1"}), "4096");
  EXPECT_EQ(Cli({"HGET", "sliceRef", "k7_100"}), "1");  // refs - 1
  auto back = meta_->Get(RecordKey::Counter("nextInode"));
  ASSERT_TRUE(back.ok() && *back);
  EXPECT_EQ(*DecodeCounterLE(**back), 1025);
  auto stat = meta_->Get(RecordKey::DirStat(1));
  ASSERT_TRUE(stat.ok() && *stat);
  EXPECT_EQ(*DecodeDirStat(**stat), (DirStat{10, 4096, 1}));
}

TEST_F(RedisMetaTest, AWriteToWhatATransactionReadIsAConflict) {
  auto tx = meta_->Begin();
  ASSERT_TRUE(tx->Get(RecordKey::Attr(5)).ok());
  Cli({"SET", "i5", "changed by another client"});
  tx->Put(RecordKey::Attr(6), "x");
  EXPECT_TRUE(tx->Commit().Is(Code::kConflict));
  EXPECT_EQ(Cli({"EXISTS", "i6"}), "0");
}

// Records read ahead in one pipeline are watched as Get's are: a change by
// another client to any of them aborts the commit.
TEST_F(RedisMetaTest, PrefetchedRecordsAreWatched) {
  Cli({"HSET", "sliceRef", "k7_100", "2"});
  auto tx = meta_->Begin();
  std::vector<RecordKey> keys = {RecordKey::SliceRef(7, 100), RecordKey::SliceRef(8, 100),
                                 RecordKey::Attr(5)};
  ASSERT_TRUE(tx->Prefetch(keys).ok());
  EXPECT_EQ(*DecodeCounterLE(**tx->Get(RecordKey::SliceRef(7, 100))), 2);
  EXPECT_FALSE(tx->Get(RecordKey::SliceRef(8, 100))->has_value());
  Cli({"SET", "i5", "changed by another client"});  // never asked for through Get
  tx->Put(RecordKey::Attr(6), "x");
  EXPECT_TRUE(tx->Commit().Is(Code::kConflict));
  EXPECT_EQ(Cli({"EXISTS", "i6"}), "0");
}

TEST_F(RedisMetaTest, BulkLoadRefusesAChunkTwice) {
  std::string slice;
  AppendSliceRecord(&slice, {0, 7, 100, 0, 100});
  auto w = meta_->NewBulkWriter(2);
  ASSERT_TRUE(w->Put(RecordKey::Chunk(5, 0), slice).ok());
  ASSERT_TRUE(w->Put(RecordKey::Chunk(6, 0), slice).ok());
  ASSERT_TRUE(w->Put(RecordKey::Chunk(5, 0), slice).ok());
  Status st = w->Finish();
  EXPECT_TRUE(st.Is(Code::kCorruption)) << st.ToString();
  EXPECT_NE(st.message().find("twice"), std::string::npos) << st.ToString();
}

// More chunks than the writer keeps in memory (8 MiB of 16-byte ids): the
// repeat, far from its first, is found across the runs spilled to disk, and
// a load without one passes.
TEST_F(RedisMetaTest, BulkLoadFindsARepeatAcrossSpilledRuns) {
  std::string slice;
  AppendSliceRecord(&slice, {0, 7, 100, 0, 100});
  constexpr Ino kChunks = 600000;
  for (bool repeat : {false, true}) {
    Cli({"FLUSHDB"});
    auto w = meta_->NewBulkWriter(2);
    for (Ino i = 1; i <= kChunks; i++) ASSERT_TRUE(w->Put(RecordKey::Chunk(i, 1), slice).ok());
    if (repeat) {
      ASSERT_TRUE(w->Put(RecordKey::Chunk(3, 1), slice).ok());
    }
    Status st = w->Finish();
    if (!repeat) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      continue;
    }
    EXPECT_TRUE(st.Is(Code::kCorruption)) << st.ToString();
    EXPECT_NE(st.message().find("inode 3"), std::string::npos) << st.ToString();
  }
}

}  // namespace
}  // namespace jfsbr
