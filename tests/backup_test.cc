// Backups into the volume's object store (a real s3rver), restore, and the
// daemon: round trip, faults, one runner per volume, retention, metrics.
#include "backup/backup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>
#include <thread>

#include "backup/retention.h"
#include "meta/registry.h"
#include "testing/process.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

const std::string J = JFSBR_BINARY;
constexpr const char* kSecret = "top-secret-xyz";

// A volume on the shared etcd cluster (so that several processes can open
// it) whose data and backups go to a new bucket on an S3 server.
struct S3Volume {
  std::string meta;
  StoreConfig store;
  explicit S3Volume(S3Server* s3, const TempDir& dir, int files = 200) {
    meta = FreshMetaUrl("etcd", dir.path());
    auto c = s3->NewBucket("bk" + UniqueTestId());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    store = *c;
    auto e = OpenMeta(meta, true);
    EXPECT_TRUE(e.ok());
    FormatOptions o;
    o.name = "bvol";
    o.storage = "s3";
    o.bucket = store.bucket;
    o.access_key = kS3rverKey;
    o.secret_key = kSecret;
    auto formatted = FormatVolume(e->get(), o);
    EXPECT_TRUE(formatted.ok()) << formatted.status().ToString();
    auto vol = Volume::Open(std::move(*e));
    EXPECT_TRUE(vol.ok()) << vol.status().ToString();
    if (vol.ok()) Fill(vol->get(), files);
  }
  static void Fill(Volume* vol, int files) {
    Ino d = *vol->Mkdir(kRootInode, "d", {.mode = 0755});
    for (int i = 0; i < files; i++) {
      auto f = vol->CreateFile(d, "file-with-a-longish-name-" + std::to_string(i), {.mode = 0644},
                               0, {});
      EXPECT_TRUE(f.ok()) << f.status().ToString();
    }
  }
  // The volume's store (keys under "bvol/").
  std::unique_ptr<ObjectStore> Store(size_t part_size = 16 << 20) const {
    StoreConfig c = store;
    c.part_size = part_size;
    return WithPrefix(*OpenStore(c), "bvol/");
  }
};

std::string Field(const std::string& text, const std::string& re) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(re)) ? m[1].str() : "";
}

TEST(BackupTest, RoundTripOnS3IsByteIdenticalToTheSourceAtTheBackupVersion) {
  TempDir d;
  S3Volume v(S3Server::Shared(), d);
  for (const char* mode : {"", " --binary"}) {
    CmdResult b = Jfsbr("backup " + v.meta + mode, d);
    ASSERT_EQ(b.code, 0) << b.err;
    std::string name = Field(b.err, "backup meta/(\\S+):");
    std::string version = Field(b.err, "version (\\d+)");
    ASSERT_FALSE(name.empty()) << b.err;
    // The volume moves on after the backup.
    ASSERT_EQ(Jfsbr("mkdir " + v.meta + " /after" + (*mode ? "-bin" : ""), d).code, 0);
    CmdResult list = Jfsbr("backup list " + v.meta, d);
    ASSERT_EQ(list.code, 0) << list.err;
    EXPECT_NE(list.out.find(name), std::string::npos) << list.out;
    std::string target = "rocksdb://" + d.Sub("restored" + std::string(*mode ? "-bin" : ""));
    CmdResult r = Jfsbr("restore " + v.meta + " --from " + name + " --to " + target, d);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("check OK"), std::string::npos) << r.err;
    CmdResult cmp =
        RunShell(J + " dump " + v.meta + " --at-version " + version + " " + d.Sub("source.json") +
                     " && " + J + " dump " + target + " " + d.Sub("restored.json") + " && cmp " +
                     d.Sub("source.json") + " " + d.Sub("restored.json"),
                 d);
    EXPECT_EQ(cmp.code, 0) << mode << ": " << cmp.out << cmp.err;
    std::string restored = ReadFileOrEmpty(d.Sub("restored.json"));
    EXPECT_NE(restored.find("\"SecretKey\": \"removed\""), std::string::npos);
    EXPECT_EQ(restored.find(kSecret), std::string::npos);
    EXPECT_EQ((b.out + b.err + list.out + r.out + r.err).find(kSecret), std::string::npos);
    CmdResult verify = Jfsbr("backup verify " + v.meta + " " + name, d);
    EXPECT_EQ(verify.code, 0) << verify.err;
  }
  CmdResult st = Jfsbr("status " + v.meta, d);
  EXPECT_EQ(st.out.find(kSecret), std::string::npos);
  // Restoring into an engine that is not empty is refused, and leaves it be.
  CmdResult again = Jfsbr("restore " + v.meta + " --to rocksdb://" + d.Sub("restored"), d);
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  EXPECT_NE(Jfsbr("restore " + v.meta + " --from dump-2001-01-01-000000.json.gz --to rocksdb://" +
                      d.Sub("x"),
                  d)
                .err.find("no backup dump-2001"),
            std::string::npos);
}

TEST(BackupTest, ManifestRoundTrip) {
  BackupManifest m{"dump-2026-11-21-101500.json.gz",
                   "myjfs",
                   "u-1",
                   "json",
                   "gzip",
                   123456,
                   1100003,
                   331234567,
                   31234567,
                   "ab12",
                   1795256100,
                   9.812,
                   "h\"1"};
  std::string text = EncodeManifest(m);
  EXPECT_EQ(text.substr(0, 27), "{\n  \"manifest_version\": 1,\n");
  EXPECT_EQ(text.back(), '\n');
  auto back = DecodeManifest(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
  EXPECT_EQ(EncodeManifest(*back), text);
  EXPECT_EQ(back->version, 123456u);
  EXPECT_EQ(back->host, "h\"1");
  EXPECT_TRUE(DecodeManifest("{\"name\": \"x\"}").status().Is(Code::kCorruption));
}

TEST(BackupTest, DamagedBackupIsRefusedBeforeTheSettingIsWritten) {
  TempDir d;
  S3Volume v(S3Server::Shared(), d, 50);
  auto engine = *OpenMeta(v.meta);
  auto store = v.Store();
  auto m = RunBackup(engine.get(), store.get(), {});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // Same size, one byte changed in the middle of the object.
  std::string bytes = *store->Get("meta/" + m->name);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(store->Put("meta/" + m->name, bytes).ok());
  auto target = *OpenMeta("memkv://damaged-" + UniqueTestId(), true);
  auto r = RestoreBackup(store.get(), m->name, target.get(), {});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE((*target->Get(RecordKey::Setting())).has_value())
      << "a damaged restore looks like a volume";
}

TEST(BackupTest, S3KilledMidUploadGivesAnErrorAndNoBackup) {
  TempDir d;
  auto server = S3Server::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  S3Volume v(server->get(), d, 4000);
  auto engine = *OpenMeta(v.meta);
  auto store = v.Store(/*part_size=*/16 << 10);  // a multipart upload of many parts
  BackupOptions o;
  bool killed = false;
  o.progress = [&](uint64_t entries) {
    if (entries >= 2000 && !killed) {
      (*server)->Kill();
      killed = true;
    }
  };
  auto m = RunBackup(engine.get(), store.get(), o);
  ASSERT_TRUE(killed) << "the dump ended before the server was killed";
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().Is(Code::kUnavailable)) << m.status().ToString();
  ASSERT_TRUE((*server)->Restart().ok());
  auto all = ListBackups(store.get());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->empty()) << all->front().name;
  // With the server back, the next backup works.
  auto next = RunBackup(engine.get(), store.get(), {});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(ListBackups(store.get())->size(), 1u);
}

// A daemon process logging to a file.
struct Daemon {
  pid_t pid = 0;
  std::string log;
  Daemon(const std::string& args, const std::string& log_file) : log(log_file) {
    std::vector<std::string> argv = {J, "backup", "daemon"};
    std::istringstream in(args);
    for (std::string w; in >> w;) argv.push_back(w);
    pid = *SpawnLogged(argv, log, false);
  }
  ~Daemon() { Kill(SIGKILL); }
  void Kill(int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    waitpid(pid, nullptr, 0);
    pid = 0;
  }
  std::string Log() const { return ReadFileOrEmpty(log); }
};

TEST(BackupDaemonTest, KilledMidBackupLeavesNothingListedAndTheNextRunSucceeds) {
  TempDir d;
  S3Volume v(S3Server::Shared(), d, 3000);
  auto store = v.Store();
  int mid = 0;
  for (int run = 0; run < 3; run++) {
    std::string log = d.Sub("daemon" + std::to_string(run) + ".log");
    Daemon dm(v.meta + " --interval 1s --lease-ttl 1s", log);
    // Wait for a backup to start, then kill the daemon at once.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t done_before = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = dm.Log();
      size_t started = 0, pos = 0;
      while ((pos = text.find("backup started", pos)) != std::string::npos) started++, pos++;
      done_before = 0, pos = 0;
      while ((pos = text.find("backup meta/", pos)) != std::string::npos) done_before++, pos++;
      if (started > done_before) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    dm.Kill(SIGKILL);
    std::string text = dm.Log();
    size_t finished = 0, pos = 0;
    while ((pos = text.find("backup meta/", pos)) != std::string::npos) finished++, pos++;
    if (finished == done_before) mid++;
    auto all = ListBackups(store.get());
    ASSERT_TRUE(all.ok());
    for (const auto& b : *all) {
      CmdResult verify = Jfsbr("backup verify " + v.meta + " " + b.name, d);
      EXPECT_EQ(verify.code, 0) << b.name << ": " << verify.err;
    }
    // Every listed backup was reported finished by some run: none half-made.
    for (const auto& b : *all) {
      bool reported = false;
      for (int r = 0; r <= run; r++) {
        reported |= ReadFileOrEmpty(d.Sub("daemon" + std::to_string(r) + ".log"))
                        .find("backup meta/" + b.name) != std::string::npos;
      }
      EXPECT_TRUE(reported) << b.name << " is listed but no daemon finished it";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a new name each second
  }
  EXPECT_GT(mid, 0) << "no kill landed in the middle of a backup";
  // And a daemon left alone makes a good backup.
  size_t before = ListBackups(store.get())->size();
  Daemon dm(v.meta + " --interval 1s --lease-ttl 1s", d.Sub("final.log"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (dm.Log().find("backup meta/") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  dm.Kill(SIGTERM);
  EXPECT_GT(ListBackups(store.get())->size(), before) << dm.Log();
}

TEST(BackupDaemonTest, TwoDaemonsForAMinuteMakeOneBackupPerInterval) {
  TempDir d;
  S3Volume v(S3Server::Shared(), d, 100);
  auto store = v.Store();
  // Old backups (JuiceFS's names) that the retention rule thins out.
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::vector<std::string> old;
  for (int i = 0; i < 40; i++) {
    // Half a day off the bucket edges, which move with the clock.
    old.push_back(BackupNameStem(now - (3 + i * 3) * 86400 - 43200) + ".json.gz");
    ASSERT_TRUE(store->Put("meta/" + old.back(), "old").ok());
  }
  std::string args = v.meta + " --interval 5s --lease-ttl 2s --metrics 127.0.0.1:0";
  auto a = std::make_unique<Daemon>(args, d.Sub("a.log"));
  auto b = std::make_unique<Daemon>(args, d.Sub("b.log"));
  std::this_thread::sleep_for(std::chrono::seconds(30));
  // Kill the runner: the other takes over and keeps the schedule.
  bool a_runs = a->Log().find("took the backup lease") != std::string::npos;
  (a_runs ? a : b)->Kill(SIGKILL);
  Daemon* survivor = a_runs ? b.get() : a.get();
  std::this_thread::sleep_for(std::chrono::seconds(30));
  std::string port = Field(survivor->Log(), "\\(port (\\d+)\\)");
  CmdResult metrics = RunShell("curl -s http://127.0.0.1:" + port + "/metrics", d);
  survivor->Kill(SIGTERM);
  EXPECT_NE(metrics.out.find("jfsbr_backup_lease_held{volume=\"bvol\"} 1"), std::string::npos)
      << metrics.out;
  EXPECT_EQ(Field(metrics.out, "jfsbr_backup_failures_total\\{volume=\"bvol\"\\} (\\d+)"), "0");
  EXPECT_NE(Field(metrics.out, "jfsbr_backup_success_total\\{volume=\"bvol\"\\} (\\d+)"), "0");
  EXPECT_NE(metrics.out.find("juicefs_last_successful_backup"), std::string::npos);

  auto all = ListBackups(store.get());
  ASSERT_TRUE(all.ok());
  std::vector<int64_t> times;
  std::vector<std::string> old_left;
  for (const auto& e : *all) {
    if (e.time >= now - 5) {
      times.push_back(e.time);
    } else {
      old_left.push_back(e.name);
    }
  }
  // 60 s at one per 5 s, with a takeover (lease ttl 2 s) in between.
  EXPECT_GE(times.size(), 10u);
  EXPECT_LE(times.size(), 13u);
  for (size_t i = 1; i < times.size(); i++) {
    EXPECT_GE(times[i] - times[i - 1], 5) << "two backups in one interval";
    EXPECT_LE(times[i] - times[i - 1], 10) << "a gap in the schedule";
  }
  EXPECT_EQ(old_left.size(), old.size() - ExpiredBackups(old, now + 60).size());
  EXPECT_LT(old_left.size(), old.size());
  std::string logs = a->Log() + b->Log();
  EXPECT_NE(logs.find("retention: deleted meta/"), std::string::npos);
  EXPECT_EQ(logs.find(kSecret), std::string::npos);
}

}  // namespace
}  // namespace jfsbr
