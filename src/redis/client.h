// One connection to a Redis server, over hiredis (over TLS, hiredis's reply
// parser on a TlsStream): commands as argument lists, pipelining, and
// replies that own their memory. Errors come back as
// Status: a server error reply is kInvalidArgument (or kPermission for auth
// and ACL refusals) with the server's words; a lost or refused connection is
// kUnavailable naming the address.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_url.h"
#include "redis/tls.h"
#include "util/result.h"

struct redisContext;
struct redisReader;
struct redisReply;

namespace jfsbr {

// A reply, owning hiredis's tree (elements are views into it).
class RedisReply {
 public:
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  RedisReply() = default;
  Type type() const;
  bool nil() const { return type() == Type::kNil; }
  std::string_view str() const;  // kString, kStatus, kError
  long long integer() const;     // kInteger
  size_t size() const;           // kArray: the number of elements
  RedisReply at(size_t i) const;

 private:
  friend class RedisClient;
  RedisReply(std::shared_ptr<redisReply> root, const redisReply* r)
      : root_(std::move(root)), r_(r) {}
  std::shared_ptr<redisReply> root_;
  const redisReply* r_ = nullptr;
};

class RedisClient {
 public:
  // Connects to `at` and authenticates as url says (AUTH [USER] PASS),
  // selecting url.db outside a cluster.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisUrl& url, const RedisAddress& at);
  ~RedisClient();

  // One command; an error reply is an error.
  Result<RedisReply> Run(const std::vector<std::string_view>& args);
  // Pipelining: queue commands, then take their replies in order. A reply
  // that is an error comes back as a reply of kError (the caller decides).
  void Append(const std::vector<std::string_view>& args);
  // Queues `commands` commands already in the protocol's form (RESP arrays).
  void AppendEncoded(std::string_view resp, size_t commands);
  Result<RedisReply> Next();
  size_t pending() const { return pending_; }
  // Takes every queued reply; the first error reply becomes the status.
  Status Drain();

  // False after an I/O error: the connection must not be reused.
  bool healthy() const;
  const std::string& where() const { return where_; }

 private:
  RedisClient(redisContext* c, std::unique_ptr<TlsStream> tls, std::string where, int timeout_ms);
  static Result<std::unique_ptr<RedisClient>> ConnectPlain(const RedisUrl& url,
                                                           const RedisAddress& at, int timeout_ms);
  static Result<std::unique_ptr<RedisClient>> Authenticate(std::unique_ptr<RedisClient> client,
                                                           const RedisUrl& url);
  Status IoError(std::string_view doing) const;
  Result<void*> NextTls();
  redisContext* c_;                 // plain connections
  std::unique_ptr<TlsStream> tls_;  // TLS ones: bytes out and in ...
  redisReader* reader_ = nullptr;   // ... and the replies parsed by hiredis
  std::string out_;                 // commands not sent yet (TLS)
  int timeout_ms_;
  bool broken_ = false;
  std::string where_;
  size_t pending_ = 0;
};

// Appends args as one command in the protocol's form to *out.
void EncodeRedisCommand(const std::vector<std::string>& args, std::string* out);

// The status of an error reply (ERR..., NOAUTH, WRONGPASS...).
Status RedisErrorStatus(std::string_view where, std::string_view message);

// The address of the server that takes the volume's writes: the URL's
// server, the master a sentinel names, or the cluster node that owns the
// volume's hash tag.
Result<RedisAddress> ResolveRedisMaster(const RedisUrl& url);

}  // namespace jfsbr
