// Parsing JuiceFS's Redis META-URLs (see redis_url.h).
#include "redis/redis_url.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/percent.h"

namespace jfsbr {
namespace {

Status Malformed(std::string_view url, const std::string& why) {
  return Status::InvalidArgument("malformed META-URL '" + std::string(url) + "': " + why +
                                 " (expected redis://[USER][:PASS]@HOST[:PORT][/DB])");
}

bool ParseInt(std::string_view s, long lo, long hi, int* out) {
  if (s.empty() || s.size() > 9) return false;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

// A Go duration of one unit ("30s", "500ms", "1m") or bare seconds.
bool ParseSeconds(std::string_view s, double* out) {
  size_t digits = 0;
  while (digits < s.size() && (isdigit(static_cast<unsigned char>(s[digits])) || s[digits] == '.'))
    digits++;
  if (digits == 0) return false;
  double v = std::strtod(std::string(s.substr(0, digits)).c_str(), nullptr);
  std::string_view unit = s.substr(digits);
  if (unit == "ms")
    v /= 1000;
  else if (unit == "m")
    v *= 60;
  else if (unit == "h")
    v *= 3600;
  else if (unit != "s" && !unit.empty())
    return false;
  *out = v;
  return true;
}

// HOST[:PORT] (IPv6 in brackets); default_port when none.
bool ParseAddress(std::string_view s, int default_port, RedisAddress* a) {
  a->port = default_port;
  std::string_view host = s;
  if (s.starts_with("[")) {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (!rest.starts_with(":") || !ParseInt(rest.substr(1), 1, 65535, &a->port)))
      return false;
  } else if (size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    if (!ParseInt(s.substr(colon + 1), 1, 65535, &a->port)) return false;
  }
  a->host = host.empty() ? "127.0.0.1" : std::string(host);
  return true;
}

Status ApplyOption(std::string_view url, std::string_view name, std::string_view value,
                   RedisUrl* u) {
  std::string key(name);
  for (char& c : key) c = c == '_' ? '-' : c;
  double* timeout = key == "read-timeout"    ? &u->read_timeout
                    : key == "write-timeout" ? &u->write_timeout
                    : key == "dial-timeout"  ? &u->dial_timeout
                                             : nullptr;
  if (timeout) {
    if (!ParseSeconds(value, timeout))
      return Malformed(url, "bad duration " + key + "=" + std::string(value));
    return Status::OK();
  }
  std::string* file = key == "tls-ca-cert-file"  ? &u->tls_ca_file
                      : key == "tls-cert-file"   ? &u->tls_cert_file
                      : key == "tls-key-file"    ? &u->tls_key_file
                      : key == "tls-server-name" ? &u->tls_server_name
                                                 : nullptr;
  if (file) {
    *file = PercentDecoded(value);
    return Status::OK();
  }
  if (key == "insecure-skip-verify" || key == "skip-verify") {
    u->tls_insecure = value.empty() || value == "true" || value == "1";
    return Status::OK();
  }
  if (key == "snapshot") {
    if (value != "scan" && value != "sync") {
      return Malformed(url, "snapshot=sync (a replica's full sync) or snapshot=scan");
    }
    u->scan_snapshot = value == "scan";
    return Status::OK();
  }
  if (key == "db") {
    if (!ParseInt(value, 0, 1 << 20, &u->db)) return Malformed(url, "bad db=" + std::string(value));
    return Status::OK();
  }
  // JuiceFS's and the Go client's tuning knobs: nothing to do for jfsbr's
  // short-lived connections, so accepted and left alone.
  static constexpr std::string_view kIgnored[] = {
      "min-retry-backoff",  "max-retry-backoff",   "route-read",           "client-cache",
      "client-cache-size",  "client-cache-expire", "client-cache-preload", "pool-size",
      "pool-timeout",       "min-idle-conns",      "max-idle-conns",       "max-active-conns",
      "conn-max-idle-time", "conn-max-lifetime",   "max-retries",          "protocol",
      "client-name"};
  for (auto k : kIgnored) {
    if (key == k) return Status::OK();
  }
  return Malformed(url, "unknown option '" + std::string(name) + "'");
}

Result<std::string> PasswordFromEnvironment() {
  for (const char* var : {"REDIS_PASSWORD", "META_PASSWORD"}) {
    if (const char* v = getenv(var); v && *v) return std::string(v);
  }
  if (const char* file = getenv("META_PASSWORD_FILE"); file && *file) {
    std::ifstream in(file);
    if (!in) return Status::InvalidArgument(std::string("cannot read META_PASSWORD_FILE ") + file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string p = ss.str();
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    return p;
  }
  return std::string();
}

}  // namespace

Result<RedisUrl> ParseRedisUrl(std::string_view url) {
  RedisUrl u;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Malformed(url, "no scheme");
  std::string_view scheme = url.substr(0, sep), rest = url.substr(sep + 3);
  if (scheme != "redis" && scheme != "rediss" && scheme != "unix") {
    return Malformed(url, "scheme " + std::string(scheme));
  }
  u.tls = scheme == "rediss";
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // USERINFO@ ends at the last '@' before the host (a password may hold
  // '@'); a socket's path follows "@/".
  size_t at = scheme == "unix" ? rest.rfind("@/") : rest.substr(0, rest.find('/')).rfind('@');
  if (at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    size_t colon = info.find(':');
    u.user = PercentDecoded(info.substr(0, colon));
    if (colon != std::string_view::npos) u.password = PercentDecoded(info.substr(colon + 1));
  }
  if (scheme == "unix") {
    if (!rest.starts_with("/")) return Malformed(url, "unix:// needs an absolute socket path");
    u.addresses.push_back({"", 0, std::string(rest)});
  } else {
    size_t path = rest.find('/');
    std::string_view hosts = rest.substr(0, path);
    if (path != std::string_view::npos) {
      std::string_view db = rest.substr(path + 1);
      if (!db.empty() && !ParseInt(db, 0, 1 << 20, &u.db)) {
        return Malformed(url, "the database is a number, not '" + std::string(db) + "'");
      }
    }
    if (hosts.empty()) return Malformed(url, "no host");
    std::vector<std::string_view> items;
    for (size_t at = 0; at <= hosts.size();) {
      size_t comma = std::min(hosts.find(',', at), hosts.size());
      items.push_back(hosts.substr(at, comma - at));
      at = comma + 1;
    }
    size_t first_comma = hosts.find(','), first_colon = hosts.find(':');
    if (items.size() > 1 && first_colon != std::string_view::npos && first_comma < first_colon) {
      u.mode = RedisUrl::Mode::kSentinel;
      u.master_name = std::string(items[0]);
      items.erase(items.begin());
      // A sentinel without a port takes the port of the last one that has one.
      int port = 26379;
      for (auto it = items.rbegin(); it != items.rend(); ++it) {
        if (size_t c = it->rfind(':'); c != std::string_view::npos && !it->ends_with("]")) {
          ParseInt(it->substr(c + 1), 1, 65535, &port);
          break;
        }
      }
      for (auto item : items) {
        RedisAddress a;
        if (!ParseAddress(item, port, &a))
          return Malformed(url, "bad sentinel address '" + std::string(item) + "'");
        u.addresses.push_back(a);
      }
      if (const char* p = getenv("SENTINEL_PASSWORD")) u.sentinel_password = p;
    } else {
      if (items.size() > 1) u.mode = RedisUrl::Mode::kCluster;
      for (auto item : items) {
        RedisAddress a;
        if (item.empty() || !ParseAddress(item, 6379, &a)) {
          return Malformed(url, "bad address '" + std::string(item) + "'");
        }
        u.addresses.push_back(a);
      }
    }
  }
  for (size_t at = 0; at < query.size();) {
    size_t amp = std::min(query.find('&', at), query.size());
    std::string_view kv = query.substr(at, amp - at);
    size_t eq = kv.find('=');
    JFS_RETURN_IF_ERROR(ApplyOption(url, kv.substr(0, eq),
                                    eq == std::string_view::npos ? "" : kv.substr(eq + 1), &u));
    at = amp + 1;
  }
  if (u.mode == RedisUrl::Mode::kCluster) u.prefix = "{" + std::to_string(u.db) + "}";
  if (u.password.empty()) {
    JFS_ASSIGN_OR_RETURN(u.password, PasswordFromEnvironment());
  }
  return u;
}

std::string DescribeRedis(const RedisUrl& u) {
  std::string s = u.tls ? "rediss://" : "redis://";
  if (u.mode == RedisUrl::Mode::kSentinel) s += u.master_name + ",";
  for (size_t i = 0; i < u.addresses.size(); i++) {
    const auto& a = u.addresses[i];
    if (i) s += ",";
    s += a.host.empty() ? "unix:" + a.path : a.host + ":" + std::to_string(a.port);
  }
  return s + "/" + std::to_string(u.db);
}

}  // namespace jfsbr
