// A TLS connection to a Redis server (rediss://), over OpenSSL: Debian's
// hiredis 0.14 speaks only plain sockets, so for TLS jfsbr moves the bytes
// itself and leaves the protocol to hiredis's reply parser. JuiceFS's
// options: tls-ca-cert-file (else the system's CAs), tls-cert-file and
// tls-key-file (a client certificate), tls-server-name, insecure-skip-verify.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "redis/redis_url.h"
#include "util/result.h"

namespace jfsbr {

class TlsStream {
 public:
  // Connects to `at` and completes the handshake, checking the server's
  // certificate unless url.tls_insecure.
  static Result<std::unique_ptr<TlsStream>> Connect(const RedisUrl& url, const RedisAddress& at);
  ~TlsStream();

  Status Write(std::string_view data);
  // Up to n bytes, waiting at most wait_ms for the first (0 bytes: none came).
  // The end of the stream is kUnavailable.
  Result<size_t> Read(char* buf, size_t n, int wait_ms);

 private:
  struct Impl;
  explicit TlsStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jfsbr
