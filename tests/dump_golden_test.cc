// The JSON dump against a checked-in golden file, and dump/load round trips.
//
// The golden volume is built by a fixed script: the Volume API under a fake
// clock for everything it can do, plus raw records for what it has no call
// for yet (ACL rules, quotas, a file awaiting data deletion).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dump/binary.h"
#include "dump/json_dump.h"
#include "dump/json_load.h"
#include "fs/check.h"
#include "fs/volume.h"
#include "meta/registry.h"
#include "testing/test_volume.h"
#include "util/coding.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

const std::string kGolden = std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json";
const std::string kGoldenSub = std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume-docs.json";

std::string ReadFile(const std::string& path) { return ReadFileOrEmpty(path); }

// Compares with a golden file; JFSBR_UPDATE_GOLDEN=1 rewrites it instead.
void ExpectGolden(const std::string& got, const std::string& path) {
  if (getenv("JFSBR_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << got;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(got, ReadFile(path)) << "dump differs from " << path;
}

void Put(Meta* e, const RecordKey& k, const std::string& v) {
  RecordBatch b;
  b.Put(k, v);
  ASSERT_TRUE(b.CommitTo(e).ok());
}

Ino MakeFile(Volume* v, Ino parent, const std::string& name, const std::string& data,
             uint16_t mode = 0644) {
  auto ino = v->CreateFile(parent, name, {.mode = mode, .uid = 1000, .gid = 100}, 0, {});
  EXPECT_TRUE(ino.ok()) << name << ": " << ino.status().ToString();
  if (!data.empty()) {
    EXPECT_TRUE(v->Write(*ino, 0, data).ok());
  }
  return ino.ok() ? *ino : 0;
}

void BuildGoldenVolume(Meta* engine) {
  TEST_UseFakeClock(1700000000);
  FormatOptions o;
  o.name = "golden";
  o.storage = "mem";
  o.bucket = "golden-bucket";
  o.uuid = "0a1b2c3d-0000-4000-8000-00000000beef";
  ASSERT_TRUE(FormatVolume(engine, o).ok());
  auto opened = Volume::Open(BorrowMeta(engine));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Volume* v = opened->get();
  NodeSpec dir{.mode = 0755, .uid = 1000, .gid = 100};
  Ino docs = *v->Mkdir(kRootInode, "docs", dir);
  Ino data = *v->Mkdir(kRootInode, "data", dir);
  Ino quota_dir = *v->Mkdir(kRootInode, "quota dir", dir);
  *v->Mkdir(kRootInode, "empty", dir);
  ASSERT_TRUE(v->SetXattr(docs, "user.note", "50% done\n").ok());
  ASSERT_TRUE(v->SetXattr(docs, "user.html", "<b>&amp;</b>").ok());
  MakeFile(v, docs, "readme.txt", "hello world\n");
  MakeFile(v, docs, "GBK\xb9\xfb\xd6\xad\xca\xfd", "gbk name");
  MakeFile(v, docs, std::string("bad\xff\xfe-utf8", 10), "invalid utf-8 name");
  MakeFile(v, docs, "name with spaces and 100%", "");
  MakeFile(v, docs, "old.txt", "to the trash");
  // A file of three chunks (the middle one a hole) and one with overlapping slices.
  Ino big = MakeFile(v, data, "big.bin", "head");
  ASSERT_TRUE(v->Write(big, 2 * kChunkSize + 100, "tail").ok());
  Ino over = MakeFile(v, data, "over.bin", std::string(8192, 'a'));
  ASSERT_TRUE(v->Write(over, 1000, std::string(100, 'b')).ok());
  ASSERT_TRUE(v->Truncate(over, 5000).ok());
  ASSERT_TRUE(v->Link(big, docs, "big-link").ok());  // a hard link across dirs
  *v->Symlink(kRootInode, "link", "docs/readme.txt", dir);
  *v->Symlink(docs, "odd link", "../100% \"quoted\"", dir);
  *v->Mknod(data, "fifo", FileType::kFifo, {.mode = 0600, .uid = 1000, .gid = 100});
  MakeFile(v, quota_dir, "in-quota", std::string(5000, 'q'));
  ASSERT_TRUE(v->Unlink(docs, "old.txt").ok());  // into the hourly trash
  ASSERT_TRUE(v->Rmdir(kRootInode, "empty").ok());
  // ACLs: an access ACL on a file and both on a directory.
  Ino acl_file = MakeFile(v, kRootInode, "acl.txt", "acl");
  AclRule access{.owner = 6, .group = 4, .mask = 6, .other = 4, .users = {{1001, 6}}, .groups = {}};
  AclRule deflt{.owner = 7, .group = 5, .mask = 7, .other = 5, .users = {}, .groups = {{200, 7}}};
  Put(engine, RecordKey::AclRule(1), EncodeAclRule(access));
  Put(engine, RecordKey::AclRule(2), EncodeAclRule(deflt));
  for (auto [ino, acc, def] : {std::tuple{acl_file, 1u, 0u}, std::tuple{data, 1u, 2u}}) {
    Attr a = *v->GetAttr(ino);
    a.access_acl = acc;
    a.default_acl = def;
    Put(engine, RecordKey::Attr(ino), EncodeAttr(a));
  }
  // Quotas and a file whose data is still to be deleted.
  Put(engine, RecordKey::DirQuota(quota_dir), EncodeQuota({1 << 30, 100, 8192, 1}));
  Put(engine, RecordKey::UserQuota(1000), EncodeQuota({int64_t{2} << 30, 1000, 0, 0}));
  Put(engine, RecordKey::GroupQuota(100), EncodeQuota({int64_t{3} << 30, -1, 0, 0}));
  Put(engine, RecordKey::GroupQuota(7), EncodeQuota({-1, -1, 4096, 1}));  // usage only: not dumped
  Put(engine, RecordKey::DelFile(4000, 8192), EncodeDelFileTime(1700000123));
  TEST_UseRealClock();
}

std::string Dump(Meta* e, const DumpOptions& o = {}) {
  auto snap = e->Snapshot();
  EXPECT_TRUE(snap.ok());
  std::string out;
  auto sink = StringSink(&out);
  auto st = DumpJson(snap->get(), sink.get(), o);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return out;
}

void Load(const std::string& dump, Meta* e) {
  auto src = StringSource(dump);
  auto st = LoadJson(src.get(), e, {});
  ASSERT_TRUE(st.ok()) << st.status().ToString();
}

void ExpectCheckPasses(Meta* e) {
  auto snap = e->Snapshot();
  auto r = CheckVolume(snap->get());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string problems;
  for (const auto& p : r->problems) problems += p + "\n";
  EXPECT_TRUE(r->ok()) << problems;
}

class DumpGoldenTest : public ::testing::Test {
 protected:
  std::unique_ptr<Meta> Engine(const std::string& kind) {
    auto e = OpenMeta(FreshMetaUrl(kind, dir_.path()), true);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return std::move(*e);
  }
  TempDir dir_;
  int n_ = 0;
};

TEST_F(DumpGoldenTest, ScriptedVolumeDumpsToTheGoldenBytes) {
  auto e = Engine("memkv");
  BuildGoldenVolume(e.get());
  ExpectCheckPasses(e.get());
  ExpectGolden(Dump(e.get()), kGolden);
  DumpOptions sub;
  sub.subdir = "/docs";
  ExpectGolden(Dump(e.get(), sub), kGoldenSub);
}

TEST_F(DumpGoldenTest, GoldenLoadsIntoEveryEngineAndDumpsBackIdentically) {
  std::string golden = ReadFile(kGolden);
  ASSERT_FALSE(golden.empty());
  for (const char* kind : {"memkv", "rocksdb", "etcd", "sqlite3", "postgres", "mariadb", "redis"}) {
    auto e = Engine(kind);
    Load(golden, e.get());
    ExpectCheckPasses(e.get());
    EXPECT_EQ(Dump(e.get()), golden) << kind;
    DumpOptions sub;
    sub.subdir = "/docs";
    EXPECT_EQ(Dump(e.get(), sub), ReadFile(kGoldenSub)) << kind;
    // Single-threaded reading gives the same bytes, and so does reading the
    // tree entry by entry instead of through the spill.
    DumpOptions one;
    one.threads = 1;
    EXPECT_EQ(Dump(e.get(), one), golden) << kind;
    DumpOptions tree;
    tree.spill = false;
    EXPECT_EQ(Dump(e.get(), tree), golden) << kind;
  }
}

TEST_F(DumpGoldenTest, BinaryRoundTripsAcrossEngines) {
  auto json_loaded = Engine("memkv");
  Load(ReadFile(kGolden), json_loaded.get());
  auto snap = json_loaded->Snapshot();
  std::string bin;
  auto sink = StringSink(&bin);
  auto dumped = DumpBinary(snap->get(), sink.get(), {});
  ASSERT_TRUE(dumped.ok()) << dumped.status().ToString();
  EXPECT_EQ(bin.substr(0, 4), std::string("\0\0\0\x01", 4));  // the format segment first
  EXPECT_EQ(bin.substr(bin.size() - 8 - GetBE64(bin.data() + bin.size() - 8) - 4, 4),
            std::string("\0\x74\x70\x83", 4));  // EOS before the footer
  for (const char* kind : {"rocksdb", "memkv", "etcd", "sqlite3", "postgres", "mariadb", "redis"}) {
    auto e = Engine(kind);
    auto src = StringSource(bin);
    auto loaded = LoadBinary(src.get(), e.get(), {});
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ExpectCheckPasses(e.get());
    EXPECT_EQ(Dump(e.get()), ReadFile(kGolden)) << kind;  // the same volume
    auto again = e->Snapshot();
    std::string bin2;
    auto sink2 = StringSink(&bin2);
    ASSERT_TRUE(DumpBinary(again->get(), sink2.get(), {}).ok());
    if (!IsSqlEngine(kind)) {
      EXPECT_EQ(bin2, bin) << kind;  // binary -> load -> binary: the same bytes
      continue;
    }
    // SQL lists inodes in numeric order, TKV engines in key order (inode
    // numbers are little-endian in keys): the same records, another order.
    // Within the family, binary -> load -> binary gives the same bytes.
    EXPECT_EQ(bin2.size(), bin.size());
    auto e2 = Engine(kind);
    auto src2 = StringSource(bin2);
    ASSERT_TRUE(LoadBinary(src2.get(), e2.get(), {}).ok());
    auto third = e2->Snapshot();
    std::string bin3;
    auto sink3 = StringSink(&bin3);
    ASSERT_TRUE(DumpBinary(third->get(), sink3.get(), {}).ok());
    EXPECT_EQ(bin3, bin2) << kind;
  }
}

TEST_F(DumpGoldenTest, SubdirDumpLoadsAsTheRootOfANewVolume) {
  auto e = Engine("etcd");
  Load(ReadFile(kGoldenSub), e.get());
  ExpectCheckPasses(e.get());
  DumpOptions o;
  o.skip_trash = true;
  std::string again = Dump(e.get(), o);
  // The same tree, now as inode 1.
  EXPECT_NE(again.find("\"FSTree\": {\n    \"attr\": {\"inode\":1,\"type\":\"directory\""),
            std::string::npos);
  EXPECT_NE(again.find("\"readme.txt\": {"), std::string::npos);
  auto second = Engine("memkv");
  Load(again, second.get());
  EXPECT_EQ(Dump(second.get(), o), again);  // a fixpoint from here on
}

TEST_F(DumpGoldenTest, SecretsAreRemovedUnlessKept) {
  auto e = Engine("memkv");
  Load(ReadFile(kGolden), e.get());
  auto setting = DecodeSetting(**e->Get(RecordKey::Setting()));
  setting->secret_key = "s3cr3t";
  setting->session_token = "tok";
  Put(e.get(), RecordKey::Setting(), EncodeSetting(*setting));
  std::string dump = Dump(e.get());
  EXPECT_EQ(dump.find("s3cr3t"), std::string::npos);
  EXPECT_NE(dump.find("\"SecretKey\": \"removed\""), std::string::npos);
  EXPECT_NE(dump.find("\"SessionToken\": \"removed\""), std::string::npos);
  DumpOptions keep;
  keep.keep_secret = true;
  EXPECT_NE(Dump(e.get(), keep).find("\"SecretKey\": \"s3cr3t\""), std::string::npos);
}

}  // namespace
}  // namespace jfsbr
