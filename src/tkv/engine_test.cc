// Conformance tests run against every engine backend, plus the prefix wrapper
// and the optimistic transaction layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "model/records.h"
#include "testing/etcd_cluster.h"
#include "testing/test_volume.h"
#include "tkv/prefix.h"
#include "tkv/registry.h"
#include "tkv/txn.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url = FreshMetaUrl(GetParam(), dir_.path());
    auto e = OpenEngine(url, /*create=*/true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void Put(const std::string& k, const std::string& v) {
    WriteBatch b;
    b.Put(k, v);
    ASSERT_TRUE(engine_->Commit(b).ok());
  }
  std::string ScanAll(KvReader* r, std::string_view b = "", std::string_view e = "") {
    std::string out;
    EXPECT_TRUE(r->Scan(b, e, [&](auto k, auto v) {
                   out += std::string(k) + "=" + std::string(v) + ";";
                   return true;
                 }).ok());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<KvEngine> engine_;
};

TEST_P(EngineTest, GetScanOrderAndBounds) {
  Put("b", "2");
  Put("a", "1");
  Put(std::string("a\xff", 2), "x");
  Put("c", "3");
  EXPECT_EQ(engine_->Get("a")->value_or("?"), "1");
  EXPECT_FALSE(engine_->Get("zz")->has_value());
  EXPECT_EQ(ScanAll(engine_.get()), std::string("a=1;a\xff=x;b=2;c=3;"));
  EXPECT_EQ(ScanAll(engine_.get(), "b", "c"), "b=2;");
  int n = 0;
  ASSERT_TRUE(engine_->Scan("", "", [&](auto, auto) { return ++n < 2; }).ok());
  EXPECT_EQ(n, 2);
}

TEST_P(EngineTest, ConditionsGuardTheWholeBatch) {
  Put("k", "v1");
  WriteBatch b;
  b.Expect("k", std::string("old"));
  b.Put("k", "v2");
  b.Put("other", "x");
  EXPECT_TRUE(engine_->Commit(b).Is(Code::kConflict));
  EXPECT_EQ(engine_->Get("k")->value(), "v1");
  EXPECT_FALSE(engine_->Get("other")->has_value());  // nothing applied
  WriteBatch ok;
  ok.Expect("k", std::string("v1"));
  ok.Expect("absent", std::nullopt);
  ok.Delete("k");
  ok.Put("other", "y");
  ASSERT_TRUE(engine_->Commit(ok).ok());
  EXPECT_FALSE(engine_->Get("k")->has_value());
  EXPECT_EQ(engine_->Get("other")->value(), "y");
}

TEST_P(EngineTest, AddLE64Counters) {
  WriteBatch b;
  b.AddLE64("Cn", 5);
  b.AddLE64("Cn", -2);
  ASSERT_TRUE(engine_->Commit(b).ok());
  EXPECT_EQ(*DecodeCounterLE(engine_->Get("Cn")->value()), 3);
  Put("Cbad", "123");
  WriteBatch bad;
  bad.AddLE64("Cbad", 1);
  EXPECT_TRUE(engine_->Commit(bad).Is(Code::kCorruption));
}

TEST_P(EngineTest, SnapshotIsStableAndVersionGrows) {
  Put("a", "1");
  auto v1 = engine_->Version();
  ASSERT_TRUE(v1.ok());
  auto snap = engine_->Snapshot();
  ASSERT_TRUE(snap.ok());
  Put("a", "2");
  Put("b", "3");
  EXPECT_GT(*engine_->Version(), *v1);
  EXPECT_EQ((*snap)->Get("a")->value(), "1");
  EXPECT_EQ(ScanAll(snap->get()), "a=1;");
  EXPECT_EQ(ScanAll(engine_.get()), "a=2;b=3;");
  // (etcd's revision is the cluster's: other volumes' writes move it too.)
  EXPECT_GE((*snap)->version(), *v1);
  EXPECT_LT((*snap)->version(), *engine_->Version());
}

TEST_P(EngineTest, ConcurrentTxnIncrementsAreSerializable) {
  const int kThreads = 4, kEach = 200;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++) {
    ts.emplace_back([&] {
      for (int i = 0; i < kEach; i++) {
        Status st = RunTxn(engine_.get(), [](Txn& tx) {
          auto v = tx.Get("n");
          if (!v.ok()) return v.status();
          int n = v->has_value() ? std::stoi(**v) : 0;
          tx.Put("n", std::to_string(n + 1));
          return Status::OK();
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(engine_->Get("n")->value(), std::to_string(kThreads * kEach));
}

TEST_P(EngineTest, TxnReadsOwnWrites) {
  ASSERT_TRUE(RunTxn(engine_.get(), [](Txn& tx) {
                tx.Put("x", "1");
                auto v = tx.Get("x");
                EXPECT_EQ(v->value_or(""), "1");
                tx.Delete("x");
                EXPECT_FALSE(tx.Get("x")->has_value());
                tx.Put("y", "2");
                return Status::OK();
              }).ok());
  EXPECT_FALSE(engine_->Get("x")->has_value());
  EXPECT_EQ(engine_->Get("y")->value(), "2");
}

// More keys than one etcd request takes (max-txn-ops 128), absent ones and a
// repeat among them; through the prefix wrapper too.
TEST_P(EngineTest, GetStampedManyAnswersEachKeyInOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 300; i++) {
    keys.push_back("k" + std::to_string(i));
    if (i % 3 != 0) Put("/v\xFD" + keys.back(), "v" + std::to_string(i));
  }
  keys.push_back("k1");
  auto vol = WithKeyPrefix(BorrowEngine(engine_.get()), "/v\xFD");
  auto many = vol->GetStampedMany(keys);
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  ASSERT_EQ(many->size(), keys.size());
  for (size_t i = 0; i < keys.size(); i++) {
    auto one = vol->GetStamped(keys[i]);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*many)[i].value, one->value) << keys[i];
    EXPECT_EQ((*many)[i].stamp, one->stamp) << keys[i];
  }
  EXPECT_EQ((*many)[1].value.value_or("?"), "v1");
  EXPECT_FALSE((*many)[3].value.has_value());
}

// Keys a transaction prefetched are read as Get reads them: recorded, so a
// change by another writer makes the commit conflict, even of a key the body
// never asked for again.
TEST_P(EngineTest, PrefetchedReadsGuardTheCommit) {
  Put("a", "1");
  Txn tx(engine_.get());
  tx.Put("x", "0");
  ASSERT_TRUE(tx.Prefetch({"a", "b", "a", "x"}).ok());
  EXPECT_EQ(tx.Get("a")->value_or(""), "1");
  EXPECT_EQ(tx.Get("x")->value_or(""), "0");  // its own write, not the engine's
  Put("b", "2");  // another writer
  tx.Put("c", "3");
  EXPECT_TRUE(tx.Commit().Is(Code::kConflict));
  EXPECT_FALSE(engine_->Get("c")->has_value());
}

TEST_P(EngineTest, PrefixWrapperIsolatesVolumes) {
  Put("outside", "o");
  auto eu = ParseEngineUrl("etcd://h1:2379,h2/jfs");
  ASSERT_TRUE(eu.ok());
  std::string prefix = JuiceFsKeyPrefix(*eu);
  EXPECT_EQ(prefix, "/jfs\xFD");
  auto vol = WithKeyPrefix(BorrowEngine(engine_.get()), prefix);
  WriteBatch b;
  b.Put("setting", "s");
  b.AddLE64("CnextInode", 2);
  ASSERT_TRUE(vol->Commit(b).ok());
  EXPECT_EQ(engine_->Get("/jfs\xFDsetting")->value_or(""), "s");
  EXPECT_EQ(ScanAll(vol.get()).substr(0, 10), "CnextInode");
  EXPECT_EQ(ScanAll(vol.get(), "s", ""), "setting=s;");
  EXPECT_FALSE(vol->Get("outside")->has_value());
}

TEST_P(EngineTest, ScanRangesReadsEachRangeInOrder) {
  for (const char* k : {"a1", "a2", "b1", "c1", "c2", "c3"}) Put(k, std::string("v") + k);
  std::vector<KeyRange> ranges = {
      {"c", "d"}, {"x", "y"}, {"a", "b"}, {"b1", std::string("b1\0", 3)}};
  std::string out;
  ASSERT_TRUE(engine_
                  ->ScanRanges(ranges,
                               [&](size_t i, auto k, auto v) {
                                 out += std::to_string(i) + ":" + std::string(k) + "=" +
                                        std::string(v) + ";";
                               })
                  .ok());
  EXPECT_EQ(out, "0:c1=vc1;0:c2=vc2;0:c3=vc3;2:a1=va1;2:a2=va2;3:b1=vb1;");
  // A snapshot's ranges do not see later writes.
  auto snap = engine_->Snapshot();
  Put("a3", "new");
  out.clear();
  ASSERT_TRUE((*snap)->ScanRanges({{"a", "b"}}, [&](size_t, auto k, auto) { out += k; }).ok());
  EXPECT_EQ(out, "a1a2");
}

TEST_P(EngineTest, BulkBatchOfManyKeysCommitsWhole) {
  WriteBatch b;
  b.atomic = false;  // as loads write: the engine may split it
  for (int i = 0; i < 1000; i++) b.Put("k" + std::to_string(10000 + i), std::string(100, 'x'));
  b.Put("k10005", "last write wins");
  ASSERT_TRUE(engine_->Commit(b).ok());
  int n = 0;
  ASSERT_TRUE(engine_->Scan("k", "l", [&](auto, auto) { return ++n; }).ok());
  EXPECT_EQ(n, 1000);
  EXPECT_EQ(engine_->Get("k10005")->value_or(""), "last write wins");
}

TEST_P(EngineTest, SnapshotAtAnEarlierVersion) {
  Put("a", "1");
  auto v1 = engine_->Version();
  ASSERT_TRUE(v1.ok());
  Put("a", "2");
  auto past = engine_->SnapshotAt(*v1);
  if (GetParam() != "etcd") {  // only etcd keeps history
    EXPECT_TRUE(past.status().Is(Code::kNotSupported)) << past.status().ToString();
    return;
  }
  ASSERT_TRUE(past.ok()) << past.status().ToString();
  EXPECT_EQ((*past)->Get("a")->value_or(""), "1");
  EXPECT_EQ((*past)->version(), *v1);
  EXPECT_FALSE(engine_->SnapshotAt(*v1 + 1000000).ok());  // the future
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineTest, ::testing::Values("memkv", "rocksdb", "etcd"));

// What only etcd does: mod_revision compares and transaction size limits.
class EtcdEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = OpenEngine(FreshMetaUrl("etcd", ""));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  std::unique_ptr<KvEngine> engine_;
};

TEST_F(EtcdEngineTest, RewriteWithTheSameValueIsAConflict) {
  WriteBatch put;
  put.Put("k", "v");
  ASSERT_TRUE(engine_->Commit(put).ok());
  Txn tx(engine_.get());
  ASSERT_EQ(tx.Get("k")->value_or(""), "v");
  ASSERT_TRUE(engine_->Commit(put).ok());  // same value, new mod_revision
  tx.Put("other", "x");
  Status st = tx.Commit();
  EXPECT_TRUE(st.Is(Code::kConflict)) << st.ToString();
  EXPECT_FALSE(engine_->Get("other")->has_value());
  auto stamped = engine_->GetStamped("k");
  ASSERT_TRUE(stamped.ok());
  EXPECT_GT(stamped->stamp, 0);
  EXPECT_EQ(engine_->GetStamped("absent")->stamp, 0);
}

// Watch replays history after a version, then follows new commits live; a
// commit of several keys arrives as one change set, deletes as nullopt.
TEST_F(EtcdEngineTest, WatchDeliversWholeCommitsInOrder) {
  WriteBatch first;
  first.Put("w/a", "1");
  ASSERT_TRUE(engine_->Commit(first).ok());
  auto start = engine_->Version();
  ASSERT_TRUE(start.ok());
  WriteBatch two;
  two.Put("w/b", "2");
  two.Put("w/c", "3");
  ASSERT_TRUE(engine_->Commit(two).ok());
  WriteBatch outside;
  outside.Put("x/other", "ignored");
  ASSERT_TRUE(engine_->Commit(outside).ok());
  std::thread live([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    WriteBatch del;
    del.Delete("w/a");
    del.Put("w/d", "4");
    EXPECT_TRUE(engine_->Commit(del).ok());
  });
  std::vector<ChangeSet> got;
  Status st = engine_->Watch({"w/", "w0"}, *start, [&](ChangeSet&& set) {
    got.push_back(std::move(set));
    return got.size() < 2;
  });
  live.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_GT(got[0].version, *start);
  EXPECT_GT(got[1].version, got[0].version + 1);  // "x/other" came between
  ASSERT_EQ(got[0].changes.size(), 2u);
  EXPECT_EQ(got[0].changes[0].key, "w/b");
  EXPECT_EQ(got[0].changes[1].value.value_or(""), "3");
  ASSERT_EQ(got[1].changes.size(), 2u);
  EXPECT_EQ(got[1].changes[0].key, "w/a");
  EXPECT_FALSE(got[1].changes[0].value.has_value());
  EXPECT_EQ(got[1].changes[1].value.value_or(""), "4");
}

// Compaction (on a cluster of its own: it would cut the shared one's history
// under other tests) moves OldestVersion, and a watch from before it fails.
TEST(EtcdHistoryTest, CompactionEndsOldWatches) {
  auto cluster = EtcdCluster::Start(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto e = OpenEngine((*cluster)->MetaUrl("hist"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  KvEngine* engine = e->get();
  for (int i = 0; i < 20; i++) {
    WriteBatch b;
    b.Put("k", std::to_string(i));
    ASSERT_TRUE(engine->Commit(b).ok());
  }
  auto now = engine->Version();
  ASSERT_TRUE(now.ok());
  auto oldest = engine->OldestVersion();
  ASSERT_TRUE(oldest.ok()) << oldest.status().ToString();
  EXPECT_EQ(*oldest, 1u);
  ASSERT_TRUE(engine->Compact(*now - 5).ok());
  auto moved = engine->OldestVersion();
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, *now - 5);
  EXPECT_FALSE(engine->SnapshotAt(*now - 6).ok());
  EXPECT_TRUE(engine->SnapshotAt(*now - 5).ok());
  Status st = engine->Watch({"", ""}, *now - 10, [](ChangeSet&&) { return false; });
  EXPECT_TRUE(st.Is(Code::kNotFound)) << st.ToString();
  EXPECT_NE(st.message().find("compacted"), std::string::npos) << st.ToString();
  int sets = 0;
  st = engine->Watch({"", ""}, *now - 5, [&](ChangeSet&&) { return ++sets < 5; });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(sets, 5);
  auto rocks_dir = TempDir();
  auto rocks = OpenEngine("rocksdb://" + rocks_dir.path() + "/db", true);
  ASSERT_TRUE(rocks.ok());
  EXPECT_TRUE(
      (*rocks)->Watch({"", ""}, 0, [](ChangeSet&&) { return false; }).Is(Code::kNotSupported));
}

TEST_F(EtcdEngineTest, OversizedOperationIsRefusedWhole) {
  WriteBatch b;  // atomic: one operation that cannot be split
  for (int i = 0; i < 200; i++) b.Put("big" + std::to_string(i), "v");
  Status st = engine_->Commit(b);
  EXPECT_TRUE(st.Is(Code::kInvalidArgument)) << st.ToString();
  EXPECT_NE(st.message().find("max-txn-ops 128"), std::string::npos) << st.ToString();
  int n = 0;
  ASSERT_TRUE(engine_->Scan("big", "bih", [&](auto, auto) { return ++n; }).ok());
  EXPECT_EQ(n, 0);  // nothing applied
  WriteBatch huge;
  huge.Put("huge", std::string(2 << 20, 'x'));
  st = engine_->Commit(huge);
  EXPECT_TRUE(st.Is(Code::kInvalidArgument)) << st.ToString();
  EXPECT_NE(st.message().find("max-request-bytes"), std::string::npos) << st.ToString();
}

// Big ranges are cut by key byte before paging (etcd 3.4 walks the whole
// range per page): with a split threshold of 10 keys every path is taken.
TEST_F(EtcdEngineTest, SplitScansSeeEveryKeyOnceInOrder) {
  for (uint32_t seed : {7u, 8u, 9u}) {
    auto e = OpenEngine(FreshMetaUrl("etcd", "") + "?scan-split=10");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    // Short keys of any bytes (00 and ff included) and of a few bytes (many
    // keys sharing prefixes).
    std::mt19937 rng(seed);
    const std::string few("\x00\x01\x7f\x80\xfe\xff", 6);
    std::vector<std::string> keys;
    WriteBatch b;
    b.atomic = false;
    for (int i = 0; i < 300; i++) {
      std::string k(1 + rng() % 4, ' ');
      for (auto& c : k) c = i % 2 ? static_cast<char>(rng()) : few[rng() % few.size()];
      b.Put(k, "v");
      keys.push_back(k);
    }
    ASSERT_TRUE((*e)->Commit(b).ok());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    auto scan = [&](std::string_view from, std::string_view to, size_t stop_after) {
      std::vector<std::string> got;
      EXPECT_TRUE((*e)->Scan(from, to,
                             [&](auto k, auto) {
                               got.emplace_back(k);
                               return got.size() < stop_after;
                             })
                      .ok());
      return got;
    };
    EXPECT_EQ(scan("", "", SIZE_MAX), keys) << seed;
    std::vector<std::string> mid;
    std::string lo("\x01", 1), hi("\xfe\x00", 2);
    for (auto& k : keys)
      if (k >= lo && k < hi) mid.push_back(k);
    EXPECT_EQ(scan(lo, hi, SIZE_MAX), mid) << seed;
    EXPECT_EQ(scan("", "", 100), std::vector<std::string>(keys.begin(), keys.begin() + 100))
        << seed;
  }
}

TEST_F(EtcdEngineTest, CountersAddUpUnderContention) {
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; t++) {
    ts.emplace_back([&] {
      for (int i = 0; i < 50; i++) {
        WriteBatch b;
        b.AddLE64("counter", 1);
        EXPECT_TRUE(engine_->Commit(b).ok());
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(DecodeCounterLE(**engine_->Get("counter")).value(), 200);
}

TEST(RegistryTest, BadUrls) {
  EXPECT_TRUE(OpenEngine("nothing").status().Is(Code::kInvalidArgument));
  auto s = OpenEngine("tikv://localhost/1").status();
  EXPECT_TRUE(s.Is(Code::kInvalidArgument));
  EXPECT_NE(s.message().find("unknown META-URL scheme 'tikv'"), std::string::npos);
  // A Redis volume is one jfsbr reads, but not through engine keys.
  s = OpenEngine("redis://localhost/1").status();
  EXPECT_TRUE(s.Is(Code::kNotSupported));
  EXPECT_NE(s.message().find("takes dump backups"), std::string::npos);
  EXPECT_FALSE(OpenEngine("rocksdb://").ok());
  TempDir dir;
  auto missing = OpenEngine("rocksdb://" + dir.Sub("absent"));
  EXPECT_TRUE(missing.status().Is(Code::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("absent")));  // nothing created
}

TEST(PrefixTest, JuiceFsRules) {
  auto p = [](const char* url) { return JuiceFsKeyPrefix(*ParseEngineUrl(url)); };
  EXPECT_EQ(p("etcd://h:2379/jfs"), "/jfs\xFD");
  EXPECT_EQ(p("etcd://user:pw@h1,h2:2379/a/b?cacert=x"), "/a/b\xFD");
  EXPECT_EQ(p("etcd://h:2379"), "\xFD");
  EXPECT_EQ(p("tikv://h:2379//jfs"), "jfs\xFD");
  EXPECT_EQ(p("tikv://h:2379/a/b"), "a/b\xFD");
  EXPECT_EQ(p("rocksdb:///var/db"), "");
}

}  // namespace
}  // namespace jfsbr
