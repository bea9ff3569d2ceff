// The SQL Meta's mapping of records to JuiceFS's rows, on SQLite,
// PostgreSQL and MariaDB: every kind round trips, the kinds SQL keeps differently (slice
// refs, parents, aclMaxId) read as the TKV family's meaning, an older
// volume's missing tables, table prefixes.
#include "sql/sql_meta.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "meta/registry.h"
#include "model/attr.h"
#include "model/records.h"
#include "sql/mariadb.h"
#include "sql/mysql_url.h"
#include "sql/postgres.h"
#include "sql/rows.h"
#include "sql/sqlite.h"
#include "testing/mariadb_server.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

// A bulk load's verdict on a record named twice: corruption, saying so.
void ExpectNamedTwice(const Status& st) {
  EXPECT_TRUE(st.Is(Code::kCorruption)) << st.ToString();
  EXPECT_NE(st.message().find("twice"), std::string::npos) << st.ToString();
}

class SqlMetaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = FreshMetaUrl(GetParam(), dir_.path());
    auto m = OpenMeta(url_, /*create=*/true);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    meta_ = std::move(*m);
  }
  bool postgres() const { return GetParam() == "postgres"; }
  bool mariadb() const { return GetParam() == "mariadb"; }
  // A connection of our own to the database under url (options dropped).
  std::unique_ptr<SqlConn> Conn(const std::string& url) {
    std::string base = url.substr(0, url.find('?'));
    if (postgres()) {
      auto c = PgConn::Open({.uri = base});
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      return c.ok() ? std::move(*c) : nullptr;
    }
    if (mariadb()) {
      std::string query;
      auto o = ParseMysqlUrl(base, &query);
      EXPECT_TRUE(o.ok()) << o.status().ToString();
      if (!o.ok()) return nullptr;
      auto c = MariaConn::Open(*o);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      return c.ok() ? std::move(*c) : nullptr;
    }
    auto c = SqliteConn::Open(base.substr(base.find("://") + 3), false);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // MariaDB: lets the test's user LOCK TABLES on its database (the rights
  // JuiceFS needs leave it out), and opens the volume again.
  void GrantLockTables() {
    std::string query;
    auto o = ParseMysqlUrl(url_.substr(0, url_.find('?')), &query);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    auto st = MariaServer::Shared()->Sql("GRANT LOCK TABLES ON `" + o->database + "`.* TO '" +
                                         o->user + "'@'%'");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    // A database's rights reach the connections opened from now on.
    meta_.reset();
    auto m = OpenMeta(url_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    meta_ = std::move(*m);
  }
  // Does the database have this table (or index)?
  int64_t Has(const std::string& name) {
    if (mariadb()) {
      return Query(
          "SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
          "AND table_name = '" +
          name +
          "') + (SELECT count(DISTINCT index_name) FROM information_schema.statistics WHERE "
          "table_schema = DATABASE() AND index_name = '" +
          name + "')");
    }
    return Query(postgres() ? "SELECT count(*) FROM pg_class WHERE relname = '" + name + "'"
                            : "SELECT count(*) FROM sqlite_master WHERE name = '" + name + "'");
  }
  void Put(const RecordKey& k, const std::string& v) {
    RecordBatch b;
    b.Put(k, v);
    Status st = b.CommitTo(meta_.get());
    ASSERT_TRUE(st.ok()) << Describe(k) << ": " << st.ToString();
  }
  std::optional<std::string> Get(const RecordKey& k) {
    auto v = meta_->Get(k);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }
  int64_t Query(const std::string& sql) {
    auto db = Conn(url_);
    if (!db) return -1;
    auto s = db->Prepare(sql);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    auto row = (*s)->Step();
    return row.ok() && *row ? (*s)->ColInt(0) : -1;
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<Meta> meta_;
};

TEST_P(SqlMetaTest, EveryKindRoundTrips) {
  Attr a;
  a.type = FileType::kFile;
  a.mode = 0640;
  a.uid = 1000;
  a.gid = 100;
  a.atime = 1700000000;
  a.atimensec = 123456789;  // below the microsecond too
  a.mtime = 1700000001;
  a.ctime = 1700000002;
  a.ctimensec = 999;
  a.nlink = 1;
  a.length = 5 << 20;
  a.parent = 1;
  AclRule rule;
  rule.owner = 6;
  rule.mask = 4;
  rule.users = {{1001, 6}, {1002, 4}};
  const std::vector<std::pair<RecordKey, std::string>> records = {
      {RecordKey::Setting(), "{\"Name\": \"x\"}"},
      {RecordKey::Counter("nextInode"), EncodeCounterLE(42)},
      {RecordKey::Counter("lastCleanupSessions"), EncodeCounterBE(1700000000)},
      {RecordKey::Attr(5), EncodeAttr(a)},
      {RecordKey::Entry(1, std::string("a\xff\x00z", 4)), EncodeDentry({FileType::kFile, 5})},
      {RecordKey::Symlink(6), "../target"},
      {RecordKey::Xattr(5, "user.k"), std::string("v\0v", 3)},
      {RecordKey::DelFile(7, 4096), EncodeDelFileTime(1700000005)},
      {RecordKey::SliceRef(9, 4096), EncodeCounterLE(2)},
      {RecordKey::DelayedSlices(1700000006, 10), EncodeDelayedSlices({{8, 100}, {9, 4096}})},
      {RecordKey::DirStat(1), EncodeDirStat({10, 4096, 2})},
      {RecordKey::DirQuota(1), EncodeQuota({1 << 30, 100, 8192, 2})},
      {RecordKey::UserQuota(1000), EncodeQuota({-1, 10, 4096, 1})},
      {RecordKey::GroupQuota(100), EncodeQuota({1 << 20, -1, 0, 0})},
      {RecordKey::AclRule(3), EncodeAclRule(rule)},
      {RecordKey::SessionExpire(4), EncodeCounterBE(1700000100)},
      {RecordKey::SessionInfo(4), "{\"HostName\": \"h\"}"},
      {RecordKey::Sustained(4, 7), std::string("\x01", 1)},
      {RecordKey::Detached(11), EncodeCounterBE(1700000007)},
      {RecordKey::Tool("backup-lease"), "holder 123"},
  };
  for (const auto& [k, v] : records) Put(k, v);
  for (const auto& [k, v] : records) EXPECT_EQ(Get(k), v) << Describe(k);
  // Stored as JuiceFS stores them: microseconds plus the remainder.
  EXPECT_EQ(Query("SELECT atime FROM jfs_node WHERE inode=5"), 1700000000123456);
  EXPECT_EQ(Query("SELECT atimensec FROM jfs_node WHERE inode=5"), 789);
  EXPECT_EQ(Query("SELECT refs FROM jfs_chunk_ref WHERE chunkid=9"), 3);  // refs, not refs-1
  EXPECT_EQ(Query("SELECT value FROM jfs_counter WHERE name='nextInode'"), 42);
  // Every record comes back in a full walk, once.
  size_t seen = 0;
  ASSERT_TRUE(meta_
                  ->Scan(RecordRange::All(),
                         [&](const RecordKey& k, auto v) {
                           for (const auto& [want, value] : records) {
                             if (want == k) {
                               EXPECT_EQ(v, value) << Describe(k);
                               seen++;
                             }
                           }
                           return true;
                         })
                  .ok());
  EXPECT_EQ(seen, records.size());
}

TEST_P(SqlMetaTest, SliceRefsParentsAndAclIdsReadAsTheTkvFamilyMeansThem) {
  std::string chunk;
  AppendSliceRecord(&chunk, {0, 21, 4096, 0, 4096});
  AppendSliceRecord(&chunk, {4096, 22, 100, 0, 100});
  Put(RecordKey::Chunk(5, 0), chunk);
  // A row per slice written (refs 1), which reads as the absent record.
  EXPECT_EQ(Query("SELECT count(*) FROM jfs_chunk_ref WHERE refs=1"), 2);
  EXPECT_EQ(Get(RecordKey::SliceRef(21, 4096)), std::nullopt);
  ASSERT_TRUE(meta_
                  ->Transact([](MetaTxn& tx) {
                    tx.Add(RecordKey::SliceRef(21, 4096), 1);
                    tx.Add(RecordKey::SliceRef(23, 50), -1);  // absent: one ref, now none
                    return Status::OK();
                  })
                  .ok());
  EXPECT_EQ(Get(RecordKey::SliceRef(21, 4096)), EncodeCounterLE(1));
  EXPECT_EQ(Get(RecordKey::SliceRef(23, 50)), EncodeCounterLE(-1));
  // Parents of a hard link are counted from its edges.
  Put(RecordKey::Entry(1, "x"), EncodeDentry({FileType::kFile, 5}));
  Put(RecordKey::Entry(2, "y"), EncodeDentry({FileType::kFile, 5}));
  Put(RecordKey::Entry(2, "z"), EncodeDentry({FileType::kFile, 5}));
  Put(RecordKey::Parent(5, 2), EncodeCounterLE(99));  // dropped: derived
  EXPECT_EQ(Get(RecordKey::Parent(5, 2)), EncodeCounterLE(2));
  EXPECT_EQ(Get(RecordKey::Parent(5, 3)), std::nullopt);
  // aclMaxId is the largest ACL rule id.
  EXPECT_EQ(Get(RecordKey::Counter("aclMaxId")), std::nullopt);
  Put(RecordKey::AclRule(7), EncodeAclRule({}));
  EXPECT_EQ(Get(RecordKey::Counter("aclMaxId")), EncodeCounterLE(7));
}

// A transaction's read-ahead of slice refs (one query for many, 500 to a
// query) answers what Get answers: refs 1 and no row read as absent, a row
// of another size as absent; the other kinds are left to Get.
TEST_P(SqlMetaTest, PrefetchedSliceRefsReadAsGetReadsThem) {
  std::string chunk;
  for (uint64_t id = 1; id <= 600; id++) AppendSliceRecord(&chunk, {0, id, 100, 0, 100});
  Put(RecordKey::Chunk(5, 0), chunk);
  Put(RecordKey::SliceRef(7, 100), EncodeCounterLE(2));  // three refs
  Put(RecordKey::Attr(5), EncodeAttr(Attr{}));
  std::vector<RecordKey> keys;
  for (uint64_t id = 1; id <= 700; id++) keys.push_back(RecordKey::SliceRef(id, 100));
  keys.push_back(RecordKey::SliceRef(7, 999));
  keys.push_back(RecordKey::Attr(5));
  auto db = Conn(url_);
  ASSERT_TRUE(db);
  Rows::Found found;
  ASSERT_TRUE(Rows(db.get()).GetSliceRefs(keys, &found).ok());
  ASSERT_EQ(found.size(), keys.size() - 1);  // the attr is left to Get
  for (const auto& [k, v] : found) EXPECT_EQ(v, Get(k)) << k.id << "/" << k.index;
  EXPECT_EQ(found[6].second, EncodeCounterLE(2));
  EXPECT_EQ(found[0].second, std::nullopt);    // a row of refs 1
  EXPECT_EQ(found[650].second, std::nullopt);  // no row
  auto tx = meta_->Begin();
  ASSERT_TRUE(tx->Prefetch(keys).ok());
  for (const auto& k : keys) EXPECT_EQ(*tx->Get(k), Get(k)) << k.id << "/" << k.index;
}

// Readers that need no order (binary dump, check) read each table in its
// stored order, with no lookups from a secondary index: the same records.
TEST_P(SqlMetaTest, ScansInAnyOrderReadTablesInStoredOrderAndGiveTheSameRecords) {
  Attr a;
  a.type = FileType::kFile;
  a.nlink = 2;
  std::string chunk;
  AppendSliceRecord(&chunk, {0, 21, 4096, 0, 4096});
  // Each table's rows written against its key order.
  const std::vector<std::pair<RecordKey, std::string>> records = {
      {RecordKey::Attr(9), EncodeAttr(a)},
      {RecordKey::Attr(5), EncodeAttr(a)},
      {RecordKey::Entry(2, "b"), EncodeDentry({FileType::kFile, 9})},
      {RecordKey::Entry(1, "a"), EncodeDentry({FileType::kFile, 9})},
      {RecordKey::Entry(1, "0"), EncodeDentry({FileType::kFile, 5})},
      {RecordKey::Chunk(9, 1), chunk},
      {RecordKey::Chunk(5, 0), chunk},
      {RecordKey::Xattr(9, "user.z"), "1"},
      {RecordKey::Xattr(5, "user.a"), "2"},
      {RecordKey::Symlink(7), "t"},
  };
  for (const auto& [k, v] : records) Put(k, v);
  auto scan = [&](const RecordRange& r) {
    std::vector<std::pair<RecordKey, std::string>> got;
    Status st = meta_->Scan(r, [&](const RecordKey& k, std::string_view v) {
      got.emplace_back(k, std::string(v));
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return got;
  };
  auto keys = [](const std::vector<std::pair<RecordKey, std::string>>& rs) {
    std::vector<std::string> out;
    for (const auto& [k, v] : rs) out.push_back(Describe(k));
    return out;
  };
  // Entries, chunks and xattrs in the order written (their tables' ids);
  // the keyed scan in key order.
  EXPECT_EQ(keys(scan(RecordRange::KindInAnyOrder(RecordKind::kEntry))),
            keys({records[2], records[3], records[4]}));
  EXPECT_EQ(keys(scan(RecordRange::Kind(RecordKind::kEntry))),
            keys({records[4], records[3], records[2]}));
  EXPECT_EQ(keys(scan(RecordRange::KindInAnyOrder(RecordKind::kChunk))),
            keys({records[5], records[6]}));
  EXPECT_EQ(keys(scan(RecordRange::KindInAnyOrder(RecordKind::kXattr))),
            keys({records[7], records[8]}));
  // Nodes are keyed by inode: stored in inode order.
  EXPECT_EQ(keys(scan(RecordRange::KindInAnyOrder(RecordKind::kAttr))),
            keys({records[1], records[0]}));
  // The hard link's parent counter has no table: derived as in a keyed scan.
  EXPECT_EQ(scan(RecordRange::KindInAnyOrder(RecordKind::kParent)),
            scan(RecordRange::Kind(RecordKind::kParent)));
  // A full walk in any order: the same records, values and all.
  auto all = scan(RecordRange::All()), any = scan(RecordRange::AllInAnyOrder());
  EXPECT_NE(keys(any), keys(all));
  auto by_key = [](std::vector<std::pair<RecordKey, std::string>> v) {
    std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
      return Describe(x.first) + x.second < Describe(y.first) + y.second;
    });
    return v;
  };
  EXPECT_EQ(by_key(any), by_key(all));
  EXPECT_EQ(any.size(), records.size() + 3);  // and the parent counters of 9 (in 1 and 2)
  auto snap = meta_->Snapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE((*snap)->KindsStoredApart());
}

// A merged inode scan of several pages per table (MariaDB pages 2,000 rows
// and fetches the next page while the caller reads one): every record once,
// grouped by inode, while the callback reads the same snapshot; a scan
// stopped mid-page leaves the snapshot usable.
TEST_P(SqlMetaTest, LongMergedScansServePointReadsAndStopCleanly) {
  constexpr Ino kFiles = 4500;
  Attr a;
  a.type = FileType::kFile;
  a.nlink = 1;
  std::string chunk;
  AppendSliceRecord(&chunk, {0, 21, 4096, 0, 4096});
  {
    auto w = meta_->NewBulkWriter(2);
    for (Ino i = 2; i < 2 + kFiles; i++) {
      a.length = i;  // each attr its own
      ASSERT_TRUE(w->Put(RecordKey::Attr(i), EncodeAttr(a)).ok());
      ASSERT_TRUE(
          w->Put(RecordKey::Entry(1, "f" + std::to_string(i)), EncodeDentry({FileType::kFile, i}))
              .ok());
      ASSERT_TRUE(w->Put(RecordKey::Chunk(i, 0), chunk).ok());
      ASSERT_TRUE(w->Put(RecordKey::Chunk(i, 1), chunk).ok());
    }
    ASSERT_TRUE(w->Finish().ok());
  }
  auto snap = meta_->Snapshot();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  for (int shards : {1, 2}) {
    uint64_t attrs = 0, chunks = 0, entries = 0, reads = 0;
    Ino last = 0;
    bool grouped = true;
    for (int shard = 0; shard < shards; shard++) {
      Status st = (*snap)->Scan(RecordRange::InodeShard(shard, shards),
                                [&](const RecordKey& k, std::string_view) {
                                  grouped = grouped && k.ino >= last;
                                  last = k.ino;
                                  attrs += k.kind == RecordKind::kAttr;
                                  chunks += k.kind == RecordKind::kChunk;
                                  entries += k.kind == RecordKind::kEntry;
                                  if (k.kind == RecordKind::kAttr && k.ino % 97 == 0) {
                                    auto v = (*snap)->Get(RecordKey::Attr(k.ino));
                                    EXPECT_TRUE(v.ok() && *v) << k.ino;
                                    if (v.ok() && *v) {
                                      auto got = DecodeAttr(**v);
                                      EXPECT_TRUE(got.ok() && got->length == k.ino) << k.ino;
                                    }
                                    reads++;
                                  }
                                  return true;
                                });
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
    EXPECT_TRUE(grouped);
    EXPECT_EQ(attrs, kFiles);
    EXPECT_EQ(chunks, 2 * kFiles);
    EXPECT_EQ(entries, kFiles);
    EXPECT_EQ(reads, 46u) << shards;  // inodes 97, 194, ..., 4462
  }
  // Stopped in the middle of a page (and with the next one being fetched).
  uint64_t seen = 0;
  ASSERT_TRUE((*snap)
                  ->Scan(RecordRange::InodeShard(0, 1),
                         [&](const RecordKey&, std::string_view) { return ++seen < 3001; })
                  .ok());
  EXPECT_EQ(seen, 3001u);
  uint64_t again = 0;
  ASSERT_TRUE((*snap)
                  ->Scan(RecordRange::Kind(RecordKind::kChunk),
                         [&](const RecordKey&, std::string_view) {
                           again++;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(again, 2 * kFiles);
}

// A snapshot for two readers reads one state on both while a writer adds
// an entry and its inode (two tables) in each transaction: every entry the
// one thread reads has its attr in what the other reads at the same time.
// On PostgreSQL and MariaDB (whose user may LOCK TABLES) the second thread
// reads while the first one's scan is still running (a connection of its
// own); SQLite's one connection serves them in turn.
TEST_P(SqlMetaTest, ASnapshotForTwoReadersIsOneStateWhileAWriterGoesOn) {
  if (mariadb()) GrantLockTables();
  Attr a;
  a.type = FileType::kFile;
  a.nlink = 1;
  auto add = [&](Ino i) {
    RecordBatch b;
    b.Put(RecordKey::Attr(i), EncodeAttr(a));
    b.Put(RecordKey::Entry(1, "f" + std::to_string(i)), EncodeDentry({FileType::kFile, i}));
    return b.CommitTo(meta_.get());
  };
  for (Ino i = 2; i < 50; i++) ASSERT_TRUE(add(i).ok());
  std::atomic<bool> stop{false};
  std::atomic<Ino> next{50};
  std::thread writer([&] {
    while (!stop) {
      Status st = add(next);
      if (!st.ok()) ADD_FAILURE() << st.ToString();
      next++;
    }
  });
  struct Joined {
    std::atomic<bool>* stop;
    std::thread* t;
    ~Joined() {
      *stop = true;
      t->join();
    }
  } joined{&stop, &writer};
  auto count = [](MetaSnapshot* snap, RecordKind kind, uint64_t* n) {
    return snap->Scan(RecordRange::Kind(kind), [n](const RecordKey&, std::string_view) {
      ++*n;
      return true;
    });
  };
  for (int round = 0; round < 20 || next < 200; round++) {
    ASSERT_LT(round, 5000) << "the writer hardly wrote";
    auto snap = meta_->SnapshotForReaders(2);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_EQ((*snap)->OneReaderBecause(), "");
    uint64_t entries = 0, attrs = 0;
    bool at_once = false;
    std::future<Status> other;
    Status st = (*snap)->Scan(RecordRange::Kind(RecordKind::kEntry),
                              [&](const RecordKey&, std::string_view) {
                                if (entries++ == 0 && GetParam() != "sqlite3") {
                                  other = std::async(std::launch::async, [&] {
                                    return count(snap->get(), RecordKind::kAttr, &attrs);
                                  });
                                  at_once = other.wait_for(std::chrono::seconds(20)) ==
                                            std::future_status::ready;
                                }
                                return true;
                              });
    ASSERT_TRUE(st.ok()) << st.ToString();
    if (other.valid()) {
      ASSERT_TRUE(other.get().ok());
      ASSERT_TRUE(at_once) << "the second reader waited for the first one's scan";
    } else {
      ASSERT_TRUE(count(snap->get(), RecordKind::kAttr, &attrs).ok());
    }
    ASSERT_EQ(entries, attrs) << "round " << round << ": two states";
  }
}

// MariaDB: where the tables cannot be held for the readers to begin
// together, the snapshot reads on one connection (two threads take turns):
// the user may not LOCK TABLES, or a writer keeps its transaction open past
// the 2 s the hold waits (and goes on after it).
class MariadbSnapshotTest : public SqlMetaTest {};

TEST_P(MariadbSnapshotTest, ASnapshotWhoseTablesCannotBeHeldReadsOnOneConnection) {
  Put(RecordKey::Attr(2), EncodeAttr(Attr{}));
  auto one_connection = [&](MetaSnapshot* snap) {
    uint64_t n = 0;
    bool at_once = true;
    std::future<Result<std::optional<std::string>>> other;
    ASSERT_TRUE(snap->Scan(RecordRange::Kind(RecordKind::kAttr),
                           [&](const RecordKey&, std::string_view) {
                             other = std::async(std::launch::async,
                                                [&] { return snap->Get(RecordKey::Attr(2)); });
                             at_once = other.wait_for(std::chrono::milliseconds(500)) ==
                                       std::future_status::ready;
                             n++;
                             return true;
                           })
                    .ok());
    EXPECT_EQ(n, 1u);
    EXPECT_FALSE(at_once) << "two connections";
    auto after = other.get();  // once the scan gave the connection back
    EXPECT_TRUE(after.ok() && *after);
  };
  {
    auto snap = meta_->SnapshotForReaders(2);  // JuiceFS's rights: no LOCK TABLES
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    one_connection(snap->get());
    EXPECT_NE((*snap)->OneReaderBecause().find("may not LOCK TABLES"), std::string::npos)
        << (*snap)->OneReaderBecause();
  }
  GrantLockTables();
  auto writer = Conn(url_);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->BeginWrite().ok());
  ASSERT_TRUE(writer->Exec("UPDATE jfs_node SET length = 7 WHERE inode = 2").ok());
  auto start = std::chrono::steady_clock::now();
  auto snap = meta_->SnapshotForReaders(2);
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_GE(waited, 1.5);
  EXPECT_LT(waited, 10.0);
  ASSERT_TRUE(writer->Exec("COMMIT").ok());  // not held back by the snapshot
  auto v = (*snap)->Get(RecordKey::Attr(2));
  ASSERT_TRUE(v.ok() && *v);
  auto attr = DecodeAttr(**v);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->length, 0u) << "the snapshot saw a write that had not committed";
  one_connection(snap->get());
  EXPECT_NE((*snap)->OneReaderBecause().find("a writer kept its transaction open"),
            std::string::npos)
      << (*snap)->OneReaderBecause();
}

// A volume from before JuiceFS 1.1 has no dir_stats, detached_node or
// dir_quota table: reads find nothing there, the first write adds them.
TEST_P(SqlMetaTest, AnOlderVolumesMissingTablesReadEmptyAndAWriteAddsThem) {
  FormatOptions o;
  o.name = "oldvol";
  o.bucket = dir_.Sub("bucket");
  ASSERT_TRUE(FormatVolume(meta_.get(), o).ok());
  meta_.reset();
  {
    auto db = Conn(url_);
    ASSERT_TRUE(db);
    for (const char* t : {"jfs_dir_stats", "jfs_detached_node", "jfs_dir_quota"}) {
      ASSERT_TRUE(db->Exec(std::string("DROP TABLE ") + t).ok());
    }
  }
  auto m = OpenMeta(url_);
  ASSERT_TRUE(m.ok());
  auto vol = Volume::Open(std::move(*m));
  ASSERT_TRUE(vol.ok()) << vol.status().ToString();
  auto snap = (*vol)->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  size_t records = 0;
  ASSERT_TRUE((*snap)->Scan(RecordRange::All(), [&](auto&, auto) { return ++records; }).ok());
  EXPECT_GT(records, 3u);
  snap->reset();
  ASSERT_TRUE((*vol)->Mkdir(kRootInode, "new", {.mode = 0755}).ok());
  EXPECT_EQ(Has("jfs_dir_quota"), 1);
}

// A bulk load spells its rows as text (COPY's and LOAD DATA's escapes):
// every byte of a name, a target or a value comes back as it went in,
// the escaped ones (backslash, tab, newline, carriage return, NUL) at the
// start, the middle and the end, alone and in runs.
TEST_P(SqlMetaTest, BulkLoadKeepsEveryByte) {
  std::string every;
  for (int c = 1; c < 256; c++) every += static_cast<char>(c);
  every += '\0';
  const std::string escapes("\\\t\n\r\0", 5);
  const std::vector<std::string> names = {
      every.substr(0, 200), every.substr(200), escapes, "a" + escapes + "b" + escapes,
      std::string("\\N"), std::string("\\"), std::string(1, '\0'), "plain"};
  // Xattr names are text columns: ASCII without NUL there (PostgreSQL's
  // text holds none, and a name Linux passes is a C string).
  const std::vector<std::string> texts = {"user." + escapes.substr(0, 4), "user.\\N",
                                          "user.\t\tx\n\\"};
  std::vector<std::pair<RecordKey, std::string>> records;
  Ino ino = 10;
  for (const auto& n : names) {
    records.push_back({RecordKey::Entry(1, n), EncodeDentry({FileType::kSymlink, ino})});
    records.push_back({RecordKey::Symlink(ino), n});
    records.push_back({RecordKey::Xattr(ino, "user.k"), n + every});
    ino++;
  }
  for (const auto& t : texts) records.push_back({RecordKey::Xattr(5, t), escapes + t});
  {
    auto w = meta_->NewBulkWriter(2);
    for (const auto& [k, v] : records) ASSERT_TRUE(w->Put(k, v).ok()) << Describe(k);
    Status st = w->Finish();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  for (const auto& [k, v] : records) EXPECT_EQ(Get(k), v) << Describe(k);
}

// Rows gathered for one bulk statement may give a column values of another
// type than the rows before (MariaDB's arrays then send those rows first),
// or leave it NULL before a later row sets it.
TEST_P(SqlMetaTest, GatheredRowsMayChangeAColumnsTypeOrLeaveItNull) {
  Put(RecordKey::Attr(2), EncodeAttr(Attr{}));  // (the tables)
  auto db = Conn(url_);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->BeginWrite().ok());
  ASSERT_TRUE(db->SetPipelined(true).ok());
  // Each row as Rows writes one: the statement from the cache, bound, run, reset.
  auto put = [&](const std::string& sql, const std::function<void(SqlStmt&)>& bind) {
    auto s = db->Prepare(sql);
    if (!s.ok()) return s.status();
    bind(**s);
    return (*s)->Run();
  };
  const std::string counter = "INSERT INTO jfs_counter(name, value) VALUES(?, ?)";
  ASSERT_TRUE(put(counter, [](SqlStmt& s) { s.Text(1, "a").Int(2, 5); }).ok());
  ASSERT_TRUE(put(counter, [](SqlStmt& s) { s.Text(1, "b").Text(2, "7"); }).ok());
  ASSERT_TRUE(put(counter, [](SqlStmt& s) { s.Text(1, "c").Int(2, 9); }).ok());
  const std::string node =
      "INSERT INTO jfs_node(inode, type, flags, mode, uid, gid, atime, mtime, ctime, nlink, "
      "length, parent) VALUES(?, ?, 0, 420, 0, 0, 0, 0, 0, 1, 0, ?)";
  ASSERT_TRUE(put(node, [](SqlStmt& s) { s.Int(1, 40).Int(2, 1); }).ok());  // parent NULL
  ASSERT_TRUE(put(node, [](SqlStmt& s) { s.Int(1, 41).Int(2, 1).Int(3, 1); }).ok());
  Status st = db->Exec("COMMIT");
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(db->SetPipelined(false).ok());
  EXPECT_EQ(Query("SELECT value FROM jfs_counter WHERE name = 'a'"), 5);
  EXPECT_EQ(Query("SELECT value FROM jfs_counter WHERE name = 'b'"), 7);
  EXPECT_EQ(Query("SELECT value FROM jfs_counter WHERE name = 'c'"), 9);
  EXPECT_EQ(Query("SELECT count(*) FROM jfs_node WHERE inode = 40 AND parent IS NULL"), 1);
  EXPECT_EQ(Query("SELECT parent FROM jfs_node WHERE inode = 41"), 1);
}

// A bulk load (COPY on PostgreSQL, LOAD DATA on MariaDB, which would only
// warn) refuses a record named twice and a value its column cannot hold.
TEST_P(SqlMetaTest, BulkLoadRefusesARecordTwiceAndValuesOutOfRange) {
  Attr a;
  a.type = FileType::kFile;
  a.mode = 0644;
  a.nlink = 1;
  {
    auto w = meta_->NewBulkWriter(2);
    ASSERT_TRUE(w->Put(RecordKey::Attr(5), EncodeAttr(a)).ok());
    ASSERT_TRUE(w->Put(RecordKey::Attr(6), EncodeAttr(a)).ok());
    ASSERT_TRUE(w->Put(RecordKey::Attr(5), EncodeAttr(a)).ok());
    Status st = w->Finish();
    ExpectNamedTwice(st);
  }
  // Entries and chunks are keyed by indexes built at the end (a table's in
  // one pass, two tables at once): a record named twice fails there.
  std::string chunk;
  AppendSliceRecord(&chunk, {0, 21, 4096, 0, 4096});
  for (bool twice : {true, false}) {
    ASSERT_TRUE(meta_->Clear().ok());
    auto w = meta_->NewBulkWriter(2);
    ASSERT_TRUE(w->Put(RecordKey::Entry(1, "a"), EncodeDentry({FileType::kFile, 5})).ok());
    ASSERT_TRUE(w->Put(RecordKey::Chunk(5, 0), chunk).ok());
    if (twice) {
      ASSERT_TRUE(w->Put(RecordKey::Entry(1, "a"), EncodeDentry({FileType::kFile, 6})).ok());
    }
    Status st = w->Finish();
    if (twice) {
      ExpectNamedTwice(st);
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (const char* index : {"UQE_jfs_edge_edge", "IDX_jfs_edge_inode", "UQE_jfs_chunk_chunk"}) {
      EXPECT_EQ(Has(index), 1) << index;
    }
  }
  ASSERT_TRUE(meta_->Clear().ok());
  a.uid = 3000000000u;  // JuiceFS's SQL columns are signed 32-bit (not SQLite's)
  auto w = meta_->NewBulkWriter(2);
  ASSERT_TRUE(w->Put(RecordKey::Attr(7), EncodeAttr(a)).ok());
  Status st = w->Finish();
  if (GetParam() == "sqlite3") {
    EXPECT_TRUE(st.ok()) << st.ToString();
  } else {
    EXPECT_FALSE(st.ok()) << "a uid over 2^31 stored in an INT column";
    EXPECT_NE(st.message().find("range"), std::string::npos) << st.ToString();
  }
}

// A load from a dump made a table at a time: once a long first run of
// entries ends, the edge table's indexes are built while the load goes on
// (on servers; SQLite has one writer and builds them at the end). Entries
// that come later are inserted under the built index, and one that repeats
// an earlier name still fails the load.
TEST_P(SqlMetaTest, BulkLoadBuildsATablesIndexesWhenItsFirstLongRunEnds) {
  std::string chunk;
  AppendSliceRecord(&chunk, {0, 21, 4096, 0, 4096});
  for (bool twice : {false, true}) {
    ASSERT_TRUE(meta_->Clear().ok());
    auto w = meta_->NewBulkWriter(2);
    constexpr int kRun = 100001;
    for (int i = 0; i < kRun; i++) {
      ASSERT_TRUE(w->Put(RecordKey::Entry(1, "e" + std::to_string(i)),
                         EncodeDentry({FileType::kFile, static_cast<Ino>(i + 2)}))
                      .ok());
    }
    ASSERT_TRUE(w->Put(RecordKey::Chunk(2, 0), chunk).ok());  // the entries' run ends
    const bool servers = GetParam() != "sqlite3";
    bool early = Has("UQE_jfs_edge_edge") == 1;
    for (int i = 0; servers && i < 600 && !early; i++) {  // 30 s at most
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      early = Has("UQE_jfs_edge_edge") == 1;
    }
    EXPECT_EQ(early, servers) << "the edge index before the load ends";
    ASSERT_TRUE(w->Put(RecordKey::Entry(1, twice ? "e7" : "tail"),
                       EncodeDentry({FileType::kFile, kRun + 2}))
                    .ok());
    Status st = w->Finish();
    if (twice) {
      ExpectNamedTwice(st);
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(Query("SELECT count(*) FROM jfs_edge"), kRun + 1);
    EXPECT_EQ(Has("IDX_jfs_edge_inode"), 1);
    EXPECT_EQ(Has("UQE_jfs_chunk_chunk"), 1);
    auto tx = meta_->Begin();
    for (const char* name : {"e0", "e50000", "tail"}) {
      auto got = tx->Get(RecordKey::Entry(1, name));
      ASSERT_TRUE(got.ok() && got->has_value()) << name;
    }
  }
}

// JuiceFS's table_prefix: the volume's tables are jfs_<p>_NAME, indexes too.
TEST_P(SqlMetaTest, TablePrefixNamesEveryTable) {
  const std::string base = postgres()  ? url_ + "&"
                           : mariadb() ? url_ + "?"
                                       : "sqlite3://" + dir_.Sub("p.db") + "?";
  // With an option of the database's driver beside it.
  const std::string url = base + "table_prefix=v1&" +
                          (postgres()  ? "sslmode=disable"
                           : mariadb() ? "charset=utf8mb4"
                                       : "cache=shared");
  auto m = OpenMeta(url, /*create=*/true);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  FormatOptions o;
  o.name = "prefixed";
  o.bucket = dir_.Sub("pbucket");
  ASSERT_TRUE(FormatVolume(m->get(), o).ok());
  auto vol = Volume::Open(std::move(*m));
  ASSERT_TRUE(vol.ok()) << vol.status().ToString();
  ASSERT_TRUE((*vol)->Mkdir(kRootInode, "d", {.mode = 0755}).ok());
  url_ = url;
  EXPECT_EQ(Query("SELECT count(*) FROM jfs_v1_edge"), 1);
  EXPECT_EQ(Has("UQE_jfs_v1_edge_edge"), 1);
  if (postgres()) {
    EXPECT_EQ(Has("jfs_v1_edge_id_seq"), 1);  // JuiceFS's sequence names
  }
  EXPECT_EQ(Has("jfs_node"), 0);
  // Without the prefix the same database holds no volume.
  const std::string unprefixed = base.substr(0, base.size() - 1);
  auto plain = OpenMeta(unprefixed);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(Volume::Open(std::move(*plain)).status().Is(Code::kNotFound));
  // A second volume in the same file, under another prefix.
  auto second = OpenMeta(base + "table_prefix=v2", /*create=*/true);
  ASSERT_TRUE(second.ok());
  o.name = "second";
  o.bucket = dir_.Sub("pbucket2");
  ASSERT_TRUE(FormatVolume(second->get(), o).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM jfs_v2_setting"), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM jfs_v1_setting"), 1);
  auto bad = OpenMeta(base + "table_prefix=No-Dash");
  EXPECT_TRUE(bad.status().Is(Code::kInvalidArgument)) << bad.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Engines, SqlMetaTest, ::testing::Values("sqlite3", "postgres", "mariadb"));
// MySQL only: the others share snapshots (PostgreSQL) or have one connection.
INSTANTIATE_TEST_SUITE_P(Mysql, MariadbSnapshotTest, ::testing::Values("mariadb"));

// A bulk load whose nodes come spread over all inodes batch after batch (a
// TKV volume's binary dump, in little-endian key order) goes through sorted
// runs on disk: every record arrives, once, and a record named twice is
// still refused.
TEST(SqliteMetaTest, ABulkLoadOutOfKeyOrderLoadsEveryRecordOnce) {
  TempDir dir;
  constexpr Ino kNodes = 250000;
  // Inodes 2.. in the order of their little-endian bytes, as a TKV engine
  // keeps them: every 100,000 of them spread over the whole range.
  std::vector<Ino> order;
  for (Ino i = 2; i < kNodes + 2; i++) order.push_back(i);
  std::sort(order.begin(), order.end(), [](Ino x, Ino y) {
    for (int b = 0; b < 8; b++) {
      if (((x >> (8 * b)) & 255) != ((y >> (8 * b)) & 255))
        return ((x >> (8 * b)) & 255) < ((y >> (8 * b)) & 255);
    }
    return false;
  });
  for (bool twice : {false, true}) {
    auto meta = OpenMeta("sqlite3://" + dir.Sub(twice ? "twice.db" : "v.db"), /*create=*/true);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    Attr a;
    a.type = FileType::kFile;
    a.nlink = 1;
    auto w = (*meta)->NewBulkWriter(2);
    for (Ino ino : order) {
      a.length = ino;
      ASSERT_TRUE(w->Put(RecordKey::Attr(ino), EncodeAttr(a)).ok());
    }
    if (twice) {
      ASSERT_TRUE(w->Put(RecordKey::Attr(77), EncodeAttr(a)).ok());
    }
    Status st = w->Finish();
    if (twice) {
      ExpectNamedTwice(st);
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.ToString();
    uint64_t n = 0;
    Ino last = 0;
    bool right = true;
    ASSERT_TRUE((*meta)
                    ->Scan(RecordRange::Kind(RecordKind::kAttr),
                           [&](const RecordKey& k, std::string_view v) {
                             auto got = DecodeAttr(v);
                             right = right && k.ino > last && got.ok() && got->length == k.ino;
                             last = k.ino;
                             n++;
                             return true;
                           })
                    .ok());
    EXPECT_TRUE(right);
    EXPECT_EQ(n, kNodes);
  }
}

TEST(SqliteMetaTest, BadPathsSayWhatIsWrong) {
  TempDir dir_;
  auto dir = OpenMeta("sqlite3://" + dir_.path());
  EXPECT_TRUE(dir.status().Is(Code::kInvalidArgument)) << dir.status().ToString();
  EXPECT_NE(dir.status().message().find("is a directory"), std::string::npos);
  auto missing = OpenMeta("sqlite3://" + dir_.Sub("none.db"));
  EXPECT_TRUE(missing.status().Is(Code::kNotFound)) << missing.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("none.db"))) << "a mistyped path left a file";
  auto empty = OpenMeta("sqlite3://");
  EXPECT_TRUE(empty.status().Is(Code::kInvalidArgument));
  auto no_dir = OpenMeta("sqlite3://" + dir_.Sub("no/such/dir.db"), /*create=*/true);
  EXPECT_FALSE(no_dir.ok());
}

}  // namespace
}  // namespace jfsbr
