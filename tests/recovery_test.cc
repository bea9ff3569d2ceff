// Recovery from the CLI: a file overwritten and deleted after a backup comes
// back byte-identical with export --from-backup (local store and S3); the
// trash gives removed trees back; fsck names a broken file; gc reports. On
// RocksDB and on Redis.
#include <gtest/gtest.h>

#include <filesystem>

#include "fs/volume.h"
#include "meta/registry.h"
#include "model/block.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

std::string Bytes(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>(seed + i * 31 % 251);
  return s;
}

class RecoveryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string kind = EngineKind(GetParam());
    meta_ = kind == "rocksdb" ? "rocksdb://" + dir_.path() + "/meta" : FreshMetaUrl(kind, "");
    auto e = OpenMeta(meta_, /*create=*/true);
    ASSERT_TRUE(e.ok());
    FormatOptions o;
    o.name = "recvol";
    UseFreshStore(StoreKind(GetParam()), dir_.path(), &o);
    ASSERT_TRUE(FormatVolume(e->get(), o).ok());  // trash: 1 day
  }
  // The volume, open in this process (RocksDB: close it before the CLI runs).
  std::unique_ptr<Volume> Open() {
    auto e = OpenMeta(meta_);
    EXPECT_TRUE(e.ok());
    auto v = Volume::Open(std::move(*e));
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(*v) : nullptr;
  }
  Ino Create(Volume* v, Ino parent, const std::string& name, const std::string& data) {
    return CreateTestFile(v, parent, name, data, 0640);
  }
  CmdResult J(const std::string& args) { return Jfsbr(args, dir_); }

  TempDir dir_;
  std::string meta_;
};

TEST_P(RecoveryTest, FileOverwrittenAndDeletedAfterABackupComesBackFromIt) {
  const std::string before = Bytes(5 << 20, 'a'), after = Bytes(300000, 'z');
  {
    auto v = Open();
    Ino d = *v->Mkdir(kRootInode, "docs", {.mode = 0755});
    Create(v.get(), d, "report.bin", before);
    Create(v.get(), d, "other", "unchanged");
  }
  CmdResult b = J("backup " + meta_);
  ASSERT_EQ(b.code, 0) << b.err;
  {
    auto v = Open();
    Ino d = v->Resolve("/docs").value();
    Ino f = v->Resolve("/docs/report.bin").value();
    ASSERT_TRUE(v->Write(f, 0, after).ok());
    ASSERT_TRUE(v->Truncate(f, after.size()).ok());
    ASSERT_TRUE(v->Unlink(d, "report.bin").ok());
  }
  // gc keeps what the backup needs (the trash has not expired either).
  CmdResult gc = J("gc --delete " + meta_);
  ASSERT_EQ(gc.code, 0) << gc.err;
  EXPECT_NE(gc.err.find("0 leaked"), std::string::npos) << gc.err;
  std::string out = dir_.Sub("out");
  CmdResult ex = J("export " + meta_ + " " + out + " --from-backup latest --path /docs/report.bin");
  ASSERT_EQ(ex.code, 0) << ex.err;
  EXPECT_EQ(ReadFileOrEmpty(out + "/report.bin"), before);
  // The whole directory as it was, too; and the live volume no longer has the file.
  std::string tree = dir_.Sub("tree");
  ASSERT_EQ(J("export " + meta_ + " " + tree + " --from-backup latest --path /docs").code, 0);
  EXPECT_EQ(ReadFileOrEmpty(tree + "/report.bin"), before);
  EXPECT_EQ(ReadFileOrEmpty(tree + "/other"), "unchanged");
  EXPECT_NE(J("stat " + meta_ + " /docs/report.bin").code, 0);
  // A backup that does not exist is a clear error.
  CmdResult bad =
      J("export " + meta_ + " " + out + " --from-backup dump-1999-01-01-000000.json.gz");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("1999"), std::string::npos) << bad.err;
}

INSTANTIATE_TEST_SUITE_P(Stores, RecoveryTest, ::testing::Values("rocksdb", "rocksdb+s3", "redis"),
                         TestKindName);

class RecoveryCliTest : public RecoveryTest {};

TEST_P(RecoveryCliTest, RestoreTrashRebuildsAndPutsBack) {
  std::string hour;
  {
    auto v = Open();
    Ino a = *v->Mkdir(kRootInode, "a", {.mode = 0755});
    Ino b = *v->Mkdir(a, "b", {.mode = 0755});
    Create(v.get(), b, "c", "precious");
    ASSERT_TRUE(v->Unlink(b, "c").ok());
    ASSERT_TRUE(v->Rmdir(a, "b").ok());
    ASSERT_TRUE(v->Rmdir(kRootInode, "a").ok());
    auto hours = v->ReadDir(kTrashInode);
    ASSERT_TRUE(hours.ok());
    ASSERT_EQ(hours->size(), 1u);
    hour = hours->front().name;
  }
  CmdResult r = J("restore-trash " + meta_ + " " + hour);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("3 entries, 2 rebuilt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 need --put-back"), std::string::npos) << r.err;
  r = J("restore-trash --put-back " + meta_ + " " + hour);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("1 put back"), std::string::npos) << r.err;
  CmdResult cat = J("cat " + meta_ + " /a/b/c");
  ASSERT_EQ(cat.code, 0) << cat.err;
  EXPECT_EQ(cat.out, "precious");
  CmdResult check = J("check " + meta_);
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_NE(J("restore-trash " + meta_ + " 1999-01-01-00").code, 0);
}

TEST_P(RecoveryCliTest, FsckNamesTheBrokenFileAndGcReports) {
  std::string block;
  {
    auto v = Open();
    Ino d = *v->Mkdir(kRootInode, "d", {.mode = 0755});
    Ino f = Create(v.get(), d, "f", Bytes(5 << 20, 'q'));
    auto recs = v->ReadChunk(f, 0);
    ASSERT_TRUE(recs.ok());
    block = BlockKey((*recs)[0].id, 1, 1 << 20, false);
  }
  CmdResult ok = J("fsck " + meta_);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.err.find("2 blocks checked: all present"), std::string::npos) << ok.err;
  // Delete the block object from the bucket directory.
  bool removed = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (e.path().string().ends_with("recvol/" + block)) {
      std::filesystem::remove(e.path());
      removed = true;
      break;
    }
  }
  ASSERT_TRUE(removed);
  CmdResult broken = J("fsck " + meta_);
  EXPECT_EQ(broken.code, 1);
  EXPECT_NE(broken.out.find("/d/f"), std::string::npos) << broken.out << broken.err;
  EXPECT_NE(broken.err.find("1 objects are lost"), std::string::npos) << broken.err;
  CmdResult gc = J("gc " + meta_);
  EXPECT_EQ(gc.code, 0) << gc.err;
  EXPECT_NE(gc.err.find("scanned 1 objects"), std::string::npos) << gc.err;
}

INSTANTIATE_TEST_SUITE_P(Local, RecoveryCliTest, ::testing::Values("rocksdb", "redis"),
                         TestKindName);

}  // namespace
}  // namespace jfsbr
