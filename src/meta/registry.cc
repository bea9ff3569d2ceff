// The table of META-URL schemes and the family that opens each.
#include "meta/registry.h"

#include "meta/families.h"

namespace jfsbr {
namespace {

struct Family {
  std::string_view scheme;
  std::string_view family;
  std::string_view form;  // for help
  Result<std::unique_ptr<Meta>> (*open)(std::string_view url, bool create);
};

constexpr Family kFamilies[] = {
    {"sqlite3", "sql",
     "sqlite3://PATH\n      an SQLite database file (JuiceFS's SQL tables, as `juicefs format "
     "sqlite3://PATH` makes them)",
     OpenSqliteMeta},
    {"postgres", "sql",
     "postgres://[USER[:PASS]@]HOST[:PORT]/DB[?sslmode=...&search_path=...]\n      a PostgreSQL "
     "database (JuiceFS's SQL tables; a socket: postgres://USER@/DB?host=/run/postgresql; "
     "META_PASSWORD is the password when the URL has none)",
     OpenPostgresMeta},
    {"postgresql", "sql", "postgresql://...\n      the same as postgres://", OpenPostgresMeta},
    {"mysql", "sql",
     "mysql://[USER[:PASS]@](HOST[:PORT])/DB[?charset=...&tls=...]\n      a MySQL or MariaDB "
     "database (JuiceFS's SQL tables; also @tcp(HOST:PORT), @unix(SOCKET), USER:PASS@/DB for "
     "127.0.0.1:3306; META_PASSWORD is the password when the URL has none)",
     OpenMysqlMeta},
    {"redis", "redis",
     "redis://[USER][:PASS]@HOST[:PORT][/DB]\n      a Redis database (JuiceFS's Redis keys; "
     "Sentinel: redis://[:PASS]@MASTER,HOST:PORT,HOST:PORT/DB; a Redis Cluster: "
     "redis://HOST:PORT,HOST:PORT/DB; REDIS_PASSWORD or META_PASSWORD when the URL has none)",
     OpenRedisMeta},
    {"unix", "redis", "unix://[USER][:PASS]@/PATH/redis.sock[?db=N]\n      Redis on a socket",
     OpenRedisMeta},
    {"rediss", "redis",
     "rediss://...?tls-ca-cert-file=...\n      Redis over TLS (JuiceFS's tls-* options)",
     OpenRedisMeta},
    {"rocksdb", "tkv", "rocksdb://PATH\n      embedded RocksDB, a directory (TKV keys)",
     OpenTkvMeta},
    {"etcd", "tkv",
     "etcd://[USER:PASS@]HOST[:PORT][,HOST[:PORT]...]/NAME[?OPTIONS]\n      an etcd cluster (TKV "
     "keys; OPTIONS: timeout=10s, cacert=, cert=, key=, server-name=, ...)",
     OpenTkvMeta},
    {"memkv", "tkv", "memkv://NAME\n      in-process memory (tests)", OpenTkvMeta},
};

}  // namespace

std::string SupportedMetaSchemes() {
  std::string s;
  for (const auto& f : kFamilies) s += (s.empty() ? "" : ", ") + std::string(f.scheme);
  return s;
}

std::string MetaUrlForms() {
  std::string s;
  for (const auto& f : kFamilies) s += "  " + std::string(f.form) + "\n";
  return s;
}

std::string_view MetaFamilyOf(std::string_view url) {
  std::string_view scheme = url.substr(0, url.find("://"));
  for (const auto& f : kFamilies) {
    if (f.scheme == scheme) return f.family;
  }
  return {};
}

Result<std::unique_ptr<Meta>> OpenMeta(std::string_view url, bool create) {
  auto pos = url.find("://");
  if (pos == std::string_view::npos || pos == 0) {
    return Status::InvalidArgument("malformed META-URL '" + std::string(url) +
                                   "': expected SCHEME://..., e.g. rocksdb:///var/jfs/meta");
  }
  std::string_view scheme = url.substr(0, pos);
  for (const auto& f : kFamilies) {
    if (f.scheme == scheme) return f.open(url, create);
  }
  return Status::InvalidArgument("unknown META-URL scheme '" + std::string(scheme) +
                                 "' (supported: " + SupportedMetaSchemes() + ")");
}

}  // namespace jfsbr
