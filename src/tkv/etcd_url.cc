// Parsing etcd META-URLs and their options as JuiceFS takes them.
#include "tkv/etcd_url.h"

#include <charconv>

#include "util/clock.h"

namespace jfsbr {
namespace {

Status Bad(std::string_view what) {
  return Status::InvalidArgument("malformed etcd META-URL: " + std::string(what));
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= s.size() ||
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3) {
      return Bad("bad percent escape in '" + std::string(s) + "'");
    }
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

// "host", "host:port", "[v6]" or "[v6]:port" -> "host:port" (default 2379).
Result<std::string> Endpoint(std::string_view h) {
  if (h.empty()) return Bad("an empty host in the host list");
  std::string_view host = h, port;
  if (h.front() == '[') {
    auto close = h.find(']');
    if (close == std::string_view::npos)
      return Bad("unclosed '[' in host '" + std::string(h) + "'");
    host = h.substr(0, close + 1);
    std::string_view after = h.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Bad("junk after ']' in host '" + std::string(h) + "'");
      port = after.substr(1);
    }
  } else if (auto colon = h.rfind(':'); colon != std::string_view::npos) {
    host = h.substr(0, colon);
    port = h.substr(colon + 1);
    if (host.empty()) return Bad("no host name before the port in '" + std::string(h) + "'");
  }
  if (port.empty()) return std::string(host) + ":2379";
  unsigned n = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc() || p != port.data() + port.size() || n == 0 || n > 65535) {
    return Bad("bad port '" + std::string(port) + "' in host '" + std::string(h) + "'");
  }
  return std::string(host) + ":" + std::to_string(n);
}

template <typename T>
Status Number(std::string_view key, std::string_view v, T* out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  if (ec != std::errc() || p != v.data() + v.size() || *out <= 0) {
    return Bad("option " + std::string(key) + " needs a positive number, not '" + std::string(v) +
               "'");
  }
  return Status::OK();
}

Status Option(std::string_view key, std::string value, EtcdUrl* u) {
  if (key == "cacert") {
    u->cacert = std::move(value);
  } else if (key == "cert") {
    u->cert = std::move(value);
  } else if (key == "key") {
    u->key = std::move(value);
  } else if (key == "server-name") {
    u->server_name = std::move(value);
  } else if (key == "insecure-skip-verify") {
    u->insecure_skip_verify = !value.empty();  // as JuiceFS: any non-empty value
  } else if (key == "max-txn-ops") {
    return Number(key, value, &u->max_txn_ops);
  } else if (key == "max-request-bytes") {
    return Number(key, value, &u->max_request_bytes);
  } else if (key == "timeout") {
    // JuiceFS's plain seconds ("2"), or a duration ("2s", "500ms").
    if (value.find_first_not_of("0123456789.") == std::string::npos) {
      return Number(key, value, &u->timeout_seconds);
    }
    auto d = ParseDuration(value);
    if (!d.ok() || d->count() <= 0) {
      return Bad("option timeout needs seconds or a duration (2, 2s, 500ms), not '" + value + "'");
    }
    u->timeout_seconds = d->count() / 1000;
  } else if (key == "scan-split") {
    return Number(key, value, &u->scan_split_keys);
  } else {
    return Bad("unknown option '" + std::string(key) +
               "' (known: cacert, cert, key, server-name, insecure-skip-verify, max-txn-ops, "
               "max-request-bytes, timeout, scan-split)");
  }
  return Status::OK();
}

}  // namespace

std::string EtcdUrl::Redacted() const {
  std::string s = "etcd://";
  if (!user.empty()) s += user + (password.empty() ? "@" : ":****@");
  for (size_t i = 0; i < endpoints.size(); i++) s += (i ? "," : "") + endpoints[i];
  return s + name;
}

Result<EtcdUrl> ParseEtcdUrl(std::string_view rest) {
  EtcdUrl u;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = info.find(':');
    JFS_ASSIGN_OR_RETURN(u.user, PercentDecode(info.substr(0, colon)));
    if (colon != std::string_view::npos) {
      JFS_ASSIGN_OR_RETURN(u.password, PercentDecode(info.substr(colon + 1)));
    }
    if (u.user.empty()) return Bad("a password without a user name");
  }
  auto slash = rest.find('/');
  std::string_view hosts = rest.substr(0, slash);
  // JuiceFS takes the key prefix from Go's url.Path, which is percent-decoded.
  if (slash != std::string_view::npos) {
    JFS_ASSIGN_OR_RETURN(u.name, PercentDecode(rest.substr(slash)));
  }
  if (hosts.empty()) return Bad("no host (expected etcd://HOST[:PORT][,HOST...]/NAME)");
  size_t pos = 0;
  while (pos <= hosts.size()) {
    size_t comma = std::min(hosts.find(',', pos), hosts.size());
    JFS_ASSIGN_OR_RETURN(std::string ep, Endpoint(hosts.substr(pos, comma - pos)));
    u.endpoints.push_back(std::move(ep));
    pos = comma + 1;
  }
  while (!query.empty()) {
    size_t amp = std::min(query.find('&'), query.size());
    std::string_view kv = query.substr(0, amp);
    query = query.substr(std::min(amp + 1, query.size()));
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    JFS_ASSIGN_OR_RETURN(
        std::string value,
        PercentDecode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1)));
    JFS_RETURN_IF_ERROR(Option(kv.substr(0, eq), std::move(value), &u));
  }
  return u;
}

}  // namespace jfsbr
