// etcd META-URLs, as JuiceFS writes them:
//
//   etcd://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/NAME[?OPTIONS]
//
// A host without a port gets 2379. The volume's keys live under "/NAME"
// followed by 0xFD (juicefs-formats.md §1.2). OPTIONS: JuiceFS's TLS options
// (cacert, cert, key, server-name, insecure-skip-verify) and jfsbr's limits,
// which must match the server's flags of the same names (max-txn-ops,
// max-request-bytes), a per-request timeout in seconds (timeout) and the
// key count above which a scan splits a range before paging (scan-split).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace jfsbr {

struct EtcdUrl {
  std::vector<std::string> endpoints;  // "host:port", in the URL's order
  std::string user, password;          // password percent-decoded
  std::string name;                    // the path, leading '/' kept ("/myjfs")
  std::string cacert, cert, key, server_name;
  bool insecure_skip_verify = false;
  int max_txn_ops = 128;               // etcd's --max-txn-ops default
  size_t max_request_bytes = 1572864;  // etcd's --max-request-bytes default
  double timeout_seconds = 10;         // one request, before a retry
  int64_t scan_split_keys = 65536;     // see ScanPiece in etcd_engine.cc
  bool tls() const {
    return !cacert.empty() || !cert.empty() || !key.empty() || !server_name.empty();
  }
  // The URL without its password (for messages and status).
  std::string Redacted() const;
};

// Parses what follows "etcd://"; kInvalidArgument naming the problem.
Result<EtcdUrl> ParseEtcdUrl(std::string_view rest);

}  // namespace jfsbr
