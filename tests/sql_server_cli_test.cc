// jfsbr against SQL servers as an operator meets them. On MariaDB: the
// DSN forms JuiceFS takes (parentheses, tcp(), unix(), META_PASSWORD, a
// password holding '@' and '/'), a user with only the rights JuiceFS needs,
// and what goes wrong said in one line. On PostgreSQL and MariaDB: the
// server killed (SIGKILL) during a dump and during a load.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/mariadb_server.h"
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
std::string Q(const std::string& s) { return Quoted(s); }

TEST(MariadbCliTest, UrlFormsJuicefsTakes) {
  TempDir d;
  MariaServer* my = MariaServer::Shared();
  const std::string port = std::to_string(my->port());
  const std::string name = "odd" + std::to_string(getpid());
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

// A server of the kind the parameter names, for this test alone (it is killed).
std::unique_ptr<DbServer> StartServer(const std::string& kind) {
  if (kind == "postgres") {
    auto s = PgServer::Start();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  auto s = MariaServer::Start();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

class SqlServerKilledTest : public ::testing::TestWithParam<std::string> {};

// The server killed (SIGKILL) while a dump reads and while a load writes:
// each command fails in one line naming the database, the dump leaves no
// file, and after the server comes back the loaded database holds no
// volume until a load --force writes the whole one. (And MariaDB's load
// without LOAD DATA LOCAL.)
TEST_P(SqlServerKilledTest, DuringDumpAndLoad) {
  TempDir d;
  std::unique_ptr<DbServer> server = StartServer(GetParam());
  ASSERT_TRUE(server);
  auto src = server->NewDatabase("src", "pw-src");
  auto dst = server->NewDatabase("dst", "pw-dst");
  ASSERT_TRUE(src.ok() && dst.ok());
  const std::string gen = "sqlite3://" + d.Sub("gen.db");
  ASSERT_EQ(Sh(J + " bench gen " + gen + " --files 300000", d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + gen + " " + d.Sub("gen.json"), d).code, 0);
  ASSERT_EQ(Sh(J + " load " + Q(*src) + " " + d.Sub("gen.json"), d).code, 0);
  const std::string family = GetParam() == "postgres" ? "postgres" : "mysql";

  pid_t dump = SpawnJfsbr({"dump", *src, d.Sub("cut.json")}, d.Sub("dump.err"));
  usleep(400000);
  server->Kill();
  EXPECT_EQ(WaitExit(dump, 60), 1) << ReadFileOrEmpty(d.Sub("dump.err"));
  std::string err = ReadFileOrEmpty(d.Sub("dump.err"));
  EXPECT_NE(err.find(family), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(d.Sub("cut.json"))) << "a dump cut short looks like a dump";

  ASSERT_TRUE(server->Restart().ok());
  pid_t load = SpawnJfsbr({"load", *dst, d.Sub("gen.json")}, d.Sub("load.err"));
  usleep(1500000);
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
    // A server that refuses LOAD DATA LOCAL: the load sends multi-row INSERTs.
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

INSTANTIATE_TEST_SUITE_P(Servers, SqlServerKilledTest, ::testing::Values("postgres", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace jfsbr
