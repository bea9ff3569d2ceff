// mount and diff end to end, on real FUSE: every kind of SOURCE mounted and
// walked with the ordinary tools (diff -r, find, cp -a, rsync, grep -r,
// getfattr, stat) against the tree it must show; writes refused; diff of
// backups, dumps, versions and points in time listing exactly the changes
// made; one-line errors for a missing mountpoint or /dev/fuse.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "fs/volume.h"
#include "meta/registry.h"
#include "pitr/log_task.h"
#include "testing/etcd_cluster.h"
#include "testing/process.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"
#include "tests/log_wait.h"
#include "tkv/registry.h"

namespace jfsbr {
namespace {

const std::string J = JFSBR_BINARY;

// The tree every test starts from: files of several blocks, an empty one, a
// hard link, a symlink, an xattr, modes, depth.
void MakeTree(const std::string& root) {
  namespace fs = std::filesystem;
  fs::create_directories(root + "/sub/deep/er");
  std::ofstream(root + "/a.txt") << "needle in a file\n";
  std::string big(6 << 20, '\0');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::ofstream(root + "/big", std::ios::binary) << big;
  std::ofstream(root + "/sub/deep/er/x") << "deep";
  std::ofstream(root + "/empty");
  std::ofstream(root + "/private") << "p";
  fs::permissions(root + "/private", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_hard_link(root + "/a.txt", root + "/sub/hard");
  fs::create_symlink("a.txt", root + "/link");
  ASSERT_EQ(system(("setfattr -n user.k -v val " + root + "/a.txt").c_str()), 0);
}

// `jfsbr mount ARGS... MOUNTPOINT` in the background until Unmount.
class Mounted {
 public:
  Mounted(const TempDir& d, std::vector<std::string> args, const std::string& mountpoint)
      : d_(d), mnt_(mountpoint), log_(d.Sub("mount-" + std::to_string(++count_) + ".log")) {
    std::filesystem::create_directories(mnt_);
    args.insert(args.begin(), "mount");
    args.push_back(mnt_);
    pid_ = SpawnJfsbr(args, log_);
    for (int i = 0; i < 600 && ready_.empty(); i++) {
      std::string err = ReadFileOrEmpty(log_);
      if (err.find("mounted ") != std::string::npos) ready_ = err;
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Mounted() {
    if (pid_ != 0) Unmount();
  }
  bool ok() const { return !ready_.empty(); }
  std::string log() const { return ReadFileOrEmpty(log_); }
  // SIGTERM (or SIGINT), then the command's exit code.
  int Signal(int sig) {
    if (pid_ == 0) return -1;
    kill(pid_, sig);
    int rc = WaitExit(pid_, 30);
    pid_ = 0;
    return rc;
  }
  // fusermount3 -u, then the command's exit code.
  int Unmount() {
    if (pid_ == 0) return -1;
    EXPECT_EQ(RunShell("fusermount3 -u " + mnt_, d_).code, 0);
    int rc = WaitExit(pid_, 30);
    pid_ = 0;
    return rc;
  }

 private:
  static inline int count_ = 0;
  const TempDir& d_;
  std::string mnt_, log_, ready_;
  pid_t pid_ = 0;
};

std::string Sh(const std::string& cmd, const TempDir& d) {
  CmdResult r = RunShell(cmd, d);
  EXPECT_EQ(r.code, 0) << cmd << ": " << r.err;
  return r.out;
}

// The mount at mnt shows exactly the tree `want`, to every ordinary tool.
void ExpectShows(const std::string& mnt, const std::string& want, const TempDir& d) {
  EXPECT_EQ(RunShell("diff -r --no-dereference " + want + " " + mnt, d).code, 0)
      << RunShell("diff -r --no-dereference " + want + " " + mnt, d).out;
  EXPECT_EQ(Sh("cd " + mnt + " && find . | sort", d), Sh("cd " + want + " && find . | sort", d));
  EXPECT_EQ(Sh("cd " + mnt + " && find . -printf '%M %n %s %u %g %y %T@ %l\\n' | sort", d),
            Sh("cd " + want + " && find . -printf '%M %n %s %u %g %y %T@ %l\\n' | sort", d));
  // Hard links share one inode; the xattr and the symlink are there.
  EXPECT_EQ(Sh("stat -c %i " + mnt + "/a.txt", d), Sh("stat -c %i " + mnt + "/sub/hard", d));
  EXPECT_EQ(Sh("getfattr --only-values -n user.k " + mnt + "/a.txt", d), "val");
  EXPECT_EQ(Sh("readlink " + mnt + "/link", d), "a.txt\n");
  EXPECT_NE(Sh("grep -rl needle " + mnt, d).find("a.txt"), std::string::npos);
  std::string copy = d.Sub("copy"), synced = d.Sub("synced");
  Sh("rm -rf " + copy + " " + synced + " && cp -a " + mnt + " " + copy, d);
  EXPECT_EQ(RunShell("diff -r --no-dereference " + want + " " + copy, d).code, 0);
  Sh("rsync -aH " + mnt + "/ " + synced + "/", d);  // -X: JuiceFS's root has "lastBackup"
  EXPECT_EQ(RunShell("diff -r --no-dereference " + want + " " + synced, d).code, 0);
  // Read-only: every write is refused.
  CmdResult w = RunShell("touch " + mnt + "/new", d);
  EXPECT_NE(w.code, 0);
  EXPECT_NE(w.err.find("Read-only file system"), std::string::npos) << w.err;
  EXPECT_NE(RunShell("echo x >> " + mnt + "/a.txt", d).code, 0);
  EXPECT_NE(RunShell("mkdir " + mnt + "/newdir", d).code, 0);
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// diff's lines for files and renames (directories' own time changes aside).
std::vector<std::string> FileChanges(const std::string& out) {
  std::vector<std::string> keep;
  for (const auto& l : Lines(out)) {
    if (l.rfind("M ", 0) == 0 && l.find("/ (") != std::string::npos) continue;
    keep.push_back(l);
  }
  std::sort(keep.begin(), keep.end());
  return keep;
}

TEST(ViewCliTest, MountsAndDiffsBackupsDumpsAndTheLiveVolume) {
  TempDir d;
  std::string tree = d.Sub("tree"), meta = "sqlite3://" + d.Sub("v.db");
  MakeTree(tree);
  ASSERT_EQ(Jfsbr("format " + meta + " viewvol --bucket " + d.Sub("bucket"), d).code, 0);
  ASSERT_EQ(Jfsbr("import " + tree + " " + meta, d).code, 0);
  ASSERT_EQ(Jfsbr("backup " + meta, d).code, 0);
  ASSERT_EQ(Jfsbr("dump " + meta + " " + d.Sub("d.json.gz"), d).code, 0);
  ASSERT_EQ(Jfsbr("dump --binary " + meta + " " + d.Sub("d.bin"), d).code, 0);
  // Then the volume changes.
  ASSERT_EQ(Jfsbr("rm " + meta + " /big", d).code, 0);
  ASSERT_EQ(Jfsbr("mkdir " + meta + " /newdir", d).code, 0);
  std::string live = d.Sub("live");
  ASSERT_EQ(Jfsbr("export " + meta + " " + live, d).code, 0);

  std::string mnt = d.Sub("mnt");
  struct Case {
    std::vector<std::string> args;
    std::string want, says;
  };
  const std::vector<Case> cases = {
      {{meta, "--from-backup", "latest"}, tree, "backup dump-"},
      {{meta + "#backup=latest"}, tree, "backup dump-"},
      {{d.Sub("d.json.gz")}, tree, "JSON dump"},
      {{d.Sub("d.bin"), "--cache-size", "8"}, tree, "binary dump"},
      {{meta}, live, "the live volume"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0]);
    Mounted m(d, c.args, mnt);
    ASSERT_TRUE(m.ok()) << m.log();
    EXPECT_NE(m.log().find(c.says), std::string::npos) << m.log();
    ExpectShows(mnt, c.want, d);
    // Ended by fusermount3 -u, SIGTERM or SIGINT: unmounted cleanly each way.
    int how = static_cast<int>(&c - &cases[0]) % 3;
    EXPECT_EQ(how == 0 ? m.Unmount() : m.Signal(how == 1 ? SIGTERM : SIGINT), 0) << m.log();
    EXPECT_NE(m.log().find("unmounted"), std::string::npos) << m.log();
    EXPECT_NE(RunShell("mountpoint -q " + mnt, d).code, 0) << "still mounted";
  }
  // The indexes are gone after the mount.
  EXPECT_EQ(Sh("ls " + d.path() + " | grep -c jfsbr-view || true", d), "0\n");

  // diff: backup against live, dump files against each other, JSON lines.
  CmdResult diff = Jfsbr("diff " + Quoted(meta + "#backup=latest") + " " + meta, d);
  ASSERT_EQ(diff.code, 0) << diff.err;
  EXPECT_EQ(FileChanges(diff.out), (std::vector<std::string>{"+ /newdir/", "- /big"}));
  EXPECT_NE(diff.err.find("1 added, 1 removed"), std::string::npos) << diff.err;
  CmdResult same = Jfsbr("diff --exit-code " + d.Sub("d.json.gz") + " " + d.Sub("d.bin"), d);
  EXPECT_EQ(same.code, 0) << same.err;
  EXPECT_EQ(same.out, "");
  CmdResult differ = Jfsbr("diff --exit-code --json " + d.Sub("d.bin") + " " + meta, d);
  EXPECT_EQ(differ.code, 2) << differ.err;
  EXPECT_NE(differ.out.find("{\"op\":\"removed\",\"path\":\"/big\",\"type\":\"regular\""),
            std::string::npos)
      << differ.out;
  CmdResult sub = Jfsbr("diff --path /sub " + d.Sub("d.json.gz") + " " + meta, d);
  EXPECT_EQ(sub.code, 0) << sub.err;
  EXPECT_EQ(sub.out, "");

  // One-line errors.
  ExpectOneLineError(Jfsbr("mount " + meta + " " + d.Sub("nowhere"), d), "mountpoint", "no dir");
  ExpectOneLineError(
      Jfsbr("mount " + Quoted(meta + "#backup=dump-1999-01-01-000000.json.gz") + " " + mnt, d),
      "1999", "no such backup");
  ExpectOneLineError(Jfsbr("diff " + d.Sub("d.bin") + " " + meta + " --path /nope", d), "/nope",
                     "no such dir");
  ExpectOneLineError(Jfsbr("diff " + Quoted(meta + "#bogus") + " " + meta, d),
                     "#version=", "bad SOURCE");
  // Without /dev/fuse (a mount namespace where /dev is empty).
  CmdResult nofuse = RunShell("unshare -m sh -c 'mount -t tmpfs none /dev && exec " + J +
                                  " mount " + meta + " " + mnt + "'",
                              d);
  ExpectOneLineError(nofuse, "/dev/fuse", "no /dev/fuse");
}

TEST(ViewCliTest, MountsAndDiffsAVersionAFullBackupAndPointsInTimeOnEtcd) {
  TempDir d;
  auto cluster = EtcdCluster::Start(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  std::string meta = (*cluster)->MetaUrl("viewv"), tree = d.Sub("tree");
  MakeTree(tree);
  ASSERT_EQ(Jfsbr("format " + meta + " viewv --bucket " + d.Sub("bucket"), d).code, 0);
  auto log = SpawnLogged(
      {J, "log", "start", meta, "-s", "file://" + d.Sub("logs"), "--flush-interval", "1s"},
      d.Sub("capture.log"), false);
  ASSERT_TRUE(log.ok());
  // The full backup after the capture runs: a point needs one inside the log's window.
  auto root = OpenEngineUnprefixed(meta);
  ASSERT_TRUE(root.ok());
  ASSERT_GT(WaitForCheckpoint(root->get(), "/viewv\xFD", *(*root)->Version()), 0u);
  ASSERT_EQ(Jfsbr("br backup " + meta + " -s file://" + d.Sub("full"), d).code, 0);
  ASSERT_EQ(Jfsbr("import " + tree + " " + meta, d).code, 0);
  uint64_t first = *(*root)->Version();  // the tree, whole
  ASSERT_EQ(Jfsbr("rm " + meta + " /big", d).code, 0);
  ASSERT_EQ(Jfsbr("mkdir " + meta + " /newdir", d).code, 0);
  uint64_t second = *(*root)->Version();
  ASSERT_GE(WaitForCheckpoint(root->get(), "/viewv\xFD", second), second);
  kill(*log, SIGTERM);
  EXPECT_EQ(WaitExit(*log, 30), 0) << ReadFileOrEmpty(d.Sub("capture.log"));
  std::string storages =
      " --full-backup-storage file://" + d.Sub("full") + " -s file://" + d.Sub("logs");

  std::string mnt = d.Sub("mnt");
  {  // The live volume as it was at the first revision.
    Mounted m(d, {meta, "--at-version", std::to_string(first)}, mnt);
    ASSERT_TRUE(m.ok()) << m.log();
    ExpectShows(mnt, tree, d);
    EXPECT_EQ(m.Unmount(), 0) << m.log();
  }
  {  // A point of the log backup: the first state exactly, not the second.
    Mounted m(d,
              {"--at", std::to_string(first), "--full-backup-storage", "file://" + d.Sub("full"),
               "-s", "file://" + d.Sub("logs")},
              mnt);
    ASSERT_TRUE(m.ok()) << m.log();
    ExpectShows(mnt, tree, d);
    EXPECT_EQ(m.Unmount(), 0) << m.log();
  }
  {  // The full backup (of the empty volume) serves its blocks from the volume's store.
    Mounted m(d, {"br:file://" + d.Sub("full"), "--meta", meta}, mnt);
    ASSERT_TRUE(m.ok()) << m.log();
    EXPECT_EQ(Sh("find " + mnt + " | wc -l", d), "1\n");
    EXPECT_EQ(m.Unmount(), 0) << m.log();
  }
  // diff between two points, and a version against the live volume.
  for (const std::string& args :
       {"at:" + std::to_string(first) + " at:" + std::to_string(second) + storages,
        Quoted(meta + "#version=" + std::to_string(first)) + " " + meta}) {
    CmdResult diff = Jfsbr("diff " + args, d);
    ASSERT_EQ(diff.code, 0) << diff.err;
    EXPECT_EQ(FileChanges(diff.out), (std::vector<std::string>{"+ /newdir/", "- /big"}))
        << diff.out;
  }
  CmdResult empty = Jfsbr("diff br:file://" + d.Sub("full") + " at:" + std::to_string(first) +
                              storages + " --meta " + meta,
                          d);
  ASSERT_EQ(empty.code, 0) << empty.err;
  EXPECT_EQ(Lines(empty.out).size(), 10u + 1u) << empty.out;  // the tree's 10 entries, and "/"
}

// Every engine family (and an S3 bucket): the live volume and its backup
// mounted, and the backup diffed against the volume after a change.
class ViewEngineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ViewEngineTest, MountsTheLiveVolumeAndItsBackupAndDiffsThem) {
  TempDir d;
  const std::string kind = EngineKind(GetParam());
  std::string meta = kind == "sqlite3" ? "sqlite3://" + d.Sub("v.db") : FreshMetaUrl(kind, "");
  {
    auto e = OpenMeta(meta, /*create=*/true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    FormatOptions o;
    o.name = "viewe";
    UseFreshStore(StoreKind(GetParam()), d.path(), &o);
    ASSERT_TRUE(FormatVolume(e->get(), o).ok());
  }
  std::string tree = d.Sub("tree"), mnt = d.Sub("mnt");
  MakeTree(tree);
  ASSERT_EQ(Jfsbr("import " + tree + " " + Quoted(meta), d).code, 0);
  ASSERT_EQ(Jfsbr("backup " + Quoted(meta), d).code, 0);
  ASSERT_EQ(Jfsbr("rm " + Quoted(meta) + " /big", d).code, 0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{meta, "--from-backup", "latest"}, {meta}}) {
    Mounted m(d, args, mnt);
    ASSERT_TRUE(m.ok()) << m.log();
    if (args.size() > 1) {
      ExpectShows(mnt, tree, d);  // the backup: the whole tree, blocks read from the store
    } else {
      EXPECT_NE(RunShell("test -e " + mnt + "/big", d).code, 0);
      EXPECT_EQ(Sh("cat " + mnt + "/sub/deep/er/x", d), "deep");
    }
    EXPECT_EQ(m.Unmount(), 0) << m.log();
  }
  CmdResult diff = Jfsbr("diff " + Quoted(meta + "#backup=latest") + " " + Quoted(meta), d);
  ASSERT_EQ(diff.code, 0) << diff.err;
  EXPECT_EQ(FileChanges(diff.out), (std::vector<std::string>{"- /big"})) << diff.out;
}

INSTANTIATE_TEST_SUITE_P(Engines, ViewEngineTest,
                         ::testing::Values("redis", "postgres", "mariadb", "etcd", "sqlite3+s3"),
                         TestKindName);

}  // namespace
}  // namespace jfsbr
