// The replication handshake and the RDB transfer over a plain socket (see
// replica.h). hiredis parses replies, not the raw payload that follows
// PSYNC, so this link speaks the few lines of the protocol itself.
#include "redis/replica.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "redis/client.h"
#include "redis/dial.h"
#include "redis/tls.h"

namespace jfsbr {

class ReplicaLink::Socket {
 public:
  Socket(int fd, double timeout, std::string where)
      : fd_(fd), timeout_ms_(static_cast<int>(timeout * 1000)), where_(std::move(where)) {}
  Socket(std::unique_ptr<TlsStream> tls, double timeout, std::string where)
      : Socket(-1, timeout, std::move(where)) {
    tls_ = std::move(tls);
  }
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }

  Status Write(std::string_view data) {
    if (tls_) return tls_->Write(data);
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Unavailable("redis " + where_ + ": " + strerror(errno));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }
  // Up to n bytes (at least one), waiting at most the timeout for them.
  Result<size_t> Read(char* buf, size_t n) {
    JFS_ASSIGN_OR_RETURN(size_t got, ReadWithin(buf, n, timeout_ms_));
    if (got == 0) return Status::Unavailable("redis " + where_ + ": timed out reading");
    return got;
  }
  // Up to n bytes within wait_ms (0: none arrived).
  Result<size_t> ReadWithin(char* buf, size_t n, int wait_ms) {
    if (avail_ > 0) {
      size_t take = std::min(n, avail_);
      memcpy(buf, pending_.data() + pending_.size() - avail_, take);
      avail_ -= take;
      return take;
    }
    if (tls_) return tls_->Read(buf, n, wait_ms);
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      int r = poll(&p, 1, wait_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status::Unavailable("redis " + where_ + ": " + strerror(errno));
      if (r == 0) return size_t{0};
      ssize_t got = ::recv(fd_, buf, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got == 0) return Status::Unavailable("redis " + where_ + ": the server closed the link");
      if (got < 0) return Status::Unavailable("redis " + where_ + ": " + strerror(errno));
      return static_cast<size_t>(got);
    }
  }
  // Bytes read past a line, handed back before the socket's.
  void Unread(std::string rest) {
    pending_ = std::move(rest);
    avail_ = pending_.size();
  }

 private:
  int fd_;
  int timeout_ms_;
  std::string where_;
  std::string pending_;
  size_t avail_ = 0;
  std::unique_ptr<TlsStream> tls_;
};

// The RDB payload: exactly `left` bytes of the socket.
class ReplicaLink::RdbSource : public Source {
 public:
  RdbSource(Socket* s, uint64_t bytes) : s_(s), left_(bytes) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (left_ == 0) return size_t{0};
    auto got = s_->Read(buf, std::min<uint64_t>(n, left_));
    if (!got.ok()) {
      return Status(got.status().code(), got.status().message() + " (" + std::to_string(left_) +
                                             " bytes of the snapshot missing)");
    }
    left_ -= *got;
    return *got;
  }

 private:
  Socket* s_;
  uint64_t left_;
  std::string where_;
};

ReplicaLink::ReplicaLink(std::unique_ptr<Socket> s, std::string where)
    : sock_(std::move(s)), where_(std::move(where)) {}
ReplicaLink::~ReplicaLink() = default;
Source* ReplicaLink::rdb() { return rdb_.get(); }

Result<std::unique_ptr<ReplicaLink>> ReplicaLink::Open(const RedisUrl& url,
                                                       const RedisAddress& at) {
  std::string where = at.host.empty() ? at.path : at.host + ":" + std::to_string(at.port);
  int fd = -1;
  std::unique_ptr<Socket> sock;
  if (url.tls) {
    JFS_ASSIGN_OR_RETURN(auto tls, TlsStream::Connect(url, at));
    sock = std::make_unique<Socket>(std::move(tls), std::max(60.0, url.read_timeout), where);
  } else {
    JFS_ASSIGN_OR_RETURN(fd, DialRedis(at));
  }
  // A primary sends a newline every second while it prepares the snapshot,
  // so a silent minute means it is gone.
  if (!sock) sock = std::make_unique<Socket>(fd, std::max(60.0, url.read_timeout), where);
  std::unique_ptr<ReplicaLink> link(new ReplicaLink(std::move(sock), where));
  if (!url.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password);
    JFS_RETURN_IF_ERROR(link->Send(auth));
    JFS_ASSIGN_OR_RETURN(std::string reply, link->Line());
    if (!reply.starts_with("+")) {
      return Status::Permission("redis " + where + ": authentication failed" +
                                (url.user.empty() ? "" : " for user '" + url.user + "'") +
                                " (wrong password?)");
    }
  }
  return link;
}

Status ReplicaLink::Send(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return sock_->Write(out);
}

// One reply line without its CRLF (the keepalive newlines skipped).
Result<std::string> ReplicaLink::Line() {
  std::string line;
  char buf[4096];
  while (true) {
    JFS_ASSIGN_OR_RETURN(size_t got, sock_->Read(buf, sizeof(buf)));
    line.append(buf, got);
    size_t start = line.find_first_not_of('\n');
    if (start == std::string::npos) {
      line.clear();
      continue;
    }
    if (start > 0) line.erase(0, start);
    size_t eol = line.find("\r\n");
    if (eol == std::string::npos) continue;
    sock_->Unread(line.substr(eol + 2));
    line.resize(eol);
    return line;
  }
}

Result<ReplicaLink::FullSync> ReplicaLink::StartFullSync(bool rdb_only) {
  auto refused = [&](const std::string& reply) {
    Status s = RedisErrorStatus(where_, reply.substr(1));
    return Status(s.code(), "redis " + where_ +
                                ": cannot read a snapshot as a replica does: " + reply.substr(1) +
                                " (the user needs +psync +replconf; or read a replica; or, where "
                                "writes are stopped, add "
                                "?snapshot=scan to read key by key)");
  };
  JFS_RETURN_IF_ERROR(Send({"REPLCONF", "capa", "psync2"}));
  JFS_ASSIGN_OR_RETURN(std::string reply, Line());
  if (!reply.starts_with("+")) return refused(reply);
  if (rdb_only) {
    JFS_RETURN_IF_ERROR(Send({"REPLCONF", "rdb-only", "1"}));
    JFS_ASSIGN_OR_RETURN(reply, Line());  // older servers refuse it: harmless
  }
  JFS_RETURN_IF_ERROR(Send({"PSYNC", "?", "-1"}));
  JFS_ASSIGN_OR_RETURN(reply, Line());
  if (!reply.starts_with("+FULLRESYNC ")) return refused(reply);
  FullSync sync;
  size_t sp = reply.find(' ', 12);
  sync.replid = reply.substr(12, sp - 12);
  if (sp != std::string::npos) sync.offset = std::strtoull(reply.c_str() + sp + 1, nullptr, 10);
  JFS_ASSIGN_OR_RETURN(reply, Line());
  if (!reply.starts_with("$") || reply.starts_with("$EOF:")) {
    return Status::Corruption("redis " + where_ + ": unexpected snapshot header '" +
                              reply.substr(0, 40) + "'");
  }
  sync.rdb_bytes = std::strtoull(reply.c_str() + 1, nullptr, 10);
  rdb_ = std::make_unique<RdbSource>(sock_.get(), sync.rdb_bytes);
  return sync;
}

Result<bool> ReplicaLink::ContinueFrom(const std::string& replid, uint64_t offset) {
  JFS_RETURN_IF_ERROR(Send({"REPLCONF", "capa", "psync2"}));
  JFS_ASSIGN_OR_RETURN(std::string reply, Line());
  // The offset of the next byte wanted.
  JFS_RETURN_IF_ERROR(Send({"PSYNC", replid, std::to_string(offset + 1)}));
  JFS_ASSIGN_OR_RETURN(reply, Line());
  if (reply.starts_with("+CONTINUE")) return true;
  if (reply.starts_with("+FULLRESYNC")) return false;
  return Status::Unavailable("redis " + where_ +
                             ": cannot continue the replication stream: " + reply.substr(0, 200));
}

Result<std::string> ReplicaLink::NextCommand(int wait_ms) {
  std::vector<std::string_view> args;
  for (;;) {
    JFS_ASSIGN_OR_RETURN(size_t used, ParseRespCommand(stream_, &args));
    if (used > 0) {
      std::string cmd = stream_.substr(0, used);
      stream_.erase(0, used);
      return cmd;
    }
    char buf[1 << 16];
    JFS_ASSIGN_OR_RETURN(size_t got, sock_->ReadWithin(buf, sizeof(buf), wait_ms));
    if (got == 0) return std::string();
    stream_.append(buf, got);
  }
}

Status ReplicaLink::Ack(uint64_t offset) {
  return Send({"REPLCONF", "ACK", std::to_string(offset)});
}

}  // namespace jfsbr
