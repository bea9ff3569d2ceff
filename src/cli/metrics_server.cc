// A tiny HTTP server for the backup daemon's Prometheus metrics.
#include "cli/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace jfsbr::cli {

Status MetricsServer::Start(const std::string& addr, std::function<std::string()> body) {
  size_t colon = addr.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  std::string host = colon == std::string::npos ? "" : addr.substr(0, colon);
  int port = colon == std::string::npos ? -1 : atoi(addr.c_str() + colon + 1);
  if (host.empty()) host = "0.0.0.0";
  if (port < 0 || port > 65535 || inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    return Status::InvalidArgument("--metrics needs IP:PORT, not '" + addr + "'");
  }
  a.sin_port = htons(static_cast<uint16_t>(port));
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(fd_, 16) != 0) {
    return ErrnoStatus("listen for metrics on", addr);
  }
  socklen_t len = sizeof(a);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  body_ = std::move(body);
  thread_ = std::thread([this] { Serve(); });
  return Status::OK();
}

MetricsServer::~MetricsServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

void MetricsServer::Serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    timeval tv{2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char req[4096];
    ssize_t n = recv(c, req, sizeof(req), 0);  // the request line is all we need
    if (n > 0) {
      std::string body = body_();
      std::string resp =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      const char* p = resp.data();
      size_t left = resp.size();
      while (left > 0) {
        ssize_t w = send(c, p, left, MSG_NOSIGNAL);
        if (w <= 0) break;
        p += w;
        left -= static_cast<size_t>(w);
      }
    }
    close(c);
  }
}

}  // namespace jfsbr::cli
