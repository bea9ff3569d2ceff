// JuiceFS's Redis META-URLs, read as JuiceFS (and the Go client under it)
// reads them:
//   redis://[USER][:PASS]@HOST[:PORT][/DB][?OPTIONS]      one server
//   rediss://...                                           the same over TLS
//   unix://[USER][:PASS]@/PATH/redis.sock[?db=N]           a socket
//   redis://[USER][:PASS]@MASTER,HOST[:PORT],HOST[:PORT][/DB]
//       Sentinel: the first ',' comes before the first ':'; item 0 names the
//       master, the rest are sentinels (a missing port: the last one given,
//       else 26379; their password: SENTINEL_PASSWORD)
//   redis://[USER][:PASS]@HOST:PORT,HOST:PORT[/DB]         a Redis Cluster:
//       every key carries the hash tag "{DB}", so all land on one master
// The password falls back to REDIS_PASSWORD, then META_PASSWORD, then the
// file META_PASSWORD_FILE names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace jfsbr {

struct RedisAddress {
  std::string host;  // empty: unix socket at `path`
  int port = 6379;
  std::string path;
  bool operator==(const RedisAddress&) const = default;
};

struct RedisUrl {
  enum class Mode { kServer, kSentinel, kCluster };
  Mode mode = Mode::kServer;
  // kServer: the one server; kSentinel: the sentinels; kCluster: seed nodes.
  std::vector<RedisAddress> addresses;
  std::string master_name;        // kSentinel
  std::string sentinel_password;  // kSentinel (SENTINEL_PASSWORD)
  bool tls = false;
  // rediss:// options, JuiceFS's names: tls-ca-cert-file, tls-cert-file,
  // tls-key-file, tls-server-name, insecure-skip-verify.
  std::string tls_ca_file, tls_cert_file, tls_key_file, tls_server_name;
  bool tls_insecure = false;
  std::string user, password;
  int db = 0;
  double dial_timeout = 5, read_timeout = 30, write_timeout = 5;  // seconds
  // jfsbr's ?snapshot=scan: read a snapshot key by key (SCAN), for servers
  // that refuse a replica's full sync (managed services); one moment only
  // while nothing writes. The default, ?snapshot=sync, is the full sync's.
  bool scan_snapshot = false;
  // The key prefix JuiceFS uses: "" or, in a cluster, "{DB}".
  std::string prefix;
};

// Parses url (its scheme redis, rediss or unix); one-line errors.
Result<RedisUrl> ParseRedisUrl(std::string_view url);
// "redis://HOST:PORT/DB" with no password, for messages.
std::string DescribeRedis(const RedisUrl& u);

}  // namespace jfsbr
