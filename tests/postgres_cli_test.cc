// jfsbr on PostgreSQL as an operator meets it: the URL forms JuiceFS takes
// (password from META_PASSWORD, search_path, a unix socket), a role with
// only its own database, and what goes wrong (a wrong password, a malformed
// URL, no server) said in one line. (The server killed during a dump and a
// load: server_cli_test.cc.)
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
std::string Q(const std::string& s) { return Quoted(s); }

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

}  // namespace
}  // namespace jfsbr
