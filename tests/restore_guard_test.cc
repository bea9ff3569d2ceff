// Safe restores over a bucket that lived on: an older state restored (from
// a dump backup, a br backup) raises nextChunk past every object, records
// itself in the bucket, and gc keeps the newer objects unless told; backup
// verify --blocks names the files whose objects are gone.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "model/block.h"
#include "testing/etcd_cluster.h"
#include "testing/process.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;

void WriteFiles(const std::string& dir, const std::string& prefix, int n, size_t size) {
  fs::create_directories(dir);
  std::mt19937 rng(static_cast<uint32_t>(prefix.size() * 131 + n));
  for (int i = 0; i < n; i++) {
    std::string data(size + i, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::ofstream(dir + "/" + prefix + std::to_string(i), std::ios::binary) << data;
  }
}

// Every block object of the bucket: key -> content.
std::map<std::string, std::string> Objects(const std::string& bucket) {
  std::map<std::string, std::string> out;
  if (!fs::exists(bucket)) return out;
  for (auto& e : fs::recursive_directory_iterator(bucket)) {
    std::string p = e.path().string();
    if (e.is_regular_file() && p.find("/chunks/") != std::string::npos) {
      out[p.substr(p.find("chunks/"))] = ReadFileOrEmpty(p);
    }
  }
  return out;
}

uint64_t MaxSliceId(const std::map<std::string, std::string>& objects) {
  uint64_t max = 0;
  for (const auto& [k, v] : objects) {
    auto n = ParseBlockName(k);
    if (n) max = std::max(max, n->id);
  }
  return max;
}

// "nextChunk": N from `jfsbr status`.
uint64_t NextChunk(const std::string& meta, const TempDir& d) {
  CmdResult s = Jfsbr("status " + Quoted(meta), d);
  EXPECT_EQ(s.code, 0) << s.err;
  auto at = s.out.find("\"nextChunk\": ");
  return at == std::string::npos ? 0 : std::stoull(s.out.substr(at + 13));
}

TEST(RestoreGuardTest, AnOlderBackupRestoredKeepsTheNewerObjectsSafe) {
  TempDir d;
  std::string vol = "sqlite3://" + d.Sub("m.db"), bucket = d.Sub("bucket");
  WriteFiles(d.Sub("a"), "a", 3, 300000);
  WriteFiles(d.Sub("b"), "b", 4, 200000);
  WriteFiles(d.Sub("c"), "c", 2, 100000);
  ASSERT_EQ(Jfsbr("format " + vol + " gvol --bucket " + bucket, d).code, 0);
  ASSERT_EQ(Jfsbr("import " + d.Sub("a") + " " + vol, d).code, 0);
  ASSERT_EQ(Jfsbr("backup " + vol, d).code, 0);
  auto at_backup = Objects(bucket);
  sleep(2);  // object times have whole seconds: what follows is after the backup's
  ASSERT_EQ(Jfsbr("mkdir " + vol + " /b", d).code, 0);
  ASSERT_EQ(Jfsbr("import " + d.Sub("b") + " " + vol + " --dest /b", d).code, 0);
  // Objects no metadata names: one made after the backup with an id below
  // its counter (ids reserved in a batch before the state, used after it),
  // one from long before it (plain garbage).
  uint64_t low = MaxSliceId(at_backup) + 1;
  std::string vdir = bucket + "/gvol/chunks/0/" + std::to_string(low / 1000) + "/";
  std::ofstream(vdir + std::to_string(low) + "_0_5") << "after";
  std::ofstream(vdir + std::to_string(low + 1) + "_0_5") << "old!!";
  ASSERT_EQ(RunShell("touch -d 2020-01-01 " + vdir + std::to_string(low + 1) + "_0_5", d).code, 0);
  auto before = Objects(bucket);
  ASSERT_EQ(before.size(), at_backup.size() + 6);

  // Exactly, when asked: the backup's counter, nothing recorded.
  std::string exact = "sqlite3://" + d.Sub("exact.db");
  CmdResult ex = Jfsbr("restore " + vol + " --from latest --no-bucket-guard --to " + exact, d);
  ASSERT_EQ(ex.code, 0) << ex.err;
  EXPECT_LE(NextChunk(exact, d), MaxSliceId(before));
  EXPECT_EQ(ex.err.find("written after this state"), std::string::npos) << ex.err;

  // Guarded (the default): nextChunk past every object, the restore recorded.
  std::string restored = "sqlite3://" + d.Sub("r.db");
  CmdResult r = Jfsbr("restore " + vol + " --from latest --to " + restored, d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("the bucket holds 5 objects"), std::string::npos) << r.err;
  EXPECT_GT(NextChunk(restored, d), MaxSliceId(before));
  CmdResult st = Jfsbr("status " + restored, d);
  EXPECT_NE(st.out.find("\"Restores\": [{"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"source\": \"backup meta/dump-"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"newer_objects\": 5"), std::string::npos) << st.out;

  // New writes into the restored volume leave every existing object alone.
  ASSERT_EQ(Jfsbr("import " + d.Sub("c") + " " + restored, d).code, 0);
  auto after_writes = Objects(bucket);
  for (const auto& [k, v] : before) {
    ASSERT_EQ(after_writes.count(k), 1u) << k;
    EXPECT_EQ(after_writes[k], v) << k << " was overwritten";
  }
  EXPECT_EQ(after_writes.size(), before.size() + 2);
  CmdResult fsck = Jfsbr("fsck " + restored, d);
  EXPECT_EQ(fsck.code, 0) << fsck.err;

  // gc --delete keeps the objects written after the restored state, and says
  // so; the old garbage goes.
  CmdResult gc = Jfsbr("gc " + restored + " --delete --skip-newer 0", d);
  ASSERT_EQ(gc.code, 0) << gc.err;
  EXPECT_NE(gc.err.find("5 of the leaked objects"), std::string::npos) << gc.err;
  EXPECT_NE(gc.err.find("kept"), std::string::npos) << gc.err;
  after_writes.erase("chunks/0/" + std::to_string(low / 1000) + "/" + std::to_string(low + 1) +
                     "_0_5");
  EXPECT_EQ(Objects(bucket), after_writes);
  ExpectOneLineError(Jfsbr("gc " + restored + " --delete-after-restore", d), "--delete",
                     "--delete-after-restore without --delete");
  // ...until told: then only they go.
  CmdResult gc2 = Jfsbr("gc " + restored + " --delete --delete-after-restore --skip-newer 0", d);
  ASSERT_EQ(gc2.code, 0) << gc2.err;
  EXPECT_NE(gc2.err.find("deleted 5 leaked objects"), std::string::npos) << gc2.err;
  auto after_gc = Objects(bucket);
  EXPECT_EQ(after_gc.size(), after_writes.size() - 5);
  for (const auto& [k, v] : at_backup) EXPECT_EQ(after_gc.count(k), 1u) << k;
  EXPECT_EQ(Jfsbr("fsck " + restored, d).code, 0);
}

TEST(RestoreGuardTest, BackupVerifyBlocksNamesTheFilesNoLongerRestorable) {
  TempDir d;
  std::string vol = "sqlite3://" + d.Sub("m.db"), bucket = d.Sub("bucket");
  WriteFiles(d.Sub("a"), "a", 3, 300000);
  ASSERT_EQ(Jfsbr("format " + vol + " gvol --trash-days 0 --bucket " + bucket, d).code, 0);
  ASSERT_EQ(Jfsbr("import " + d.Sub("a") + " " + vol, d).code, 0);
  ASSERT_EQ(Jfsbr("backup " + vol, d).code, 0);
  CmdResult ok = Jfsbr("backup verify " + vol + " latest --blocks", d);
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.err.find("all 3 blocks of 3 files"), std::string::npos) << ok.err;
  // The volume moves on (a1 removed, its object deleted by gc): the backup
  // still lists a1, whose object is gone.
  ASSERT_EQ(Jfsbr("rm " + vol + " /a1", d).code, 0);
  ASSERT_EQ(Jfsbr("gc " + vol + " --delete --skip-newer 0 --no-keep-backup-slices", d).code, 0);
  ASSERT_EQ(Objects(bucket).size(), 2u);
  CmdResult bad = Jfsbr("backup verify " + vol + " latest --blocks", d);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("not restorable: /a1 "), std::string::npos) << bad.out;
  EXPECT_EQ(bad.out.find("/a0"), std::string::npos) << bad.out;
  EXPECT_NE(bad.err.find("1 files of the backup are no longer restorable"), std::string::npos)
      << bad.err;
  // Without --blocks the metadata alone still verifies.
  EXPECT_EQ(Jfsbr("backup verify " + vol + " latest", d).code, 0);
}

TEST(RestoreGuardTest, AnOlderBrBackupRestoredIsGuardedToo) {
  TempDir d;
  EtcdCluster* cluster = EtcdCluster::Shared();
  ASSERT_NE(cluster, nullptr);
  std::string meta = cluster->MetaUrl(RunUniqueName("guardbr"));
  std::string bucket = d.Sub("bucket");
  WriteFiles(d.Sub("a"), "a", 2, 100000);
  WriteFiles(d.Sub("b"), "b", 3, 100000);
  ASSERT_EQ(Jfsbr("format " + meta + " guardbr --bucket " + bucket, d).code, 0);
  ASSERT_EQ(Jfsbr("import " + d.Sub("a") + " " + meta, d).code, 0);
  ASSERT_EQ(Jfsbr("br backup " + meta + " -s file://" + d.Sub("full"), d).code, 0);
  sleep(2);  // object times have whole seconds: what follows is after the backup's
  ASSERT_EQ(Jfsbr("mkdir " + meta + " /b", d).code, 0);
  ASSERT_EQ(Jfsbr("import " + d.Sub("b") + " " + meta + " --dest /b", d).code, 0);
  auto before = Objects(bucket);
  std::string target = "rocksdb://" + d.Sub("r");
  CmdResult r = Jfsbr("br restore -s file://" + d.Sub("full") + " " + target, d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("the bucket holds 3 objects"), std::string::npos) << r.err;
  EXPECT_GT(NextChunk(target, d), MaxSliceId(before));
  CmdResult st = Jfsbr("status " + target, d);
  EXPECT_NE(st.out.find("\"source\": \"br backup file://"), std::string::npos) << st.out;
  CmdResult gc = Jfsbr("gc " + target + " --delete --skip-newer 0", d);
  ASSERT_EQ(gc.code, 0) << gc.err;
  EXPECT_EQ(Objects(bucket), before);
}

}  // namespace
}  // namespace jfsbr
