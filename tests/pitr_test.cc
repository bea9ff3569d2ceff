// Point-in-time recovery end to end on real etcd clusters: a random
// metadata workload with log backup on, restored to recorded revisions into
// fresh RocksDB engines (exactly the same keys), through a leader kill and a
// capture killed and taken over; damaged logs refused; compaction held back
// by a task's checkpoint.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "fs/volume.h"
#include "pitr/log_task.h"
#include "testing/etcd_cluster.h"
#include "testing/process.h"
#include "tests/cli_util.h"
#include "tests/log_wait.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"
#include "util/clock.h"
#include "util/sha256.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string J = JFSBR_BINARY;

std::string HashKeys(KvReader* r) {
  Sha256 h;
  uint64_t n = 0;
  EXPECT_TRUE(r->Scan("", "", [&](auto k, auto v) {
                 h.Update(std::to_string(k.size()) + ":" + std::string(k) + "=" +
                          std::to_string(v.size()) + ":" + std::string(v) + ";");
                 n++;
                 return true;
               }).ok());
  return std::to_string(n) + "/" + h.HexDigest();
}

// Random metadata operations on a small tree (errors such as a name taken
// are part of the game; the operation then changes nothing).
class Workload {
 public:
  Workload(Volume* vol, uint32_t seed) : vol_(vol), rng_(seed) {
    for (const char* d : {"d0", "d1", "d2"}) {
      auto ino = vol_->Mkdir(kRootInode, d, {.mode = 0755});
      if (ino.ok()) dirs_.push_back(*ino);
    }
  }
  void Step() {
    Ino dir = dirs_[rng_() % dirs_.size()], other = dirs_[rng_() % dirs_.size()];
    std::string name = "f" + std::to_string(rng_() % 40);
    auto ino = vol_->Lookup(dir, name);
    std::string data(1 + rng_() % 20000, static_cast<char>('a' + rng_() % 26));
    switch (rng_() % 9) {
      case 0:
        (void)vol_->CreateFile(dir, name, {.mode = 0644}, 0, {});
        break;
      case 1:
        if (ino.ok()) (void)vol_->Write(ino->ino, rng_() % 70000, data);
        break;
      case 2:
        if (ino.ok()) (void)vol_->Write(ino->ino, 0, data);  // overwrite
        break;
      case 3:
        (void)vol_->Rename(dir, name, other, "f" + std::to_string(rng_() % 40));
        break;
      case 4:
        (void)vol_->Unlink(dir, name);
        break;
      case 5:
        if (ino.ok()) (void)vol_->Link(ino->ino, other, "l" + std::to_string(rng_() % 20));
        break;
      case 6:
        (void)vol_->Symlink(dir, "s" + std::to_string(rng_() % 20), "target/" + name, {});
        break;
      case 7:
        if (ino.ok())
          (void)vol_->SetXattr(ino->ino, "user.k" + std::to_string(rng_() % 3), data.substr(0, 30));
        break;
      default:
        if (ino.ok()) (void)vol_->Truncate(ino->ino, rng_() % 50000);
        break;
    }
  }

 private:
  Volume* vol_;
  std::mt19937 rng_;
  std::vector<Ino> dirs_;
};

struct Capture {
  pid_t pid = 0;
  void Start(const std::string& meta, const std::string& storage, const std::string& log) {
    auto p = SpawnLogged(
        {J, "log", "start", meta, "-s", storage, "--flush-interval", "1s", "--lease-ttl", "3s"},
        log, false);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pid = *p;
  }
  void Kill() {
    KillSpawned(pid, false);
    pid = 0;
  }
  int Term() {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

TEST(PitrTest, RestoresExactlyEveryRecordedRevisionThroughLeaderAndCaptureFailures) {
  TempDir d;
  auto cluster = EtcdCluster::Start(3);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  std::string meta = (*cluster)->MetaUrl("pitr");
  std::string full = "file://" + d.Sub("full"), logs = "file://" + d.Sub("log");
  ASSERT_EQ(Jfsbr("format " + meta + " pvol --bucket " + d.Sub("bucket"), d).code, 0);
  auto engine = OpenEngine(meta);
  ASSERT_TRUE(engine.ok());
  KvEngine* view = engine->get();
  auto vol = Volume::Open(NewTkvMeta(BorrowEngine(view)));
  ASSERT_TRUE(vol.ok());
  Workload work(vol->get(), 42);
  for (int i = 0; i < 60; i++) work.Step();
  auto root = OpenEngineUnprefixed(meta);
  ASSERT_TRUE(root.ok());
  Capture a, b;
  a.Start(meta, logs, d.Sub("capture-a.log"));  // the log backup first, then the full backup
  ASSERT_GT(WaitForCheckpoint(root->get(), "/pitr\xFD", 0), 0u);
  CmdResult b1 = Jfsbr("br backup " + meta + " -s " + full + "/b1", d);
  ASSERT_EQ(b1.code, 0) << b1.err;
  b.Start(meta, logs, d.Sub("capture-b.log"));  // a standby

  std::vector<std::pair<uint64_t, std::string>> points;
  std::mt19937 rng(7);
  auto run = [&](int steps) {
    for (int i = 0; i < steps; i++) {
      work.Step();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (rng() % 12 == 0) {
        auto v = view->Version();
        ASSERT_TRUE(v.ok());
        auto snap = view->SnapshotAt(*v);
        ASSERT_TRUE(snap.ok()) << snap.status().ToString();
        points.push_back({*v, HashKeys(snap->get())});
      }
    }
  };
  run(80);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const int64_t early_time = UnixSeconds();  // for log truncate --until TIME
  int leader = (*cluster)->Leader();
  ASSERT_GE(leader, 0);
  (*cluster)->Kill(leader);  // the workload and the capture ride over the election
  run(80);
  ASSERT_TRUE((*cluster)->Restart(leader).ok());
  CmdResult b2 = Jfsbr("br backup " + meta + " -s " + full + "/b2", d);
  ASSERT_EQ(b2.code, 0) << b2.err;
  run(40);
  a.Kill();  // b takes over from the checkpoint when a's lease runs out
  for (int i = 0;
       i < 100 && ReadFileOrEmpty(d.Sub("capture-b.log")).find("holding the task's lease") ==
                      std::string::npos;
       i++) {
    run(2);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  run(60);
  a.Start(meta, logs, d.Sub("capture-a2.log"));  // the new standby
  for (int i = 0; i < 30; i++) {
    run(2);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(points.size(), 8u);

  auto last = view->Version();
  ASSERT_TRUE(last.ok());
  ASSERT_GE(WaitForCheckpoint(root->get(), "/pitr\xFD", *last), *last);
  EXPECT_EQ(b.Term(), 0) << ReadFileOrEmpty(d.Sub("capture-b.log"));
  EXPECT_EQ(a.Term(), 0) << ReadFileOrEmpty(d.Sub("capture-a2.log"));
  EXPECT_NE(ReadFileOrEmpty(d.Sub("capture-b.log")).find("holding the task's lease"),
            std::string::npos);
  for (size_t i = 0; i < points.size(); i++) {
    std::string target = d.Sub("r" + std::to_string(i));
    CmdResult r = Jfsbr("restore point --full-backup-storage " + full + " -s " + logs +
                            " --restored-revision " + std::to_string(points[i].first) +
                            " --to rocksdb://" + target,
                        d);
    ASSERT_EQ(r.code, 0) << r.err;
    auto restored = OpenEngine("rocksdb://" + target);
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(HashKeys(restored->get()), points[i].second) << "revision " << points[i].first << "\n"
                                                           << r.err;
  }

  // export --at reads the volume as it was: the same tree as the restored copy.
  {
    size_t i = points.size() / 3;
    std::string at = d.Sub("export-at"), copy = d.Sub("export-copy");
    CmdResult ex = Jfsbr("export " + meta + " " + at + " --at " + std::to_string(points[i].first) +
                             " --full-backup-storage " + full + " -s " + logs,
                         d);
    ASSERT_EQ(ex.code, 0) << ex.err;
    ASSERT_EQ(Jfsbr("export rocksdb://" + d.Sub("r" + std::to_string(i)) + " " + copy, d).code, 0);
    CmdResult diff = RunShell("diff -r --no-dereference " + at + " " + copy, d);
    EXPECT_EQ(diff.code, 0) << diff.out;
    EXPECT_FALSE(fs::is_empty(at));
  }

  // Damage: a flipped byte in a data file, a missing meta file; targets
  // outside the window.
  uint64_t mid = points[points.size() / 2].first;
  auto restore_from = [&](const std::string& log_dir, const std::string& rev) {
    static int n = 0;
    return Jfsbr("restore point --full-backup-storage " + full + " -s file://" + log_dir +
                     " --restored-revision " + rev + " --to rocksdb://" +
                     d.Sub("bad" + std::to_string(n++)),
                 d);
  };
  CmdResult late = restore_from(d.Sub("log"), std::to_string(*last + 100000));
  EXPECT_NE(late.code, 0);
  EXPECT_NE(late.err.find("after the log backup's global checkpoint"), std::string::npos)
      << late.err;
  EXPECT_FALSE(fs::exists(d.Sub("bad0")));  // a refused restore creates no target
  std::vector<fs::path> data_files, meta_files;
  for (auto& e : fs::recursive_directory_iterator(d.Sub("log"))) {
    if (e.path().extension() == ".log") data_files.push_back(e.path());
    if (e.path().extension() == ".meta") meta_files.push_back(e.path());
  }
  ASSERT_GT(data_files.size(), 3u);
  fs::copy(d.Sub("log"), d.Sub("log-flipped"), fs::copy_options::recursive);
  fs::copy(d.Sub("log"), d.Sub("log-gap"), fs::copy_options::recursive);
  for (const auto& f : data_files) {  // every data file: whichever the restore reads fails
    std::string p = d.Sub("log-flipped") + f.string().substr(d.Sub("log").size());
    std::fstream io(p, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(fs::file_size(p) / 2));
    io.put('\x5a');
  }
  CmdResult flipped = restore_from(d.Sub("log-flipped"), std::to_string(*last));
  EXPECT_NE(flipped.code, 0);
  EXPECT_NE(flipped.err.find("log file v1/"), std::string::npos) << flipped.err;
  EXPECT_NE(flipped.err.find("SHA-256"), std::string::npos) << flipped.err;
  std::sort(meta_files.begin(), meta_files.end());
  fs::remove(d.Sub("log-gap") +
             meta_files[meta_files.size() / 2].string().substr(d.Sub("log").size()));
  CmdResult gap = restore_from(d.Sub("log-gap"), std::to_string(*last));
  EXPECT_NE(gap.code, 0);
  EXPECT_NE(gap.err.find("has no file for revisions"), std::string::npos) << gap.err;
  CmdResult by_time =
      Jfsbr("log truncate -s " + logs + " --until @" + std::to_string(early_time), d);
  ASSERT_EQ(by_time.code, 0) << by_time.err;
  EXPECT_NE(by_time.err.find(" is revision "), std::string::npos) << by_time.err;
  CmdResult truncated = Jfsbr("log truncate -s " + logs + " --until " + std::to_string(mid), d);
  ASSERT_EQ(truncated.code, 0) << truncated.err;
  CmdResult early = restore_from(d.Sub("log"), std::to_string(mid - 1));
  EXPECT_NE(early.code, 0);
  EXPECT_NE(early.err.find("before the log backup's truncate safepoint"), std::string::npos)
      << early.err;
}

TEST(PitrTest, CompactionNeverPassesATaskCheckpoint) {
  TempDir d;
  auto cluster = EtcdCluster::Start(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  std::string meta = (*cluster)->MetaUrl("gcv");
  ASSERT_EQ(Jfsbr("format " + meta + " gcv --bucket " + d.Sub("bucket"), d).code, 0);
  Capture cap;
  cap.Start(meta, "file://" + d.Sub("log"), d.Sub("capture.log"));
  auto root = OpenEngineUnprefixed(meta);
  ASSERT_TRUE(root.ok());
  auto start = (*root)->Version();
  ASSERT_TRUE(start.ok());
  ASSERT_GT(WaitForCheckpoint(root->get(), "/gcv\xFD", *start), 0u);
  ASSERT_EQ(Jfsbr("log pause " + meta, d).code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the capture flushes and idles
  LogTask task(root->get(), "/gcv\xFD");
  auto held = task.Checkpoint();
  ASSERT_TRUE(held.ok());
  for (int i = 0; i < 30; i++)
    ASSERT_EQ(Jfsbr("mkdir " + meta + " /d" + std::to_string(i), d).code, 0);
  ASSERT_EQ(Jfsbr("gc compact " + meta + " --keep 1ms", d).code, 0);  // records a revision
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CmdResult gc = Jfsbr("gc compact " + meta + " --keep 1ms", d);
  ASSERT_EQ(gc.code, 0) << gc.err;
  auto now = (*root)->Version();
  auto oldest = (*root)->OldestVersion();
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, held->revision + 1) << gc.err;  // up to the hold, not the newer revisions
  EXPECT_LT(*oldest, *now - 30);
  EXPECT_EQ(Jfsbr("log status " + meta, d).code, 0);
  ASSERT_EQ(Jfsbr("log resume " + meta, d).code, 0);
  ASSERT_GE(WaitForCheckpoint(root->get(), "/gcv\xFD", *now), *now);  // nothing was lost
  EXPECT_EQ(cap.Term(), 0) << ReadFileOrEmpty(d.Sub("capture.log"));

  // Compaction by someone else, past the checkpoint: status and capture say so.
  auto ck = task.Checkpoint();
  ASSERT_TRUE(ck.ok());
  for (int i = 0; i < 5; i++)
    ASSERT_EQ(Jfsbr("mkdir " + meta + " /e" + std::to_string(i), d).code, 0);
  ASSERT_TRUE((*root)->Compact(ck->revision + 4).ok());
  CmdResult status = Jfsbr("log status " + meta, d);
  EXPECT_NE(status.code, 0);
  EXPECT_NE(status.err.find("compacted"), std::string::npos) << status.err;
  CmdResult start2 = Jfsbr("log start " + meta + " -s file://" + d.Sub("log"), d);
  EXPECT_NE(start2.code, 0);
  EXPECT_NE(start2.err.find("new full backup"), std::string::npos) << start2.err;
  ASSERT_EQ(Jfsbr("log stop " + meta, d).code, 0);
  CmdResult free_gc = Jfsbr("gc compact " + meta + " --keep 1ms", d);
  EXPECT_EQ(free_gc.code, 0) << free_gc.err;
  EXPECT_EQ(free_gc.err.find("hold"), std::string::npos) << free_gc.err;
}

}  // namespace
}  // namespace jfsbr
