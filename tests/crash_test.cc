// Power cuts at random moments of every write path, through LazyFs (the
// disk keeps only what was synced): import, load (RocksDB, SQLite), backup
// into a local store, restore, br backup, etcd log capture and restore point.
//
// Each path runs once to count its filesystem operations and once per cut
// point, the cut drawn at random among them; then the machine "restarts"
// (the disk rebuilt as a power cut leaves it, mounted again) and the result
// must be the old state or the new one, never torn: a target either refuses
// to open as a volume or dumps exactly what was loaded, a backup that is
// listed verifies, an imported file is whole, a log's checkpoint restores.
// One more cut right after the command reported success must lose nothing
// (durable when it says so).
//
// JFSBR_CRASH_TRIALS (default 20) cut points per path; JFSBR_CRASH_SEED
// replays a run (the seed is printed). bench/crash.sh runs 100 per path.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "fs/volume.h"
#include "pitr/log_task.h"
#include "testing/etcd_cluster.h"
#include "testing/lazy_fs.h"
#include "testing/process.h"
#include "tests/cli_util.h"
#include "tests/log_wait.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string J = JFSBR_BINARY;

int EnvInt(const char* name, int fallback) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' ? atoi(v) : fallback;
}

// What a check found after a restart.
enum class Outcome { kOld, kNew, kBetween };
const char* Name(Outcome o) {
  return o == Outcome::kOld ? "old" : o == Outcome::kNew ? "new" : "between";
}

// A machine whose disk is `disk`, seen by programs at `mnt` through LazyFs.
class Rig {
 public:
  Rig() {
    fs::create_directories(disk_);
    fs::create_directories(mnt_);
  }
  ~Rig() { fs_.reset(); }
  const TempDir& dir() const { return d_; }
  std::string Mnt(const std::string& rel = "") const { return mnt_ + rel; }
  std::string Out(const std::string& rel) const { return d_.Sub(rel); }  // off the disk

  void Mount() {
    auto m = LazyFs::Mount(disk_, mnt_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    fs_ = std::move(*m);
  }
  // Unmounts keeping everything (the preparation of a path is not on trial).
  void Unmount() {
    ASSERT_TRUE(fs_->Unmount().ok());
    fs_.reset();
  }
  // Saves the disk as the starting state of every trial.
  void SaveBase() { RunShell("rm -rf " + base_ + " && cp -a " + disk_ + " " + base_, d_); }
  void ResetToBase() { RunShell("rm -rf " + disk_ + " && cp -a " + base_ + " " + disk_, d_); }
  LazyFs* lazy() { return fs_.get(); }
  // Power cut, then the restart: the disk as the cut left it, mounted again.
  void CutAndRestart() {
    ASSERT_TRUE(fs_->PowerCut().ok());
    fs_.reset();
    Mount();
  }

 private:
  TempDir d_;
  std::string disk_ = d_.Sub("disk"), mnt_ = d_.Sub("mnt"), base_ = d_.Sub("base");
  std::unique_ptr<LazyFs> fs_;
};

// One write path: its operation (run on the mounted disk; true when it
// reported success) and the check after a restart (completed: the cut came
// after the success, so the new state is required). Fails the test through
// gtest assertions; returns what it found.
struct CrashPath {
  std::string name;
  std::function<bool(Rig&)> op;
  std::function<Outcome(Rig&, bool completed)> check;
  // To the starting state, mounted; default: the saved base.
  std::function<void(Rig&)> reset;
};

void RunTrials(Rig& rig, const CrashPath& path) {
  uint32_t seed = static_cast<uint32_t>(EnvInt("JFSBR_CRASH_SEED", std::random_device()()));
  int trials = EnvInt("JFSBR_CRASH_TRIALS", 20);
  SCOPED_TRACE("crash path " + path.name + ", JFSBR_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  auto reset = [&] {
    rig.Unmount();
    if (path.reset) {
      path.reset(rig);  // mounts it
    } else {
      rig.ResetToBase();
      rig.Mount();
    }
  };
  // First the whole operation, then the cut right after its success. A
  // reset may leave work on the disk (a capture already running): the
  // operations counted are the op's.
  reset();
  uint64_t base = rig.lazy()->operations();
  ASSERT_TRUE(path.op(rig)) << path.name << " failed without a cut";
  uint64_t total = rig.lazy()->operations() - base;
  ASSERT_GT(total, 0u);
  rig.CutAndRestart();
  Outcome done = path.check(rig, true);
  EXPECT_EQ(done, Outcome::kNew) << path.name << ": what it reported done was lost";
  std::map<Outcome, int> seen;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int i = 0; i < trials && !::testing::Test::HasFailure(); i++) {
    uint64_t cut = 1 + rng() % total;
    lo = std::min(lo, cut);
    hi = std::max(hi, cut);
    SCOPED_TRACE("cut before operation " + std::to_string(cut) + " of " + std::to_string(total));
    reset();
    rig.lazy()->CutAt(rig.lazy()->operations() + cut);
    (void)path.op(rig);
    rig.CutAndRestart();
    seen[path.check(rig, false)]++;
  }
  // The record a run leaves (bench/crash.sh collects these lines).
  std::string range = lo > hi ? "none" : std::to_string(lo) + ".." + std::to_string(hi);
  printf(
      "crash-report %s: %d cuts among %llu operations (%s), restarts found old %d, "
      "between %d, new %d; after success: %s; seed %u\n",
      path.name.c_str(), trials, static_cast<unsigned long long>(total), range.c_str(),
      seen[Outcome::kOld], seen[Outcome::kBetween], seen[Outcome::kNew], Name(done), seed);
  fflush(stdout);
}

// A small tree of every kind of file import handles.
void MakeTree(const std::string& root) {
  fs::create_directories(root + "/a/b");
  std::mt19937 rng(5);
  for (int i = 0; i < 24; i++) {
    std::string p = root +
                    (i % 3 == 0   ? "/a/"
                     : i % 3 == 1 ? "/a/b/"
                                  : "/") +
                    "f" + std::to_string(i);
    std::ofstream f(p, std::ios::binary);
    size_t n = i == 0 ? 0 : rng() % (i % 5 == 0 ? 6 << 20 : 40 << 10);
    std::string data(n, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    f << data;
  }
  fs::create_symlink("a/f3", root + "/link");
  fs::create_hard_link(root + "/f2", root + "/a/hard");
}

std::string Hash(const std::string& file, const TempDir& d) {
  return RunShell("sha256sum < " + file, d).out;
}

// A target loaded (or restored) on the disk must be absent as a volume or
// dump exactly `expected` (a dump file off the disk).
Outcome CheckLoaded(Rig& rig, const std::string& url, const std::string& expected, bool completed) {
  std::string got = rig.Out("got.json");
  fs::remove(got);
  CmdResult r = Jfsbr("dump " + Quoted(url) + " " + got, rig.dir());
  if (r.code != 0) {
    EXPECT_FALSE(completed) << "a load reported done cannot be read: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    return Outcome::kOld;
  }
  EXPECT_EQ(Hash(got, rig.dir()), Hash(expected, rig.dir()))
      << url << " opens as a volume but is not what was loaded";
  return Outcome::kNew;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeTree(src_);
    rig_.Mount();
  }
  // A SQLite volume on the disk holding the tree; its dump off the disk.
  void PrepareVolume(bool with_tree) {
    ASSERT_EQ(Jfsbr("format " + vol_ + " cvol --bucket " + rig_.Mnt("/bucket"), rig_.dir()).code,
              0);
    if (with_tree) {
      CmdResult r = Jfsbr("import " + src_ + " " + vol_, rig_.dir());
      ASSERT_EQ(r.code, 0) << r.err;
    }
    ASSERT_EQ(Jfsbr("dump " + vol_ + " " + expected_, rig_.dir()).code, 0);
  }
  // Runs `jfsbr args` (a cut may kill it: the shell's word on that goes
  // to its log, not ours).
  bool Ok(const std::string& args) { return Jfsbr(args + "; exit $?", rig_.dir()).code == 0; }

  Rig rig_;
  std::string src_ = rig_.Out("src"), expected_ = rig_.Out("expected.json");
  std::string vol_ = "sqlite3://" + rig_.Mnt("/meta.db");
};

// Import into each embedded engine (its commits synced, RocksDB's grouped).
class CrashImportTest : public CrashTest, public ::testing::WithParamInterface<std::string> {
 protected:
  CrashImportTest() {
    if (GetParam() == "rocksdb") vol_ = "rocksdb://" + rig_.Mnt("/meta");
  }
};

TEST_P(CrashImportTest, Import) {
  PrepareVolume(false);
  rig_.Unmount();
  rig_.SaveBase();
  rig_.Mount();
  CrashPath path{
      "import (" + GetParam() + ", local bucket)",
      [&](Rig&) { return Ok("import " + src_ + " " + vol_); },
      [&](Rig& rig, bool completed) {
        CmdResult c = Jfsbr("fsck " + vol_, rig.dir());  // every block, plus check
        EXPECT_EQ(c.code, 0) << c.out << c.err;
        std::string out = rig.Out("export");
        fs::remove_all(out);
        CmdResult e = Jfsbr("export " + vol_ + " " + out, rig.dir());
        EXPECT_EQ(e.code, 0) << e.err;
        // Every file there is whole; with the import done, all are.
        int files = 0, whole = 0;
        for (auto& f : fs::recursive_directory_iterator(src_)) {
          if (!f.is_regular_file() || f.is_symlink()) continue;
          files++;
          std::string rel = f.path().string().substr(src_.size());
          if (!fs::exists(out + rel)) continue;
          EXPECT_EQ(ReadFileOrEmpty(out + rel), ReadFileOrEmpty(f.path())) << rel << " is torn";
          whole++;
        }
        if (completed) {
          EXPECT_EQ(RunShell("diff -r --no-dereference " + src_ + " " + out, rig.dir()).code, 0);
        }
        return whole == 0 ? Outcome::kOld : whole == files ? Outcome::kNew : Outcome::kBetween;
      }};
  RunTrials(rig_, path);
}

INSTANTIATE_TEST_SUITE_P(Engines, CrashImportTest, ::testing::Values("sqlite3", "rocksdb"));

// A dump loaded into a new engine on the disk: nothing, or all of it.
class CrashLoadTest : public CrashTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CrashLoadTest, Load) {
  PrepareVolume(true);
  rig_.Unmount();
  RunShell("rm -rf " + rig_.Mnt("/bucket") + " " + rig_.Mnt("/meta.db*"), rig_.dir());
  rig_.SaveBase();  // an empty disk
  rig_.Mount();
  std::string target =
      GetParam() + "://" + rig_.Mnt(GetParam() == "sqlite3" ? "/copy.db" : "/copy");
  CrashPath path{
      "load (" + GetParam() + ")", [&](Rig&) { return Ok("load " + target + " " + expected_); },
      [&](Rig& rig, bool completed) { return CheckLoaded(rig, target, expected_, completed); }};
  RunTrials(rig_, path);
}

INSTANTIATE_TEST_SUITE_P(Engines, CrashLoadTest, ::testing::Values("rocksdb", "sqlite3"));

// A backup into the volume's own (local) store: listed only when it verifies.
TEST_F(CrashTest, Backup) {
  PrepareVolume(true);
  rig_.Unmount();
  rig_.SaveBase();
  rig_.Mount();
  CrashPath path{"backup (SQLite volume, local store)", [&](Rig&) { return Ok("backup " + vol_); },
                 [&](Rig& rig, bool completed) {
                   CmdResult list = Jfsbr("backup list " + vol_, rig.dir());
                   EXPECT_EQ(list.code, 0) << list.err;
                   int listed = 0;
                   std::istringstream lines(list.out);
                   for (std::string line; std::getline(lines, line);) {
                     if (line.rfind("dump-", 0) != 0) continue;
                     listed++;
                     std::string name = line.substr(0, line.find(' '));
                     CmdResult v = Jfsbr("backup verify " + vol_ + " " + name, rig.dir());
                     EXPECT_EQ(v.code, 0) << name << " is listed but does not verify: " << v.err;
                   }
                   EXPECT_EQ(Jfsbr("check " + vol_, rig.dir()).code, 0);
                   EXPECT_LE(listed, 1) << list.out;
                   EXPECT_TRUE(!completed || listed == 1) << list.out;
                   return listed == 0 ? Outcome::kOld : Outcome::kNew;
                 }};
  RunTrials(rig_, path);
}

// A backup restored into a new engine on the disk: nothing, or all of it.
TEST_F(CrashTest, Restore) {
  PrepareVolume(true);
  ASSERT_EQ(Jfsbr("backup " + vol_, rig_.dir()).code, 0);
  // The volume as backed up (a backup stamps the root's lastBackup xattr).
  ASSERT_EQ(Jfsbr("dump " + vol_ + " " + expected_, rig_.dir()).code, 0);
  rig_.Unmount();
  rig_.SaveBase();
  rig_.Mount();
  std::string target = "rocksdb://" + rig_.Mnt("/restored");
  CrashPath path{
      "restore (backup to RocksDB)",
      [&](Rig&) { return Ok("restore " + vol_ + " --from latest --to " + target); },
      [&](Rig& rig, bool completed) { return CheckLoaded(rig, target, expected_, completed); }};
  RunTrials(rig_, path);
}

// etcd volumes: the engine is a server (not on the disk); what jfsbr writes
// to the disk is on trial.
class CrashEtcdTest : public CrashTest {
 protected:
  void SetUp() override {
    CrashTest::SetUp();
    cluster_ = EtcdCluster::Shared();
    ASSERT_NE(cluster_, nullptr);
  }
  // A new etcd volume holding the tree; its dump off the disk.
  std::string EtcdVolume(const std::string& name, bool with_tree = true) {
    std::string meta = cluster_->MetaUrl(name);
    EXPECT_EQ(
        Jfsbr("format " + meta + " " + name + " --bucket " + rig_.Out("ebucket"), rig_.dir()).code,
        0);
    if (with_tree) {
      CmdResult r = Jfsbr("import " + src_ + " " + meta, rig_.dir());
      EXPECT_EQ(r.code, 0) << r.err;
    }
    return meta;
  }
  EtcdCluster* cluster_ = nullptr;
};

// br backup to a local directory: validates (and restores exactly) or is
// refused as incomplete.
TEST_F(CrashEtcdTest, BrBackup) {
  std::string meta = EtcdVolume("crashbr");
  ASSERT_EQ(Jfsbr("dump " + meta + " " + expected_, rig_.dir()).code, 0);
  rig_.Unmount();
  rig_.SaveBase();
  rig_.Mount();
  std::string storage = "file://" + rig_.Mnt("/br");
  CrashPath path{"br backup (etcd to a local directory)",
                 [&](Rig&) { return Ok("br backup " + meta + " -s " + storage); },
                 [&](Rig& rig, bool completed) {
                   CmdResult v = Jfsbr("br validate -s " + storage, rig.dir());
                   if (v.code != 0) {
                     EXPECT_FALSE(completed) << v.err;
                     return Outcome::kOld;
                   }
                   std::string target = rig.Out("br-restored");
                   fs::remove_all(target);
                   CmdResult r =
                       Jfsbr("br restore -s " + storage + " rocksdb://" + target, rig.dir());
                   EXPECT_EQ(r.code, 0) << "validated but does not restore: " << r.err;
                   return CheckLoaded(rig, "rocksdb://" + target, expected_, true);
                 }};
  RunTrials(rig_, path);
}

// The log capture writing to a local directory while the volume changes:
// after a cut, the checkpoint etcd holds for the task (what `log status`
// shows and a standby resumes from) restores exactly.
TEST_F(CrashEtcdTest, LogCapture) {
  rig_.Unmount();
  rig_.SaveBase();  // an empty disk
  rig_.Mount();
  std::string storage = "file://" + rig_.Mnt("/log");
  int round = 0;
  std::string meta, full;
  uint64_t full_rev = 0;
  pid_t capture = 0;
  auto root = OpenEngineUnprefixed(cluster_->MetaUrl("x"));
  ASSERT_TRUE(root.ok());
  LogTask* task = nullptr;
  std::unique_ptr<LogTask> task_holder;
  auto alive = [&] { return capture != 0 && waitpid(capture, nullptr, WNOHANG) == 0; };
  // The checkpoint once it reaches rev while the capture lives; 0 if it died.
  auto wait_checkpoint = [&](uint64_t rev) -> uint64_t {
    for (int i = 0; i < 300 && alive(); i++) {
      auto c = task->Checkpoint();
      if (c.ok() && c->revision >= rev) return c->revision;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
  };
  CrashPath path;
  path.name = "log capture (etcd to a local directory)";
  // A new volume, its capture running (started on the disk), a full backup.
  path.reset = [&](Rig& rig) {
    rig.ResetToBase();
    rig.Mount();
    std::string name = "crashlog" + std::to_string(round++);
    meta = EtcdVolume(name, false);
    task_holder = std::make_unique<LogTask>(root->get(), "/" + name + "\xFD");
    task = task_holder.get();
    auto p = SpawnLogged({J, "log", "start", meta, "-s", storage, "--flush-interval", "300ms"},
                         rig.Out("capture.log"), false);
    ASSERT_TRUE(p.ok());
    capture = *p;
    ASSERT_GT(wait_checkpoint(1), 0u) << ReadFileOrEmpty(rig.Out("capture.log"));
    full = rig.Out("full" + std::to_string(round));
    CmdResult b = Jfsbr("br backup " + meta + " -s file://" + full + "/b1", rig.dir());
    ASSERT_EQ(b.code, 0) << b.err;
    full_rev = std::stoull(b.out);  // its revision, on stdout
    // Every cut then finds a checkpoint with a base to restore on.
    ASSERT_GE(wait_checkpoint(full_rev), full_rev);
  };
  // The volume changes for a while; the capture catches up and stops.
  path.op = [&](Rig& rig) {
    auto engine = OpenEngine(meta);
    EXPECT_TRUE(engine.ok());
    auto vol = Volume::Open(NewTkvMeta(BorrowEngine(engine->get())));
    EXPECT_TRUE(vol.ok());
    for (int i = 0; i < 20 && alive(); i++) {  // about 4 flushes
      auto ino = (*vol)->CreateFile(kRootInode, "w" + std::to_string(i), {.mode = 0644}, 0, {});
      if (ino.ok()) (void)(*vol)->Write(*ino, 0, std::string(1000 + i * 300, 'x'));
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    auto last = (*engine)->Version();
    bool caught_up = last.ok() && wait_checkpoint(*last) >= *last;
    kill(capture, SIGTERM);
    int status = 0;
    waitpid(capture, &status, 0);
    capture = 0;
    (void)rig;
    return caught_up && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  path.check = [&](Rig& rig, bool completed) {
    auto c = task->Checkpoint();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    // A checkpoint from before the full backup has no base to restore on
    // (the capture's start: nothing captured yet).
    if (!c.ok() || c->revision < full_rev) return Outcome::kOld;
    std::string expected = rig.Out("at.json"), target = rig.Out("pt");
    fs::remove_all(target);
    EXPECT_EQ(
        Jfsbr("dump --at-version " + std::to_string(c->revision) + " " + meta + " " + expected,
              rig.dir())
            .code,
        0);
    CmdResult r = Jfsbr("restore point --full-backup-storage file://" + full + " -s " + storage +
                            " --restored-revision " + std::to_string(c->revision) +
                            " --no-bucket-guard --to rocksdb://" + target,
                        rig.dir());
    EXPECT_EQ(r.code, 0) << "the checkpoint etcd holds does not restore: " << r.err;
    if (r.code != 0) return Outcome::kOld;
    CheckLoaded(rig, "rocksdb://" + target, expected, true);
    return completed ? Outcome::kNew : Outcome::kBetween;
  };
  RunTrials(rig_, path);
}

// restore point into a new engine on the disk: nothing, or all of it.
TEST_F(CrashEtcdTest, RestorePoint) {
  std::string meta = EtcdVolume("crashpt");
  std::string storage = "file://" + rig_.Out("log"), full = "file://" + rig_.Out("full");
  auto capture = SpawnLogged({J, "log", "start", meta, "-s", storage, "--flush-interval", "1s"},
                             rig_.Out("capture.log"), false);
  ASSERT_TRUE(capture.ok());
  auto root = OpenEngineUnprefixed(meta);
  ASSERT_TRUE(root.ok());
  ASSERT_GT(WaitForCheckpoint(root->get(), "/crashpt\xFD", 1), 0u);
  ASSERT_EQ(Jfsbr("br backup " + meta + " -s " + full + "/b1", rig_.dir()).code, 0);
  ASSERT_EQ(Jfsbr("rm " + meta + " /a/f3", rig_.dir()).code, 0);  // changes after the full backup
  ASSERT_EQ(Jfsbr("mkdir " + meta + " /later", rig_.dir()).code, 0);
  auto engine = OpenEngine(meta);
  ASSERT_TRUE(engine.ok());
  auto rev = (*engine)->Version();
  ASSERT_TRUE(rev.ok());
  ASSERT_GE(WaitForCheckpoint(root->get(), "/crashpt\xFD", *rev), *rev);
  kill(*capture, SIGTERM);
  waitpid(*capture, nullptr, 0);
  std::string at = std::to_string(*rev);
  ASSERT_EQ(Jfsbr("dump --at-version " + at + " " + meta + " " + expected_, rig_.dir()).code, 0);
  rig_.Unmount();
  rig_.SaveBase();
  rig_.Mount();
  std::string target = "rocksdb://" + rig_.Mnt("/pt");
  CrashPath path{
      "restore point (etcd log to RocksDB)",
      [&](Rig&) {
        return Ok("restore point --full-backup-storage " + full + " -s " + storage +
                  " --restored-revision " + at + " --to " + target);
      },
      [&](Rig& rig, bool completed) { return CheckLoaded(rig, target, expected_, completed); }};
  RunTrials(rig_, path);
}

}  // namespace
}  // namespace jfsbr
