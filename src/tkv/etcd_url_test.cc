// etcd META-URL parsing: JuiceFS's form, default ports, options, redaction.
#include "tkv/etcd_url.h"

#include <gtest/gtest.h>

#include "tkv/prefix.h"
#include "tkv/registry.h"

namespace jfsbr {
namespace {

TEST(EtcdUrlTest, HostsPortsAndName) {
  auto u = ParseEtcdUrl("h1:2000,h2,[::1]:2381,[fe80::1]/myjfs");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  // A host without a port keeps its name (JuiceFS loses it: ":2379").
  EXPECT_EQ(u->endpoints,
            (std::vector<std::string>{"h1:2000", "h2:2379", "[::1]:2381", "[fe80::1]:2379"}));
  EXPECT_EQ(u->name, "/myjfs");
  EXPECT_EQ(u->max_txn_ops, 128);
  EXPECT_FALSE(u->tls());
  // The key prefix keeps the leading slash.
  auto e = ParseEngineUrl("etcd://h1:2000,h2/myjfs?max-txn-ops=256");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(JuiceFsKeyPrefix(*e), "/myjfs\xFD");
  // The path is percent-decoded, as Go's url.Path that JuiceFS takes it from.
  auto pct = ParseEtcdUrl("h1/my%2Djfs%20x");
  ASSERT_TRUE(pct.ok());
  EXPECT_EQ(pct->name, "/my-jfs x");
  EXPECT_FALSE(ParseEtcdUrl("h1/bad%2").ok());
}

TEST(EtcdUrlTest, CredentialsOptionsAndRedaction) {
  auto u = ParseEtcdUrl(
      "root:p%40ss%3Aw@127.0.0.1:2379/vol?cacert=/ca.pem&cert=/c.pem&key=/k.pem&server-name=etcd"
      "&insecure-skip-verify=1&max-txn-ops=1024&max-request-bytes=10485760&timeout=2.5");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->user, "root");
  EXPECT_EQ(u->password, "p@ss:w");
  EXPECT_EQ(u->cacert, "/ca.pem");
  EXPECT_EQ(u->cert, "/c.pem");
  EXPECT_EQ(u->key, "/k.pem");
  EXPECT_EQ(u->server_name, "etcd");
  EXPECT_TRUE(u->insecure_skip_verify);
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->max_txn_ops, 1024);
  EXPECT_EQ(u->max_request_bytes, 10485760u);
  EXPECT_DOUBLE_EQ(u->timeout_seconds, 2.5);
  EXPECT_EQ(u->Redacted(), "etcd://root:****@127.0.0.1:2379/vol");
  EXPECT_EQ(u->Redacted().find("p@ss"), std::string::npos);
}

TEST(EtcdUrlTest, TimeoutTakesSecondsOrADuration) {
  EXPECT_DOUBLE_EQ(ParseEtcdUrl("etcd://h/v?timeout=3")->timeout_seconds, 3);
  EXPECT_DOUBLE_EQ(ParseEtcdUrl("etcd://h/v?timeout=2s")->timeout_seconds, 2);
  EXPECT_DOUBLE_EQ(ParseEtcdUrl("etcd://h/v?timeout=250ms")->timeout_seconds, 0.25);
  EXPECT_DOUBLE_EQ(ParseEtcdUrl("etcd://h/v?timeout=1m")->timeout_seconds, 60);
  EXPECT_FALSE(ParseEtcdUrl("etcd://h/v?timeout=2x").ok());
  EXPECT_FALSE(ParseEtcdUrl("etcd://h/v?timeout=0s").ok());
}

TEST(EtcdUrlTest, MalformedUrlsAreNamed) {
  auto bad = [](const char* url, const char* needle) {
    auto u = ParseEtcdUrl(url);
    ASSERT_FALSE(u.ok()) << url;
    EXPECT_TRUE(u.status().Is(Code::kInvalidArgument));
    EXPECT_NE(u.status().message().find(needle), std::string::npos)
        << url << " -> " << u.status().ToString();
  };
  bad("/vol", "no host");
  bad("h1,,h2/vol", "empty host");
  bad("h1:99999/vol", "bad port '99999'");
  bad("h1:x/vol", "bad port 'x'");
  bad(":2379/vol", "no host name");
  bad("[::1/vol", "unclosed '['");
  bad("h1/vol?bogus=1", "unknown option 'bogus'");
  bad("h1/vol?max-txn-ops=0", "max-txn-ops needs a positive number");
  bad(":pw@h1/vol", "without a user");
  bad("u:%zz@h1/vol", "percent escape");
}

TEST(EtcdUrlTest, UnreachableClusterFailsWithTheEndpointNamed) {
  // Port 1 on loopback refuses connections: a clear error, not a hang.
  auto e = OpenEngine("etcd://127.0.0.1:1/vol?timeout=0.5");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().Is(Code::kUnavailable)) << e.status().ToString();
  EXPECT_NE(e.status().message().find("127.0.0.1:1"), std::string::npos) << e.status().ToString();
}

}  // namespace
}  // namespace jfsbr
