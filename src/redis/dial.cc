// Connecting a socket (see dial.h).
#include "redis/dial.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jfsbr {

Result<int> DialRedis(const RedisAddress& at) {
  const std::string where = at.host.empty() ? at.path : at.host + ":" + std::to_string(at.port);
  if (at.host.empty()) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (at.path.size() >= sizeof(sa.sun_path)) {
      return Status::InvalidArgument("socket path too long: " + at.path);
    }
    memcpy(sa.sun_path, at.path.c_str(), at.path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) return fd;
    std::string why = strerror(errno);
    if (fd >= 0) close(fd);
    return Status::Unavailable("cannot connect to redis at " + where + ": " + why);
  }
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  const std::string port = std::to_string(at.port);
  if (int e = getaddrinfo(at.host.c_str(), port.c_str(), &hints, &res); e != 0) {
    return Status::Unavailable("cannot resolve redis host " + at.host + ": " + gai_strerror(e));
  }
  int fd = -1;
  std::string why = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    why = strerror(errno);
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return Status::Unavailable("cannot connect to redis at " + where + ": " + why);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace jfsbr
