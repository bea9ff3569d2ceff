// jfsbr on PostgreSQL as an operator meets it: the URL forms JuiceFS takes
// (password from META_PASSWORD, search_path, a unix socket), a role with
// only its own database, and what goes wrong (a wrong password, a malformed
// URL, no server, the server killed during a dump and during a load) said
// in one line with nothing left that looks complete.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "testing/pg_server.h"
#include "testing/process.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string J = JFSBR_BINARY;
const std::string kGolden = std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json";

CmdResult Sh(const std::string& cmd, const TempDir& dir) { return RunShell(cmd, dir); }
std::string Q(const std::string& s) { return "'" + s + "'"; }

void ExpectOneLineError(const CmdResult& r, const std::string& part, const std::string& what) {
  EXPECT_EQ(r.code, 1) << what << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << what << ": " << r.err;
}

// postgres://NAME:PASS@127.0.0.1:PORT/NAME?sslmode=disable, split.
struct PgUrl {
  std::string user, password, hostport, db;
  explicit PgUrl(const std::string& url) {
    size_t s = url.find("://") + 3, colon = url.find(':', s), at = url.find('@', s);
    size_t slash = url.find('/', at), q = url.find('?', slash);
    user = url.substr(s, colon - s);
    password = url.substr(colon + 1, at - colon - 1);
    hostport = url.substr(at + 1, slash - at - 1);
    db = url.substr(slash + 1, q - slash - 1);
  }
};

TEST(PostgresCliTest, UrlFormsJuicefsTakes) {
  TempDir d;
  PgServer* pg = PgServer::Shared();
  const std::string url = FreshMetaUrl("postgres", "");
  PgUrl u(url);
  // The role owns its database and nothing else: no superuser, no CREATEDB.
  auto role = pg->Psql(
      "SELECT rolsuper::int + rolcreatedb::int + rolcreaterole::int FROM "
      "pg_roles WHERE rolname = '" +
      u.user + "'");
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(*role, "0\n");
  // The password from META_PASSWORD when the URL has none.
  const std::string bare = "postgres://" + u.user + "@" + u.hostport + "/" + u.db;
  CmdResult load = Sh("META_PASSWORD=" + u.password + " " + J + " load " +
                          Q(bare + "?sslmode=disable") + " " + kGolden,
                      d);
  ASSERT_EQ(load.code, 0) << load.err;
  EXPECT_EQ(Sh(J + " dump " + Q(url) + " | cmp - " + kGolden, d).code, 0);
  // What the command says names the database, never the password.
  CmdResult status = Sh(J + " status " + Q(url), d);
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_EQ((status.out + status.err).find(u.password), std::string::npos) << status.out;
  // The server's unix socket (libpq's host= takes a directory).
  const std::string socket = "postgres://" + u.user + ":" + u.password + "@/" + u.db +
                             "?host=" + pg->dir() + "&port=" + u.hostport.substr(10);
  EXPECT_EQ(Sh(J + " dump " + Q(socket) + " | cmp - " + kGolden, d).code, 0) << socket;
  // search_path: a volume in a schema of its own, beside the first.
  ASSERT_TRUE(pg->Psql("CREATE SCHEMA s2 AUTHORIZATION " + u.user, u.db).ok());
  const std::string in_s2 = url + "&search_path=s2";
  ASSERT_EQ(Sh(J + " load " + Q(in_s2) + " " + kGolden, d).code, 0);
  auto tables = pg->Psql("SELECT count(*) FROM pg_tables WHERE schemaname = 's2'", u.db);
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(std::stoi(*tables), 21);  // every JuiceFS table, in s2
  EXPECT_EQ(Sh(J + " dump " + Q(in_s2) + " | cmp - " + kGolden, d).code, 0);
  ExpectOneLineError(Sh(J + " status " + Q(url + "&search_path=x;drop"), d), "search_path",
                     "a search_path that is not a list of names");
}

TEST(PostgresCliTest, WhatGoesWrongIsOneLine) {
  TempDir d;
  const std::string url = FreshMetaUrl("postgres", "");
  PgUrl u(url);
  std::string wrong = url;
  wrong.replace(wrong.find(":" + u.password + "@"), u.password.size() + 2, ":not-it@");
  CmdResult bad_pw = Sh(J + " status " + Q(wrong), d);
  ExpectOneLineError(bad_pw, "password authentication failed", "wrong password");
  EXPECT_EQ(bad_pw.err.find("not-it"), std::string::npos) << "the password was printed";
  ExpectOneLineError(Sh(J + " status " + Q("postgres://u:p@127.0.0.1:notaport/db"), d), "port",
                     "malformed port");
  ExpectOneLineError(Sh(J + " status " + Q(url + "&nosuchoption=1"), d), "nosuchoption",
                     "unknown option");
  int closed = FreePorts(1)[0];
  ExpectOneLineError(
      Sh(J + " status " +
             Q("postgres://u:p@127.0.0.1:" + std::to_string(closed) + "/db?sslmode=disable"),
         d),
      "127.0.0.1", "no server");
  // An empty database is no volume; a load refuses a volume already there.
  ExpectOneLineError(Sh(J + " status " + Q(url), d), "not formatted", "empty database");
  ASSERT_EQ(Sh(J + " load " + Q(url) + " " + kGolden, d).code, 0);
  ExpectOneLineError(Sh(J + " load " + Q(url) + " " + kGolden, d), "not empty", "second load");
  ExpectOneLineError(Sh(J + " log start " + Q(url) + " -s file://" + d.Sub("log"), d),
                     "takes dump backups", "log backup of an SQL volume");
}

// The server killed (SIGKILL) while a dump reads and while a load writes:
// each command fails in one line, the dump leaves no file, and after the
// server comes back the loaded database holds no volume.
TEST(PostgresCliTest, ServerKilledDuringDumpAndLoad) {
  TempDir d;
  auto server = PgServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  PgServer* pg = server->get();
  auto src = pg->NewDatabase("src", "pw-src");
  auto dst = pg->NewDatabase("dst", "pw-dst");
  ASSERT_TRUE(src.ok() && dst.ok());
  const std::string gen = "sqlite3://" + d.Sub("gen.db");
  ASSERT_EQ(Sh(J + " bench gen " + gen + " --files 300000", d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + gen + " " + d.Sub("gen.json"), d).code, 0);
  ASSERT_EQ(Sh(J + " load " + Q(*src) + " " + d.Sub("gen.json"), d).code, 0);

  pid_t dump = SpawnJfsbr({"dump", *src, d.Sub("cut.json")}, d.Sub("dump.err"));
  usleep(400000);
  pg->Kill();
  EXPECT_EQ(WaitExit(dump, 60), 1) << ReadFileOrEmpty(d.Sub("dump.err"));
  std::string err = ReadFileOrEmpty(d.Sub("dump.err"));
  EXPECT_NE(err.find("postgres"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(d.Sub("cut.json"))) << "a dump cut short looks like a dump";

  ASSERT_TRUE(pg->Restart().ok());
  pid_t load = SpawnJfsbr({"load", *dst, d.Sub("gen.json")}, d.Sub("load.err"));
  usleep(1500000);
  pg->Kill();
  EXPECT_EQ(WaitExit(load, 60), 1) << ReadFileOrEmpty(d.Sub("load.err"));
  err = ReadFileOrEmpty(d.Sub("load.err"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  ASSERT_TRUE(pg->Restart().ok());
  ExpectOneLineError(Sh(J + " status " + Q(*dst), d), "not formatted", "after a killed load");
  CmdResult forced = Sh(J + " load --force " + Q(*dst) + " " + d.Sub("gen.json"), d);
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(Sh(J + " dump " + Q(*dst) + " | cmp - " + d.Sub("gen.json"), d).code, 0);
}

}  // namespace
}  // namespace jfsbr
