// The mysql:// DSN forms JuiceFS passes to Go's MySQL driver, parsed.
#include "sql/mysql_url.h"

#include <gtest/gtest.h>

namespace jfsbr {
namespace {

MysqlOptions Parse(const std::string& url, std::string* query = nullptr) {
  std::string q;
  auto o = ParseMysqlUrl(url, query ? query : &q);
  EXPECT_TRUE(o.ok()) << url << ": " << o.status().ToString();
  return o.ok() ? *o : MysqlOptions{};
}

TEST(MysqlUrlTest, TheDriversForms) {
  MysqlOptions o = Parse("mysql://jfs:secret@(db.example:3307)/vol1");
  EXPECT_EQ(o.user, "jfs");
  EXPECT_EQ(o.password, "secret");
  EXPECT_TRUE(o.has_password);
  EXPECT_EQ(o.host, "db.example");
  EXPECT_EQ(o.port, 3307);
  EXPECT_EQ(o.database, "vol1");
  EXPECT_EQ(DescribeMysql(o), "jfs@(db.example:3307)/vol1");

  o = Parse("mysql://root:@tcp(10.0.0.1)/jfs");
  EXPECT_EQ(o.host, "10.0.0.1");
  EXPECT_EQ(o.port, 3306);
  EXPECT_EQ(o.password, "");
  EXPECT_TRUE(o.has_password);  // an empty password given: META_PASSWORD is not used

  o = Parse("mysql://root:@/jfs");  // the driver's default address
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 3306);

  o = Parse("mysql://u@unix(/run/mysqld/mysqld.sock)/jfs");
  EXPECT_EQ(o.socket, "/run/mysqld/mysqld.sock");
  EXPECT_FALSE(o.has_password);
  EXPECT_EQ(DescribeMysql(o), "u@unix(/run/mysqld/mysqld.sock)/jfs");

  o = Parse("mysql://u:p@([::1]:3310)/jfs");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 3310);
}

TEST(MysqlUrlTest, PasswordRunsToTheLastAtAndIsUrlDecoded) {
  MysqlOptions o = Parse("mysql://u:p@ss/w:rd%40x@(h:1)/db");
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.password, "p@ss/w:rd@x");
}

TEST(MysqlUrlTest, OptionsGoToTheCallerThenTheDriver) {
  std::string query;
  MysqlOptions o = Parse(
      "mysql://u:p@(h:1)/"
      "db?table_prefix=v1&charset=utf8mb4,utf8&tls=skip-verify&timeout=1m&parseTime=true",
      &query);
  EXPECT_EQ(query,
            "table_prefix=v1&charset=utf8mb4,utf8&tls=skip-verify&timeout=1m&parseTime=true");
  ASSERT_TRUE(
      ApplyMysqlOptions("url", "charset=utf8mb4,utf8&tls=skip-verify&timeout=1m&parseTime=true", &o)
          .ok());
  EXPECT_EQ(o.charset, "utf8mb4");
  EXPECT_EQ(o.tls, MysqlOptions::Tls::kOn);
  EXPECT_EQ(o.connect_timeout, 60);
  EXPECT_FALSE(ApplyMysqlOptions("url", "tls=custom", &o).ok());
  EXPECT_FALSE(ApplyMysqlOptions("url", "timeout=soon", &o).ok());
}

TEST(MysqlUrlTest, MalformedSaysWhatIsWrong) {
  for (const auto& [url, why] : std::vector<std::pair<std::string, std::string>>{
           {"mysql://u:p@127.0.0.1:3306/db", "parentheses"},
           {"mysql://u:p@(h:3306/db", "')'"},
           {"mysql://u:p@(h:3306/db)", "')'"},
           {"mysql://u:p@(h:notaport)/db", "port"},
           {"mysql://u:p@(h:1)", "/DB"},
           {"mysql://u:p@(h:1)/", "database"},
           {"mysql://u:p@udp(h:1)/db", "protocol"},
       }) {
    std::string q;
    auto o = ParseMysqlUrl(url, &q);
    ASSERT_FALSE(o.ok()) << url;
    EXPECT_TRUE(o.status().Is(Code::kInvalidArgument)) << url;
    EXPECT_NE(o.status().message().find(why), std::string::npos) << o.status().ToString();
    EXPECT_NE(o.status().message().find("(HOST:PORT)"), std::string::npos);
  }
}

}  // namespace
}  // namespace jfsbr
