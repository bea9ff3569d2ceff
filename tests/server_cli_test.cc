// jfsbr against database servers as an operator meets them. On MariaDB:
// the DSN forms JuiceFS takes (parentheses, tcp(), unix(), META_PASSWORD, a
// password holding '@' and '/'), a user with only the rights JuiceFS needs,
// and what goes wrong said in one line. On Redis: its URL forms (a socket,
// Sentinel, the password variables), an ACL user, a replica as the dump
// source, and the errors. On PostgreSQL, MariaDB and Redis (with AOF): the
// server killed (SIGKILL) during a dump and during a load.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/mariadb_server.h"
#include "testing/pg_server.h"
#include "testing/process.h"
#include "testing/redis_server.h"
#include "testing/test_keys.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string J = JFSBR_BINARY;
const std::string kGolden = std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json";
const std::string kJuicefs = std::string(JFSBR_SOURCE_DIR) + "/.tools/juicefs/bin/juicefs";

CmdResult Sh(const std::string& cmd, const TempDir& dir) { return RunShell(cmd, dir); }
std::string Q(const std::string& s) { return Quoted(s); }

TEST(MariadbCliTest, UrlFormsJuicefsTakes) {
  TempDir d;
  MariaServer* my = MariaServer::Shared();
  const std::string port = std::to_string(my->port());
  const std::string name = RunUniqueName("odd");
  const std::string password = "p@ss/w:rd";
  auto url = my->NewDatabase(name, password);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  // The user holds the rights JuiceFS uses on its database, nothing global.
  auto grants = my->Sql("SHOW GRANTS FOR '" + name + "'@'%'");
  ASSERT_TRUE(grants.ok()) << grants.status().ToString();
  EXPECT_NE(grants->find("GRANT USAGE ON *.*"), std::string::npos) << *grants;
  EXPECT_NE(grants->find("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER ON `" +
                         name + "`.*"),
            std::string::npos)
      << *grants;
  EXPECT_EQ(grants->find("ALL PRIVILEGES"), std::string::npos) << *grants;
  // The password as the URL gives it (to the last '@'), and URL-encoded.
  ASSERT_EQ(*url, "mysql://" + name + ":" + password + "@(127.0.0.1:" + port + ")/" + name);
  CmdResult load = Sh(J + " load " + Q(*url) + " " + kGolden, d);
  ASSERT_EQ(load.code, 0) << load.err;
  const std::string encoded =
      "mysql://" + name + ":p%40ss%2Fw%3Ard@tcp(127.0.0.1:" + port + ")/" + name;
  EXPECT_EQ(Sh(J + " dump " + Q(encoded) + " | cmp - " + kGolden, d).code, 0) << encoded;
  // META_PASSWORD when the URL has none; the server's unix socket.
  const std::string bare = "mysql://" + name + "@unix(" + my->socket() + ")/" + name;
  CmdResult dump =
      Sh("META_PASSWORD=" + Q(password) + " " + J + " dump " + Q(bare) + " | cmp - " + kGolden, d);
  EXPECT_EQ(dump.code, 0) << bare << ": " << dump.err;
  // Without LOCK TABLES a dump's threads read on one connection: its summary says why.
  CmdResult one = Sh(J + " dump -p 2 " + Q(*url) + " " + d.Sub("one.json"), d);
  EXPECT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.err.find("\nread on one connection: the user may not LOCK TABLES"),
            std::string::npos)
      << one.err;
  // What the command says names the database, never the password.
  CmdResult status = Sh(J + " status " + Q(*url), d);
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_EQ((status.out + status.err).find("w:rd"), std::string::npos) << status.out;
  EXPECT_NE((status.out + status.err).find(name + "@(127.0.0.1:" + port + ")/" + name),
            std::string::npos)
      << status.out << status.err;
  // JuiceFS reads the encoded form (a raw '/' in the password it refuses).
  // (Into a file: on MySQL it prints its SQL library's log on stdout.)
  CmdResult juicefs =
      Sh(std::string(JFSBR_SOURCE_DIR) + "/.tools/juicefs/bin/juicefs dump " + Q(encoded) + " " +
             d.Sub("j.json") + " && cmp " + d.Sub("j.json") + " " + kGolden,
         d);
  EXPECT_EQ(juicefs.code, 0) << juicefs.err;
}

TEST(MariadbCliTest, WhatGoesWrongIsOneLine) {
  TempDir d;
  const std::string url = FreshMetaUrl("mariadb", "");
  std::string wrong = url;
  size_t colon = wrong.find(':', 8), at = wrong.rfind('@');
  wrong.replace(colon + 1, at - colon - 1, "not-it");
  CmdResult bad_pw = Sh(J + " status " + Q(wrong), d);
  ExpectOneLineError(bad_pw, "Access denied", "wrong password");
  EXPECT_EQ(bad_pw.err.find("not-it"), std::string::npos) << "the password was printed";
  const std::string port = std::to_string(MariaServer::Shared()->port());
  ExpectOneLineError(Sh(J + " status " + Q("mysql://u:p@127.0.0.1:" + port + "/db"), d),
                     "parentheses", "an address without its parentheses");
  ExpectOneLineError(Sh(J + " status " + Q("mysql://u:p@(127.0.0.1:notaport)/db"), d), "port",
                     "malformed port");
  int closed = FreePorts(1)[0];
  ExpectOneLineError(
      Sh(J + " status " + Q("mysql://u:p@(127.0.0.1:" + std::to_string(closed) + ")/db"), d),
      "127.0.0.1", "no server");
  // A database the user may not use.
  ExpectOneLineError(Sh(J + " status " + Q(url.substr(0, url.rfind('/')) + "/mysql"), d),
                     "Access denied", "another database");
  // An empty database is no volume; a load refuses a volume already there.
  ExpectOneLineError(Sh(J + " status " + Q(url), d), "not formatted", "empty database");
  ASSERT_EQ(Sh(J + " load " + Q(url) + " " + kGolden, d).code, 0);
  ExpectOneLineError(Sh(J + " load " + Q(url) + " " + kGolden, d), "not empty", "second load");
  ExpectOneLineError(Sh(J + " log start " + Q(url) + " -s file://" + d.Sub("log"), d),
                     "takes dump backups", "log backup of an SQL volume");
}

// Redis URLs as JuiceFS takes them reach the same volume: TCP with an ACL
// user, a socket (unix://), the password from META_PASSWORD or
// REDIS_PASSWORD, a Sentinel naming the primary; what goes wrong is one
// line; a load into a database that holds anything is refused.
TEST(RedisCliTest, UrlFormsJuicefsTakes) {
  TempDir d;
  RedisServer* r = RedisServer::Shared();
  const std::string name = RunUniqueName("odd");
  auto url = r->NewDatabase(name, "p@ss:word");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  const std::string db = url->substr(url->rfind('/') + 1);
  const std::string host = "127.0.0.1:" + std::to_string(r->port());
  const std::string tcp = "redis://" + name + ":p%40ss%3Aword@" + host + "/" + db;
  CmdResult f = Sh(J + " format " + Q(tcp) + " vol --bucket " + d.Sub("bucket"), d);
  ASSERT_EQ(f.code, 0) << f.err;
  ASSERT_EQ(Sh(J + " mkdir " + Q(tcp) + " /here", d).code, 0);
  for (const std::string& form :
       {"unix://" + name + ":p%40ss%3Aword@" + r->socket() + "?db=" + db,
        "META_PASSWORD='p@ss:word' " + J + " ls redis://" + name + "@" + host + "/" + db,
        "REDIS_PASSWORD='p@ss:word' " + J + " ls redis://" + name + "@" + host + "/" + db}) {
    std::string cmd = form.starts_with("unix:") ? J + " ls " + Q(form) : form;
    CmdResult ls = Sh(cmd + " /", d);
    EXPECT_EQ(ls.code, 0) << form << ": " << ls.err;
    EXPECT_NE(ls.out.find("here"), std::string::npos) << form;
  }

  // A Sentinel that watches the server: MASTER,SENTINEL:PORT.
  const int sport = FreePorts(1)[0];
  const std::string conf = d.Sub("sentinel.conf");
  std::ofstream(conf) << "port " << sport << "\nbind 127.0.0.1\nsentinel monitor jfs 127.0.0.1 "
                      << r->port() << " 1\n";
  auto sentinel = SpawnLogged({"redis-server", conf, "--sentinel"}, d.Sub("sentinel.log"), false);
  ASSERT_TRUE(sentinel.ok());
  for (int i = 0; i < 100 && !PortAccepts(sport); i++) usleep(50000);
  CmdResult ls = Sh(J + " ls " +
                        Q("redis://" + name +
                          ":p%40ss%3Aword@jfs,127.0.0.1:" + std::to_string(sport) + "/" + db) +
                        " /",
                    d);
  EXPECT_EQ(ls.code, 0) << ls.err;
  EXPECT_NE(ls.out.find("here"), std::string::npos);
  KillSpawned(*sentinel, false);

  ExpectOneLineError(Sh(J + " ls " + Q("redis://" + name + ":nope@" + host + "/" + db) + " /", d),
                     "authentication failed", "wrong password");
  const std::string nobody = "redis://127.0.0.1:" + std::to_string(FreePorts(1)[0]) + "/1";
  ExpectOneLineError(Sh(J + " ls " + nobody + " /", d), "cannot connect to redis", "no server");
  ExpectOneLineError(Sh(J + " ls redis://127.0.0.1:99999/1 /", d), "malformed META-URL",
                     "bad port");
  ExpectOneLineError(Sh(J + " ls " + Q("redis://" + host + "/one") + " /", d), "a number",
                     "bad db");
  ExpectOneLineError(Sh(J + " load " + Q(tcp) + " " + kGolden, d), "not empty", "second load");
}

// Dump backups of a Redis volume into its bucket: listed, verified,
// restored into another Redis database and dumped the same; info and
// status read it; a binary backup too.
TEST(RedisCliTest, BackupsVerifyAndRestore) {
  TempDir d;
  const std::string url = FreshMetaUrl("redis", ""), to = FreshMetaUrl("redis", "");
  ASSERT_EQ(Sh(J + " format " + Q(url) + " vol --bucket " + d.Sub("bucket"), d).code, 0);
  fs::create_directories(d.Sub("src/sub"));
  std::ofstream(d.Sub("src/sub/f")) << "some bytes";
  ASSERT_EQ(Sh(J + " import " + d.Sub("src") + " " + Q(url), d).code, 0);
  for (const char* flags : {" --binary", ""}) {
    CmdResult b = Sh(J + " backup" + flags + " " + Q(url), d);
    ASSERT_EQ(b.code, 0) << b.err;
  }

  CmdResult list = Sh(J + " backup list " + Q(url), d);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find(".json.gz"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(".bin.zst"), std::string::npos) << list.out;
  CmdResult verify = Sh(J + " backup verify " + Q(url) + " latest", d);
  EXPECT_EQ(verify.code, 0) << verify.err;
  CmdResult restore = Sh(J + " restore " + Q(url) + " --to " + Q(to), d);
  ASSERT_EQ(restore.code, 0) << restore.err;
  // The restored volume dumps as the backup file reads.
  ASSERT_EQ(Sh(J + " dump " + Q(to) + " " + d.Sub("restored.json"), d).code, 0);
  EXPECT_EQ(Sh("zcat $(find " + d.Sub("bucket") + " -name 'dump-*.json.gz') | cmp - " +
                   d.Sub("restored.json"),
               d)
                .code,
            0);
  CmdResult cat = Sh(J + " cat " + Q(to) + " /sub/f", d);
  EXPECT_EQ(cat.out, "some bytes") << cat.err;
  CmdResult status = Sh(J + " status " + Q(to), d);
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("redis_version"), std::string::npos) << status.out;
}

// A Redis Cluster of three masters: every key of a volume carries the hash
// tag "{DB}" (as JuiceFS writes them), so one node holds the volume and its
// transactions; jfsbr finds that node from any of them (a list of seeds, or
// one node), and juicefs reads the same volume.
TEST(RedisCliTest, ClusterKeysShareOneHashTag) {
  TempDir d;
  std::vector<std::unique_ptr<RedisServer>> nodes;
  std::string create = "redis-cli --cluster create", seeds;
  for (int i = 0; i < 3; i++) {
    RedisServer::Options o;
    o.cluster = true;
    auto n = RedisServer::Start(o);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    std::string at = "127.0.0.1:" + std::to_string((*n)->port());
    create += " " + at;
    seeds += (i ? "," : "") + at;
    nodes.push_back(std::move(*n));
  }
  CmdResult c = Sh(create + " --cluster-replicas 0 --cluster-yes", d);
  ASSERT_EQ(c.code, 0) << c.out << c.err;
  bool ok = false;
  for (int i = 0; i < 100 && !ok; i++, usleep(100000)) {
    auto info = nodes[0]->Command({"CLUSTER", "INFO"});
    ok = info.ok() && info->find("cluster_state:ok") != std::string::npos;
  }
  ASSERT_TRUE(ok);
  const std::string url = "redis://" + seeds + "/3";
  CmdResult f = Sh(J + " format " + Q(url) + " vol --bucket " + d.Sub("bucket"), d);
  ASSERT_EQ(f.code, 0) << f.err;
  fs::create_directories(d.Sub("src/a"));
  std::ofstream(d.Sub("src/a/f")) << "clustered";
  ASSERT_EQ(Sh(J + " import " + d.Sub("src") + " " + Q(url), d).code, 0);
  // Every key under the tag, all on the node that serves its slot.
  int tagged = 0;
  for (auto& n : nodes) {
    auto keys = n->Command({"KEYS", "*"});
    ASSERT_TRUE(keys.ok());
    std::stringstream lines(*keys);
    for (std::string k; std::getline(lines, k);) {
      EXPECT_TRUE(k.starts_with("{3}")) << k;
      tagged++;
    }
  }
  EXPECT_GT(tagged, 5);
  // One node's address alone: jfsbr sees it is a cluster node.
  const std::string one = "redis://127.0.0.1:" + std::to_string(nodes[2]->port()) + "/3";
  CmdResult cat = Sh(J + " cat " + Q(one) + " /a/f", d);
  EXPECT_EQ(cat.out, "clustered") << cat.err;
  ASSERT_EQ(Sh(J + " dump " + Q(url) + " " + d.Sub("ours.json"), d).code, 0);
  CmdResult theirs = Sh(kJuicefs + " dump " + Q(url) + " " + d.Sub("theirs.json"), d);
  ASSERT_EQ(theirs.code, 0) << theirs.err;
  EXPECT_EQ(Sh("cmp " + d.Sub("ours.json") + " " + d.Sub("theirs.json"), d).code, 0);
  // Another volume under another tag of the same cluster.
  const std::string other = "redis://" + seeds + "/4";
  CmdResult load = Sh(J + " load " + Q(other) + " " + d.Sub("ours.json"), d);
  ASSERT_EQ(load.code, 0) << load.err;
  EXPECT_EQ(Sh(J + " dump " + Q(other) + " | cmp - " + d.Sub("ours.json"), d).code, 0);
  EXPECT_EQ(Sh(J + " check " + Q(other), d).code, 0);
}

// rediss:// with JuiceFS's TLS options against a server that takes TLS
// only (its certificate from a test CA made with the openssl tool): every
// command, the snapshot's full sync included, goes over TLS; a server whose
// certificate the CA did not sign, or a name it does not hold, is refused.
TEST(RedisCliTest, TlsOptions) {
  TempDir d;
  const std::string t = d.Sub("tls");
  fs::create_directories(t);
  ASSERT_TRUE(MakeTestTlsCerts(t, "redis.test"));
  RedisServer::Options o;
  o.tls_dir = t;
  auto server = RedisServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto url = (*server)->NewDatabase("tlsuser", "pw");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  const std::string tls = "rediss" + url->substr(5) + "?tls-ca-cert-file=" + t + "/ca.pem";
  CmdResult load = Sh(J + " load " + Q(tls) + " " + kGolden, d);
  ASSERT_EQ(load.code, 0) << load.err;
  EXPECT_EQ(Sh(J + " dump " + Q(tls) + " | cmp - " + kGolden, d).code, 0);
  EXPECT_EQ(
      Sh(J + " dump " + Q(tls + "&tls-server-name=redis.test") + " | cmp - " + kGolden, d).code, 0);
  CmdResult juicefs = Sh(kJuicefs + " dump " + Q(tls) + " " + d.Sub("theirs.json"), d);
  ASSERT_EQ(juicefs.code, 0) << juicefs.err;
  EXPECT_EQ(Sh("cmp " + d.Sub("theirs.json") + " " + kGolden, d).code, 0);
  ExpectOneLineError(Sh(J + " status " + Q("rediss" + url->substr(5)), d), "TLS handshake failed",
                     "a CA that did not sign the server's certificate");
  ExpectOneLineError(Sh(J + " status " + Q(tls + "&tls-server-name=other.test"), d),
                     "TLS handshake failed", "a name the certificate does not hold");
  EXPECT_EQ(
      Sh(J + " status " + Q("rediss" + url->substr(5) + "?insecure-skip-verify=true"), d).code, 0);
  ExpectOneLineError(Sh(J + " status " + Q(*url), d), "redis", "plain text to a TLS port");
}

// A user that may not run PSYNC (as on managed services): a dump says what
// to do in one line; with ?snapshot=scan it reads key by key and, with
// nothing writing, dumps the same bytes as a full sync's snapshot.
TEST(RedisCliTest, ScanSnapshotWhereFullSyncIsRefused) {
  TempDir d;
  RedisServer* r = RedisServer::Shared();
  const std::string user = RunUniqueName("nosync");
  auto url = r->NewDatabase(user, "pw");
  ASSERT_TRUE(url.ok());
  ASSERT_EQ(Sh(J + " load " + Q(*url) + " " + kGolden, d).code, 0);
  ASSERT_TRUE(r->Command({"ACL", "SETUSER", user, "-psync", "-sync", "-replconf"}).ok());
  ExpectOneLineError(Sh(J + " dump " + Q(*url), d), "snapshot=scan", "a user without PSYNC");
  CmdResult scan = Sh(J + " dump " + Q(*url + "?snapshot=scan") + " " + d.Sub("scan.json"), d);
  ASSERT_EQ(scan.code, 0) << scan.err;
  EXPECT_EQ(Sh("cmp " + d.Sub("scan.json") + " " + kGolden, d).code, 0);
  EXPECT_EQ(Sh(J + " check " + Q(*url + "?snapshot=scan"), d).code, 0);
  ExpectOneLineError(Sh(J + " dump " + Q(*url + "?snapshot=maybe"), d), "snapshot=sync",
                     "a bad snapshot option");
}

// A replica as the dump source: the same dump as from the primary (the
// replica hands out its own snapshot), and no work for the primary.
TEST(RedisCliTest, DumpFromAReplica) {
  TempDir d;
  RedisServer* primary = RedisServer::Shared();
  auto url = primary->NewDatabase(RunUniqueName("rep"), "pw");
  ASSERT_TRUE(url.ok());
  ASSERT_EQ(Sh(J + " load " + Q(*url) + " " + kGolden, d).code, 0);
  RedisServer::Options o;
  o.replica_of_port = primary->port();
  auto replica = RedisServer::Start(o);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  // The replica in sync: the primary's offset reached.
  ASSERT_TRUE(primary->Command({"SET", "jfsbr-test-marker", "1"}).ok());
  bool synced = false;
  for (int i = 0; i < 200 && !synced; i++, usleep(50000)) {
    auto v = (*replica)->Command({"GET", "jfsbr-test-marker"});
    synced = v.ok() && *v == "1";
  }
  ASSERT_TRUE(synced);
  // ACL users are not replicated: the replica's default user reads.
  const std::string db = url->substr(url->rfind('/') + 1);
  const std::string from_replica =
      "redis://127.0.0.1:" + std::to_string((*replica)->port()) + "/" + db;
  CmdResult dump = Sh(J + " dump " + from_replica + " " + d.Sub("replica.json"), d);
  ASSERT_EQ(dump.code, 0) << dump.err;
  EXPECT_EQ(Sh("cmp " + d.Sub("replica.json") + " " + kGolden, d).code, 0);
}

// A server of the kind the parameter names, for this test alone (it is killed).
std::unique_ptr<DbServer> StartServer(const std::string& kind) {
  if (kind == "postgres") {
    auto s = PgServer::Start();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  if (kind == "redis") {
    RedisServer::Options o;
    o.aof = true;  // what a killed load left is there after the restart
    auto s = RedisServer::Start(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  auto s = MariaServer::Start();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

class ServerKilledTest : public ::testing::TestWithParam<std::string> {};

// The server killed (SIGKILL) while a dump reads, a backup reads and a
// load writes (and, on Redis, a log capture follows it): each command fails
// in one line naming the database, the dump leaves no file, the backup
// nothing that lists, the capture no log backup or one that restores, and
// after the server comes back the loaded database holds no volume until a
// load --force writes the whole one. (And MariaDB's load without LOAD DATA
// LOCAL.)
TEST_P(ServerKilledTest, DuringDumpAndLoad) {
  TempDir d;
  std::unique_ptr<DbServer> server = StartServer(GetParam());
  ASSERT_TRUE(server);
  auto src = server->NewDatabase("src", "pw-src");
  auto dst = server->NewDatabase("dst", "pw-dst");
  ASSERT_TRUE(src.ok() && dst.ok());
  const std::string gen = "sqlite3://" + d.Sub("gen.db");
  ASSERT_EQ(Sh(J + " bench gen " + gen + " --files 300000 --bucket " + d.Sub("bucket"), d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + gen + " " + d.Sub("gen.json"), d).code, 0);
  ASSERT_EQ(Sh(J + " load " + Q(*src) + " " + d.Sub("gen.json"), d).code, 0);
  const std::string family = GetParam() == "mariadb" ? "mysql" : GetParam();

  const bool redis = GetParam() == "redis";
  // Mid-way: SQL readers after their first MiB of rows; Redis while the
  // server saves the snapshot (it then streams in too fast to be caught,
  // and after it the dump needs no server).
  auto midway = [&](pid_t pid) {
    if (!redis) return WaitUntilRead(pid, 1 << 20, 60);
    usleep(150000);
    return true;
  };
  pid_t dump = SpawnJfsbr({"dump", *src, d.Sub("cut.json")}, d.Sub("dump.err"));
  EXPECT_TRUE(midway(dump)) << "the dump ended before the server was killed";
  server->Kill();
  EXPECT_EQ(WaitExit(dump, 60), 1) << ReadFileOrEmpty(d.Sub("dump.err"));
  std::string err = ReadFileOrEmpty(d.Sub("dump.err"));
  EXPECT_NE(err.find(family), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(d.Sub("cut.json"))) << "a dump cut short looks like a dump";

  ASSERT_TRUE(server->Restart().ok());
  // A backup cut short leaves nothing that lists as a backup.
  pid_t backup = SpawnJfsbr({"backup", *src}, d.Sub("backup.err"));
  EXPECT_TRUE(midway(backup)) << "the backup ended before the server was killed";
  server->Kill();
  EXPECT_EQ(WaitExit(backup, 60), 1) << ReadFileOrEmpty(d.Sub("backup.err"));
  err = ReadFileOrEmpty(d.Sub("backup.err"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  ASSERT_TRUE(server->Restart().ok());
  CmdResult list = Sh(J + " backup list " + Q(*src), d);
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out.find("dump-"), std::string::npos) << list.out;
  if (redis) {
    // A log capture whose primary dies: one line; what it stored is either
    // no log backup at all or one that restores.
    const std::string logs = "file://" + d.Sub("logs");
    pid_t capture = SpawnJfsbr({"log", "start", *src, "-s", logs}, d.Sub("capture.err"));
    usleep(150000);
    server->Kill();
    EXPECT_EQ(WaitExit(capture, 60), 1) << ReadFileOrEmpty(d.Sub("capture.err"));
    err = ReadFileOrEmpty(d.Sub("capture.err"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'),
              1 + fs::exists(d.Sub("logs/redis/base.info")))
        << err;  // (+ the line saying the base was stored)
    ASSERT_TRUE(server->Restart().ok());
    auto to = server->NewDatabase("pitr", "pw-pitr");
    ASSERT_TRUE(to.ok());
    CmdResult rp = Sh(J + " restore point -s " + logs + " --to " + Q(*to), d);
    if (fs::exists(d.Sub("logs/redis/base.info"))) {
      EXPECT_EQ(rp.code, 0) << rp.err;
      EXPECT_EQ(Sh(J + " dump " + Q(*to) + " | cmp - " + d.Sub("gen.json"), d).code, 0);
    } else {
      ExpectOneLineError(rp, "no Redis log backup", "a capture killed before its base");
    }
  }
  pid_t load = SpawnJfsbr({"load", *dst, d.Sub("gen.json")}, d.Sub("load.err"));
  // 8 MiB of the ~100 MB dump read: batches are on their way to the server.
  EXPECT_TRUE(WaitUntilRead(load, 8 << 20, 60)) << "the load ended before the server was killed";
  server->Kill();
  EXPECT_EQ(WaitExit(load, 60), 1) << ReadFileOrEmpty(d.Sub("load.err"));
  err = ReadFileOrEmpty(d.Sub("load.err"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  ASSERT_TRUE(server->Restart().ok());
  ExpectOneLineError(Sh(J + " status " + Q(*dst), d), "not formatted", "after a killed load");
  CmdResult forced = Sh(J + " load --force " + Q(*dst) + " " + d.Sub("gen.json"), d);
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(Sh(J + " dump " + Q(*dst) + " | cmp - " + d.Sub("gen.json"), d).code, 0);
  if (GetParam() == "mariadb") {
    // A server that refuses LOAD DATA LOCAL: the load sends multi-row INSERTs
    // where it would have sent LOAD DATA (the tables with AUTO_INCREMENT).
    auto* my = static_cast<MariaServer*>(server.get());
    ASSERT_TRUE(my->Sql("SET GLOBAL local_infile = 0").ok());
    auto plain = my->NewDatabase("plain", "pw-plain");
    ASSERT_TRUE(plain.ok());
    ASSERT_EQ(Sh(J + " dump --binary " + Q(*dst) + " " + d.Sub("dst.bin"), d).code, 0);
    CmdResult load = Sh(J + " load --binary " + Q(*plain) + " " + d.Sub("dst.bin"), d);
    ASSERT_EQ(load.code, 0) << load.err;
    EXPECT_EQ(Sh(J + " dump " + Q(*plain) + " | cmp - " + d.Sub("gen.json"), d).code, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerKilledTest,
                         ::testing::Values("postgres", "mariadb", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jfsbr
