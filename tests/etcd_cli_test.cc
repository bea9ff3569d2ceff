// jfsbr on a real etcd cluster, end to end: migration through pipes, and the
// leader killed (SIGKILL) in the middle of an import and of a load.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "testing/etcd_cluster.h"
#include "testing/process.h"
#include "testing/test_keys.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string J = JFSBR_BINARY;
const std::string kGolden = std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json";

CmdResult Sh(const std::string& cmd, const TempDir& dir) { return RunShell(cmd, dir); }

pid_t Spawn(const std::vector<std::string>& args, const std::string& err) {
  return SpawnJfsbr(args, err);
}
int Wait(pid_t pid, int seconds) { return WaitExit(pid, seconds); }

TEST(EtcdCliTest, RocksDbToEtcdToRocksDbThroughPipesIsByteIdentical) {
  TempDir d;
  std::string a = "rocksdb://" + d.Sub("a"), b = "rocksdb://" + d.Sub("b");
  std::string e1 = FreshMetaUrl("etcd", ""), e2 = FreshMetaUrl("etcd", "");
  // The golden volume (every field kind) and a generated one with big
  // directories (many pages and transactions per directory).
  // (The generated volume first: the golden load --force then clears its
  // 9,500 keys, more than one etcd transaction holds.)
  for (const std::string& source : {std::string("generated"), std::string("golden")}) {
    fs::remove_all(d.Sub("a"));
    fs::remove_all(d.Sub("b"));
    if (source == "golden") {
      ASSERT_EQ(Sh(J + " load " + a + " " + kGolden, d).code, 0);
    } else {
      ASSERT_EQ(Sh(J + " bench gen " + a + " --files 3000", d).code, 0);
    }
    ASSERT_EQ(Sh(J + " dump " + a + " > " + d.Sub("a.json"), d).code, 0);
    CmdResult to_etcd = Sh(J + " dump " + a + " | " + J + " load --force " + e1, d);
    ASSERT_EQ(to_etcd.code, 0) << to_etcd.err;
    CmdResult check = Sh(J + " check " + e1, d);
    EXPECT_EQ(check.code, 0) << check.out;
    CmdResult back = Sh(J + " dump " + e1 + " | " + J + " load " + b, d);
    ASSERT_EQ(back.code, 0) << back.err;
    EXPECT_EQ(Sh(J + " dump " + e1 + " | cmp - " + d.Sub("a.json"), d).code, 0) << source;
    EXPECT_EQ(Sh(J + " dump " + b + " | cmp - " + d.Sub("a.json"), d).code, 0) << source;
    // The binary format the same way.
    ASSERT_EQ(Sh(J + " dump --binary " + a + " > " + d.Sub("a.bin"), d).code, 0);
    CmdResult bin = Sh(J + " dump --binary " + a + " | " + J + " load --binary --force " + e2, d);
    ASSERT_EQ(bin.code, 0) << bin.err;
    EXPECT_EQ(Sh(J + " dump --binary " + e2 + " | cmp - " + d.Sub("a.bin"), d).code, 0) << source;
  }
}

// Any engine to any engine through pipes: RocksDB -> etcd -> SQLite ->
// PostgreSQL -> MariaDB -> Redis -> RocksDB -> SQLite -> PostgreSQL ->
// MariaDB -> Redis -> etcd, JSON and binary, with every dump on the way
// byte-identical.
TEST(EtcdCliTest, MigrationMatrixThroughEveryFamilyIsByteIdentical) {
  TempDir d;
  const std::vector<std::string> chain = {
      "rocksdb://" + d.Sub("r1"),   FreshMetaUrl("etcd", ""),      "sqlite3://" + d.Sub("s1.db"),
      FreshMetaUrl("postgres", ""), FreshMetaUrl("mariadb", ""),   FreshMetaUrl("redis", ""),
      "rocksdb://" + d.Sub("r2"),   "sqlite3://" + d.Sub("s2.db"), FreshMetaUrl("postgres", ""),
      FreshMetaUrl("mariadb", ""),  FreshMetaUrl("redis", ""),     FreshMetaUrl("etcd", "")};
  ASSERT_EQ(Sh(J + " load " + chain[0] + " " + kGolden, d).code, 0);
  for (size_t i = 1; i < chain.size(); i++) {
    const std::string from = "'" + chain[i - 1] + "'", to = "'" + chain[i] + "'";
    CmdResult step = Sh(J + " dump " + from + " | " + J + " load " + to, d);
    ASSERT_EQ(step.code, 0) << chain[i] << ": " << step.err;
    EXPECT_EQ(Sh(J + " dump " + to + " | cmp - " + kGolden, d).code, 0) << chain[i];
    CmdResult check = Sh(J + " check " + to, d);
    EXPECT_EQ(check.code, 0) << chain[i] << ": " << check.out;
  }
  // Binary: SQLite lists inodes in numeric order, TKV in key order, so the
  // bytes match within a family and the volume (its JSON dump) across.
  const std::string s3 = "sqlite3://" + d.Sub("s3.db"), r3 = "rocksdb://" + d.Sub("r3");
  ASSERT_EQ(Sh(J + " dump --binary " + chain[2] + " | " + J + " load --binary " + s3, d).code, 0);
  ASSERT_EQ(Sh(J + " dump --binary " + chain[2] + " > " + d.Sub("s1.bin"), d).code, 0);
  EXPECT_EQ(Sh(J + " dump --binary " + s3 + " | cmp - " + d.Sub("s1.bin"), d).code, 0);
  ASSERT_EQ(Sh(J + " dump --binary " + s3 + " | " + J + " load --binary " + r3, d).code, 0);
  EXPECT_EQ(Sh(J + " dump " + r3 + " | cmp - " + kGolden, d).code, 0);
  // Across the SQL family the binary bytes match too (SQLite -> PostgreSQL,
  // SQLite -> MariaDB).
  for (const std::string& sql : {FreshMetaUrl("postgres", ""), FreshMetaUrl("mariadb", "")}) {
    ASSERT_EQ(Sh(J + " load --binary '" + sql + "' " + d.Sub("s1.bin"), d).code, 0) << sql;
    EXPECT_EQ(Sh(J + " dump --binary '" + sql + "' | cmp - " + d.Sub("s1.bin"), d).code, 0) << sql;
  }
  // Redis lists inodes as TKV does (its snapshot is filed by TKV key): the
  // binary bytes match RocksDB's.
  const std::string redis = FreshMetaUrl("redis", "");
  ASSERT_EQ(Sh(J + " dump --binary " + r3 + " > " + d.Sub("r3.bin"), d).code, 0);
  ASSERT_EQ(Sh(J + " load --binary '" + redis + "' " + d.Sub("r3.bin"), d).code, 0);
  EXPECT_EQ(Sh(J + " dump --binary '" + redis + "' | cmp - " + d.Sub("r3.bin"), d).code, 0);
  // What SQL and Redis volumes do not have (yet) says so in one line.
  for (const std::string& cmd : {"log start " + chain[2] + " -s file://" + d.Sub("log"),
                                 "br backup " + chain[2] + " -s file://" + d.Sub("full"),
                                 "log start '" + chain[3] + "' -s file://" + d.Sub("log2"),
                                 "log start '" + chain[4] + "' -s file://" + d.Sub("log3"),
                                 "br backup '" + chain[5] + "' -s file://" + d.Sub("full2")}) {
    CmdResult r = Sh(J + " " + cmd, d);
    EXPECT_EQ(r.code, 1) << cmd;
    EXPECT_NE(r.err.find("takes dump backups"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// A load into SQLite killed part way (kill -9) leaves no volume: no setting,
// commands say "not formatted", a second load refuses the leftovers until
// --force, which then loads the whole volume.
TEST(EtcdCliTest, SqliteLoadKilledPartWayLeavesNoVolume) {
  TempDir d;
  const std::string src = "sqlite3://" + d.Sub("src.db"), dst = "sqlite3://" + d.Sub("dst.db");
  ASSERT_EQ(Sh(J + " bench gen " + src + " --files 200000", d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + src + " > " + d.Sub("src.json"), d).code, 0);
  pid_t pid = Spawn({"load", dst, d.Sub("src.json")}, d.Sub("load.err"));
  // Killed once some batches are committed (rows visible to another
  // reader), long before it ends, however fast or slow the machine is.
  for (int i = 0; i < 1000; i++) {
    CmdResult rows =
        Sh("sqlite3 " + d.Sub("dst.db") + " 'SELECT count(*) FROM jfs_node' 2>/dev/null", d);
    if (rows.code == 0 && std::atoi(rows.out.c_str()) > 0) break;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  EXPECT_EQ(Wait(pid, 10), -1) << "the load ended before it was killed";
  CmdResult status = Sh(J + " status " + dst, d);
  EXPECT_NE(status.code, 0);
  EXPECT_NE(status.err.find("not formatted"), std::string::npos) << status.err;
  CmdResult again = Sh(J + " load " + dst + " " + d.Sub("src.json"), d);
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  CmdResult forced = Sh(J + " load --force " + dst + " " + d.Sub("src.json"), d);
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(Sh(J + " dump " + dst + " | cmp - " + d.Sub("src.json"), d).code, 0);
}

// Endpoints that all refuse connections: the command says at once that it
// is retrying (instead of a silent minute), then fails in one line after 6x
// the timeout, which takes a duration.
TEST(EtcdCliTest, UnreachableClusterIsReportedWhileRetrying) {
  TempDir d;
  auto ports = FreePorts(2);
  std::string url = "etcd://127.0.0.1:" + std::to_string(ports[0]) +
                    ",127.0.0.1:" + std::to_string(ports[1]) + "/vol?timeout=500ms";
  auto start = std::chrono::steady_clock::now();
  CmdResult r = Sh(J + " status '" + url + "'", d);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(r.code, 0);
  EXPECT_LT(secs, 20) << "timeout=500ms is 3 s of retries";
  EXPECT_NE(r.err.find("retrying on 2 endpoint(s) for up to"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gave up after"), std::string::npos) << r.err;
  CmdResult bad = Sh(J + " status 'etcd://127.0.0.1:1/vol?timeout=soon'", d);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("option timeout needs seconds or a duration"), std::string::npos)
      << bad.err;
}

TEST(EtcdCliTest, StatusShowsTheCluster) {
  TempDir d;
  std::string url = FreshMetaUrl("etcd", "");
  ASSERT_EQ(Sh(J + " load " + url + " " + kGolden, d).code, 0);
  CmdResult st = Sh(J + " status " + url, d);
  ASSERT_EQ(st.code, 0) << st.err;
  for (const char* field : {"\"Endpoints\"", "\"Leader\"", "\"Revision\"", "\"DBSize\""}) {
    EXPECT_NE(st.out.find(field), std::string::npos) << field << " in\n" << st.out;
  }
}

TEST(EtcdCliTest, UserAndPasswordAuth) {
  TempDir d;
  auto c = EtcdCluster::Start(1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string ctl = "etcdctl --endpoints " + (*c)->Endpoints() + " ";
  ASSERT_EQ(Sh(ctl + "user add root:s3cret-pw", d).code, 0);
  ASSERT_EQ(Sh(ctl + "auth enable", d).code, 0);
  std::string good = "etcd://root:s3cret-pw@" + (*c)->Endpoints() + "/authvol";
  CmdResult load = Sh(J + " load " + good + " " + kGolden, d);
  ASSERT_EQ(load.code, 0) << load.err;
  CmdResult st = Sh(J + " status " + good, d);
  ASSERT_EQ(st.code, 0) << st.err;
  EXPECT_EQ(st.out.find("s3cret-pw"), std::string::npos);  // never shown
  EXPECT_NE(st.out.find("root:****@"), std::string::npos) << st.out;
  EXPECT_EQ(Sh(J + " dump " + good + " | cmp - " + kGolden, d).code, 0);
  // Without credentials, or with wrong ones: one clear line, no secret in it.
  for (const std::string& url : {"etcd://" + (*c)->Endpoints() + "/authvol",
                                 "etcd://root:wrong@" + (*c)->Endpoints() + "/authvol"}) {
    CmdResult r = Sh(J + " dump " + url, d);
    EXPECT_NE(r.code, 0) << url;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.find("wrong"), std::string::npos) << r.err;
    EXPECT_TRUE(r.err.find("permission") != std::string::npos ||
                r.err.find("authentication") != std::string::npos)
        << r.err;
  }
}

// JuiceFS's TLS options against a member that serves clients over TLS with a
// certificate from a test CA (made here with the openssl tool).
TEST(EtcdCliTest, TlsOptions) {
  TempDir d;
  std::string t = d.Sub("tls");
  fs::create_directories(t);
  ASSERT_TRUE(MakeTestTlsCerts(t, "etcd.test"));
  auto c = EtcdCluster::Start(1, false, t);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string base = "etcd://" + (*c)->Endpoints() + "/tlsvol";
  std::string ca = "?cacert=" + t + "/ca.pem";
  CmdResult load = Sh(J + " load '" + base + ca + "' " + kGolden, d);
  ASSERT_EQ(load.code, 0) << load.err;
  EXPECT_EQ(Sh(J + " dump '" + base + ca + "' | cmp - " + kGolden, d).code, 0);
  EXPECT_EQ(Sh(J + " dump '" + base + ca + "&server-name=etcd.test' | cmp - " + kGolden, d).code,
            0);
  EXPECT_EQ(
      Sh(J + " dump '" + base + "?insecure-skip-verify=1&server-name=x' | cmp - " + kGolden, d)
          .code,
      0);
  // A certificate for another name, or plain text to a TLS port: one clear
  // error, after one notice that the endpoint is being retried (gRPC reports
  // both as "unavailable", as it does a member that is down).
  for (const std::string& url :
       {base + ca + "&server-name=wrong.test&timeout=1", base + "?timeout=1"}) {
    CmdResult r = Sh(J + " dump '" + url + "'", d);
    EXPECT_NE(r.code, 0) << url;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
    EXPECT_NE(r.err.find("retrying on 1 endpoint(s)"), std::string::npos) << r.err;
  }
  CmdResult missing = Sh(J + " dump '" + base + "?cacert=/nonexistent.pem'", d);
  EXPECT_NE(missing.err.find("cannot read the cacert file /nonexistent.pem"), std::string::npos)
      << missing.err;
}

class EtcdFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = EtcdCluster::Start(3);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c);
  }
  // Kills the leader once `ready` says the operation is under way.
  void KillLeaderWhen(const std::function<bool()>& ready) {
    for (int i = 0; i < 3000 && !ready(); i++) usleep(10000);
    int leader = cluster_->Leader();
    ASSERT_GE(leader, 0);
    cluster_->Kill(leader);
  }
  std::unique_ptr<EtcdCluster> cluster_;
  TempDir d_;
};

TEST_F(EtcdFaultTest, LeaderKilledDuringImport) {
  std::string src = d_.Sub("src");
  fs::create_directories(src + "/sub");
  std::mt19937 rng(5);
  for (int i = 0; i < 300; i++) {
    std::string data(rng() % 20000 + 1, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::ofstream(src + (i % 3 ? "/f" : "/sub/f") + std::to_string(i), std::ios::binary) << data;
  }
  std::string url = cluster_->MetaUrl("imp");
  ASSERT_EQ(
      Sh(J + " format " + url + " --storage file --bucket " + d_.Sub("bucket") + " myjfs", d_).code,
      0);
  pid_t pid = Spawn({"import", src, url}, d_.Sub("import.err"));
  KillLeaderWhen([&] {
    std::error_code ec;
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(d_.Sub("bucket"), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      n++;
    }
    return n > 60;  // some files are in, most are not
  });
  int code = Wait(pid, 120);
  std::string err = ReadFileOrEmpty(d_.Sub("import.err"));
  if (code != 0) {  // allowed: a clear one-line error
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("etcd"), std::string::npos) << err;
  }
  // No half-applied operation: the invariants hold, every file shown is whole.
  CmdResult check = Sh(J + " check " + url, d_);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  CmdResult exp = Sh(J + " export " + url + " " + d_.Sub("out"), d_);
  ASSERT_EQ(exp.code, 0) << exp.err;
  if (code == 0) {
    EXPECT_EQ(Sh("diff -r " + src + " " + d_.Sub("out"), d_).code, 0);
  } else {
    for (auto& e : fs::recursive_directory_iterator(d_.Sub("out"))) {
      if (!e.is_regular_file()) continue;
      std::string rel = fs::relative(e.path(), d_.Sub("out")).string();
      EXPECT_EQ(ReadFileOrEmpty(e.path().string()), ReadFileOrEmpty(src + "/" + rel)) << rel;
    }
  }
  RecordProperty("import_exit", code);
}

TEST_F(EtcdFaultTest, LeaderKilledDuringLoad) {
  std::string gen = "rocksdb://" + d_.Sub("gen");
  ASSERT_EQ(Sh(J + " bench gen " + gen + " --files 30000", d_).code, 0);
  ASSERT_EQ(Sh(J + " dump " + gen + " " + d_.Sub("gen.json"), d_).code, 0);
  std::string url = cluster_->MetaUrl("load");
  pid_t pid = Spawn({"load", url, d_.Sub("gen.json")}, d_.Sub("load.err"));
  // Kill once the first keys of the volume are in.
  KillLeaderWhen([&] {
    CmdResult r = Sh("etcdctl --endpoints " + cluster_->Endpoints() +
                         " get --prefix /load --keys-only --limit 1",
                     d_);
    return r.code == 0 && !r.out.empty();
  });
  int code = Wait(pid, 300);
  std::string err = ReadFileOrEmpty(d_.Sub("load.err"));
  CmdResult check = Sh(J + " check " + url, d_);
  if (code == 0) {
    EXPECT_EQ(check.code, 0) << check.out;
    EXPECT_EQ(Sh(J + " dump " + url + " | cmp - " + d_.Sub("gen.json"), d_).code, 0);
  } else {
    // A failed load never leaves something that passes for a volume.
    EXPECT_NE(check.code, 0) << check.out;
    EXPECT_NE(check.out.find("no volume setting"), std::string::npos) << check.out;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    ASSERT_EQ(Sh(J + " load --force " + url + " " + d_.Sub("gen.json"), d_).code, 0);
    EXPECT_EQ(Sh(J + " check " + url, d_).code, 0);
  }
  RecordProperty("load_exit", code);
}

}  // namespace
}  // namespace jfsbr
