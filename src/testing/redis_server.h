// A real Redis server for tests: Debian's redis-server (7.0) in a temporary
// directory, listening on 127.0.0.1 at a free port (and on a socket there),
// no snapshots on disk unless asked for (AOF for the restart tests). The
// default user has no password and administers; each test database (a
// number of its own, unique across the processes of a run) comes with an
// ACL user of its own and a password.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "testing/db_server.h"

namespace jfsbr {

class RedisServer : public DbServer {
 public:
  struct Options {
    bool detach = false;
    bool aof = false;         // appendonly yes, fsync every second
    int replica_of_port = 0;  // a replica of the server on that port
    bool cluster = false;     // a Redis Cluster node (the test joins them)
    // Clients over TLS only, with tls_dir's server.pem, server.key and ca.pem.
    std::string tls_dir;
  };
  static Result<std::unique_ptr<RedisServer>> Start(Options o);
  static Result<std::unique_ptr<RedisServer>> Start(bool detach = false, bool durable = false) {
    return Start(Options{detach});
  }
  static Result<std::unique_ptr<RedisServer>> Load(const std::string& file, bool owned = false);
  static Status StopSaved(const std::string& file) { return StopSavedDbServer<RedisServer>(file); }
  // The server shared by the tests of one ctest run (fixture "redis").
  static RedisServer* Shared() { return SharedDbServer<RedisServer>("redis"); }

  // Runs one command as the default user; the reply as redis-cli prints it.
  Result<std::string> Command(const std::vector<std::string>& args);
  // A redis:// URL of a new database number, for a new ACL user `name`
  // with password (all commands, all keys).
  Result<std::string> NewDatabase(const std::string& name, const std::string& password) override;
  std::string socket() const { return dir_ + "/redis.sock"; }

 private:
  RedisServer() = default;
  Status Spawn() override;
  Options opts_;
  int cluster_port_ = 0;
};

}  // namespace jfsbr
