// JuiceFS's Redis URL forms: one server, a socket, Sentinel and Cluster by
// JuiceFS's rule (the first ',' before the first ':'), the cluster's hash
// tag prefix, options, the password variables and the errors.
#include "redis/redis_url.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace jfsbr {
namespace {

RedisUrl Parse(const std::string& url) {
  auto u = ParseRedisUrl(url);
  EXPECT_TRUE(u.ok()) << url << ": " << u.status().ToString();
  return u.ok() ? *u : RedisUrl{};
}

TEST(RedisUrlTest, OneServer) {
  RedisUrl u = Parse("redis://alice:p%40ss@10.0.0.1:6380/3?read-timeout=2s&dial_timeout=500ms");
  EXPECT_EQ(u.mode, RedisUrl::Mode::kServer);
  ASSERT_EQ(u.addresses.size(), 1u);
  EXPECT_EQ(u.addresses[0], (RedisAddress{"10.0.0.1", 6380, ""}));
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.db, 3);
  EXPECT_EQ(u.read_timeout, 2);
  EXPECT_EQ(u.dial_timeout, 0.5);
  EXPECT_EQ(u.prefix, "");
  u = Parse("redis://:secret@host");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.addresses[0].port, 6379);
  EXPECT_EQ(u.db, 0);
  EXPECT_TRUE(Parse("rediss://h:1/0").tls);
  u = Parse("unix://bob:pw@/run/redis.sock?db=5");
  EXPECT_EQ(u.addresses[0], (RedisAddress{"", 0, "/run/redis.sock"}));
  EXPECT_EQ(u.db, 5);
  EXPECT_EQ(u.user, "bob");
}

TEST(RedisUrlTest, SentinelAndClusterByJuicefsRule) {
  RedisUrl s = Parse("redis://:pw@mymaster,s1:26380,s2,s3:26381/2");
  EXPECT_EQ(s.mode, RedisUrl::Mode::kSentinel);
  EXPECT_EQ(s.master_name, "mymaster");
  ASSERT_EQ(s.addresses.size(), 3u);
  // A sentinel without a port takes the last one given.
  EXPECT_EQ(s.addresses[1], (RedisAddress{"s2", 26381, ""}));
  EXPECT_EQ(s.prefix, "");
  RedisUrl c = Parse("redis://h1:7000,h2:7001/4");
  EXPECT_EQ(c.mode, RedisUrl::Mode::kCluster);
  EXPECT_EQ(c.prefix, "{4}");
  // No ':' anywhere: not the Sentinel rule, a cluster of three hosts.
  RedisUrl three = Parse("redis://a,b,c/1");
  EXPECT_EQ(three.mode, RedisUrl::Mode::kCluster);
  EXPECT_EQ(three.addresses.size(), 3u);
}

TEST(RedisUrlTest, PasswordFromTheEnvironment) {
  setenv("META_PASSWORD", "from-meta", 1);
  EXPECT_EQ(Parse("redis://h/1").password, "from-meta");
  setenv("REDIS_PASSWORD", "from-redis", 1);
  EXPECT_EQ(Parse("redis://h/1").password, "from-redis");
  EXPECT_EQ(Parse("redis://:url@h/1").password, "url");
  unsetenv("REDIS_PASSWORD");
  unsetenv("META_PASSWORD");
  EXPECT_EQ(Parse("redis://h/1").password, "");
}

TEST(RedisUrlTest, MistakesAreNamed) {
  for (const char* bad : {"redis://h:99999/1", "redis://h/x", "redis:///1", "redis://h/1?bogus=1",
                          "redis://h/1?read-timeout=soon", "unix://relative.sock"}) {
    auto u = ParseRedisUrl(bad);
    EXPECT_TRUE(u.status().Is(Code::kInvalidArgument)) << bad;
    EXPECT_NE(u.status().message().find("malformed META-URL"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace jfsbr
