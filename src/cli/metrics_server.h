// A minimal HTTP server for Prometheus: every GET is answered with body().
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "util/result.h"

namespace jfsbr::cli {

class MetricsServer {
 public:
  // addr is "HOST:PORT" (an IPv4 address; port 0 picks a free one).
  Status Start(const std::string& addr, std::function<std::string()> body);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  void Serve();

  int fd_ = -1;
  int port_ = 0;
  std::function<std::string()> body_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace jfsbr::cli
