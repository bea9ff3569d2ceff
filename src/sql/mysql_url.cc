// Parsing JuiceFS's mysql:// META-URL (see mysql_url.h).
#include "sql/mysql_url.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "util/percent.h"

namespace jfsbr {
namespace {

Status Malformed(std::string_view url, const std::string& why) {
  return Status::InvalidArgument("malformed META-URL '" + std::string(url) + "': " + why +
                                 " (expected mysql://USER[:PASS]@(HOST:PORT)/DB)");
}

}  // namespace

Result<MysqlOptions> ParseMysqlUrl(std::string_view url, std::string* query) {
  MysqlOptions o;
  std::string_view dsn = url.substr(url.find("://") + 3);
  // As Go's driver reads it: /DB[?OPTIONS] after the last '/', USER[:PASS]
  // before the last '@' ahead of it (a password may hold '@' and '/').
  size_t slash = dsn.rfind('/');
  if (slash == std::string_view::npos) return Malformed(url, "no /DB");
  std::string_view head = dsn.substr(0, slash), db = dsn.substr(slash + 1);
  if (size_t at = head.rfind('@'); at != std::string_view::npos) {
    std::string_view user = head.substr(0, at);
    head.remove_prefix(at + 1);
    size_t colon = user.find(':');
    o.user = std::string(user.substr(0, colon));
    if (colon != std::string_view::npos) o.password = PercentDecoded(user.substr(colon + 1));
    o.has_password = colon != std::string_view::npos;
  }
  // [PROTOCOL][(ADDRESS)]
  size_t open = head.find('(');
  std::string_view protocol = head.substr(0, open), address;
  if (open != std::string_view::npos) {
    if (!head.ends_with(")")) return Malformed(url, "no ')' after the address");
    address = head.substr(open + 1, head.size() - open - 2);
  }
  if (protocol.find(':') != std::string_view::npos ||
      protocol.find('.') != std::string_view::npos) {
    return Malformed(url, "the address goes in parentheses: (" + std::string(protocol) + ")");
  }
  if (size_t q = db.find('?'); q != std::string_view::npos) {
    *query = std::string(db.substr(q + 1));
    db = db.substr(0, q);
  }
  if (db.empty()) return Malformed(url, "no database name");
  o.database = std::string(db);
  if (protocol == "unix") {
    o.socket = address.empty() ? "/tmp/mysql.sock" : std::string(address);
  } else if (protocol.empty() || protocol == "tcp") {
    if (!address.empty()) {
      size_t colon = address.rfind(':');
      bool bracketed = address.starts_with("[");  // [::1]:3306
      std::string_view host = address.substr(0, colon);
      if (colon != std::string_view::npos && (!bracketed || address[colon - 1] == ']')) {
        std::string port(address.substr(colon + 1));
        char* end = nullptr;
        long p = strtol(port.c_str(), &end, 10);
        if (port.empty() || *end != '\0' || p <= 0 || p > 65535) {
          return Malformed(url, "port '" + port + "'");
        }
        o.port = static_cast<int>(p);
      } else {
        host = address;
      }
      if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
      if (!host.empty()) o.host = std::string(host);
    }
  } else {
    return Malformed(url, "unknown protocol '" + std::string(protocol) + "' (tcp or unix)");
  }
  return o;
}

Status ApplyMysqlOptions(std::string_view url, const std::string& query, MysqlOptions* o) {
  for (size_t at = 0; at < query.size();) {
    size_t end = std::min(query.find('&', at), query.size());
    std::string opt = query.substr(at, end - at);
    at = end + 1;
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "charset") {
      o->charset = value.substr(0, value.find(','));  // the first the server knows, in Go's driver
    } else if (key == "tls") {
      if (value == "true") {
        o->tls = MysqlOptions::Tls::kVerify;
      } else if (value == "skip-verify" || value == "preferred") {
        o->tls = MysqlOptions::Tls::kOn;
      } else if (value == "false" || value.empty()) {
        o->tls = MysqlOptions::Tls::kOff;
      } else {
        return Status::InvalidArgument("tls=" + value + " in '" + std::string(url) +
                                       "': true, skip-verify, preferred or false (a named TLS "
                                       "config exists only inside a Go program)");
      }
    } else if (key == "timeout") {  // a Go duration: 10s, 1m, 500ms
      char* end = nullptr;
      double n = strtod(value.c_str(), &end);
      std::string unit = end ? end : "";
      double seconds = unit == "s" ? n : unit == "m" ? n * 60 : unit == "ms" ? n / 1000 : -1;
      if (seconds <= 0) {
        return Status::InvalidArgument("timeout=" + value + " in '" + std::string(url) +
                                       "': a duration, e.g. 10s");
      }
      o->connect_timeout = std::max(1, static_cast<int>(std::ceil(seconds)));
    }
  }
  return Status::OK();
}

std::string DescribeMysql(const MysqlOptions& o) {
  std::string where = o.socket.empty() ? "(" + o.host + ":" + std::to_string(o.port) + ")"
                                       : "unix(" + o.socket + ")";
  return o.user + "@" + where + "/" + o.database;
}

}  // namespace jfsbr
