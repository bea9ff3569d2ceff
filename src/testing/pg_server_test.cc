// The PostgreSQL test server itself: it starts (as a non-root user when the
// tests are root), answers over TCP with a password, refuses a wrong one,
// and is gone after a kill.
#include "testing/pg_server.h"

#include <gtest/gtest.h>

#include "testing/process.h"
#include "tests/cli_util.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

TEST(PgServerTest, StartsAndChecksPasswords) {
  auto pg = PgServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto v = (*pg)->Psql("SELECT 40 + 2");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "42\n");
  auto url = (*pg)->NewDatabase("jfsvol", "s3cret-pw");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  TempDir d;
  CmdResult ok = RunShell("psql '" + *url + "' -Atc 'SELECT current_user'", d);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "jfsvol\n");
  std::string wrong = *url;
  wrong.replace(wrong.find("s3cret-pw"), 9, "not-it");
  CmdResult bad = RunShell("psql '" + wrong + "' -Atc 'SELECT 1'", d);
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("password authentication failed"), std::string::npos) << bad.err;
  int port = (*pg)->port();
  (*pg)->Kill();
  EXPECT_FALSE(PortAccepts(port));
}

}  // namespace
}  // namespace jfsbr
