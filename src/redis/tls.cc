// OpenSSL under TlsStream (see tls.h).
#include "redis/tls.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "redis/dial.h"

namespace jfsbr {

struct TlsStream::Impl {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string where;
  ~Impl() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
  }
};

namespace {

std::string SslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return strerror(errno);
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

}  // namespace

TlsStream::TlsStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsStream::~TlsStream() = default;

Result<std::unique_ptr<TlsStream>> TlsStream::Connect(const RedisUrl& url, const RedisAddress& at) {
  auto impl = std::make_unique<Impl>();
  impl->where = at.host + ":" + std::to_string(at.port);
  if (at.host.empty()) return Status::InvalidArgument("TLS over a unix socket is not supported");
  JFS_ASSIGN_OR_RETURN(impl->fd, DialRedis(at));

  impl->ctx = SSL_CTX_new(TLS_client_method());
  if (!impl->ctx) return Status::IOError("TLS: " + SslError());
  auto bad_file = [&](const std::string& what, const std::string& path) {
    return Status::InvalidArgument("TLS: cannot use the " + what + " " + path + ": " + SslError());
  };
  if (!url.tls_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(impl->ctx, url.tls_ca_file.c_str(), nullptr) != 1) {
      return bad_file("CA file", url.tls_ca_file);
    }
  } else {
    SSL_CTX_set_default_verify_paths(impl->ctx);
  }
  if (!url.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(impl->ctx, url.tls_cert_file.c_str()) != 1) {
      return bad_file("certificate", url.tls_cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(impl->ctx, url.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return bad_file("key", url.tls_key_file);
    }
  }
  SSL_CTX_set_verify(impl->ctx, url.tls_insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  impl->ssl = SSL_new(impl->ctx);
  const std::string name = url.tls_server_name.empty() ? at.host : url.tls_server_name;
  SSL_set_tlsext_host_name(impl->ssl, name.c_str());
  if (!url.tls_insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(impl->ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
  }
  SSL_set_fd(impl->ssl, impl->fd);
  if (SSL_connect(impl->ssl) != 1) {
    return Status::Unavailable("redis " + impl->where + ": TLS handshake failed: " + SslError());
  }
  return std::unique_ptr<TlsStream>(new TlsStream(std::move(impl)));
}

Status TlsStream::Write(std::string_view data) {
  while (!data.empty()) {
    int n = SSL_write(impl_->ssl, data.data(),
                      static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
    if (n <= 0) return Status::Unavailable("redis " + impl_->where + ": " + SslError());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Result<size_t> TlsStream::Read(char* buf, size_t n, int wait_ms) {
  if (SSL_pending(impl_->ssl) == 0) {
    pollfd p{impl_->fd, POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno != EINTR)
      return Status::Unavailable("redis " + impl_->where + ": " + strerror(errno));
    if (r <= 0) return size_t{0};
  }
  int got = SSL_read(impl_->ssl, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
  if (got > 0) return static_cast<size_t>(got);
  int e = SSL_get_error(impl_->ssl, got);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return size_t{0};
  return Status::Unavailable("redis " + impl_->where + ": the connection closed");
}

}  // namespace jfsbr
