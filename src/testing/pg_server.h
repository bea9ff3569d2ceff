// A real PostgreSQL server for tests: Debian's postgresql-15 binaries, a
// fresh cluster in a temporary directory, listening on 127.0.0.1 at a free
// port. PostgreSQL refuses to run as root, so when the tests are root the
// cluster belongs to a system user this creates once (jfsbr-pg). Local
// socket connections are trusted (to set passwords up); TCP ones need a
// password (scram-sha-256), so wrong passwords can be tested.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "util/result.h"

namespace jfsbr {

class PgServer {
 public:
  static Result<std::unique_ptr<PgServer>> Start();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  // Runs sql as the superuser over the local socket (psql); its output.
  Result<std::string> Psql(const std::string& sql, const std::string& db = "postgres");
  // A database owned by a new role with that password: its postgres:// URL.
  Result<std::string> NewDatabase(const std::string& name, const std::string& password);
  void Kill();  // SIGKILL, as a crash

 private:
  PgServer() = default;
  std::string dir_, user_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace jfsbr
