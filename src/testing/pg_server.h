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
  // detach: the server outlives this process (the ctest fixture). durable:
  // PostgreSQL's own settings (benchmarks); else no fsync (tests).
  static Result<std::unique_ptr<PgServer>> Start(bool detach = false, bool durable = false);
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  // Runs sql as the superuser over the local socket (psql); its output.
  Result<std::string> Psql(const std::string& sql, const std::string& db = "postgres");
  // A database owned by a new role with that password: its postgres:// URL.
  Result<std::string> NewDatabase(const std::string& name, const std::string& password);
  // A database for one test, owned by a role of the same name with a
  // password: its postgres:// URL.
  Result<std::string> FreshDatabase();
  void Kill();       // SIGKILL, as a crash
  Status Restart();  // the same cluster and port again, after a Kill

  // The server shared by the tests of one ctest run: the one the fixture
  // started ($JFSBR_TEST_SERVERS/pg), or else one started for this process.
  static PgServer* Shared();
  Status Save(const std::string& file) const;
  static Result<std::unique_ptr<PgServer>> Load(const std::string& file);
  static Status StopSaved(const std::string& file);
  void Release() { owned_ = false; }
  const std::string& dir() const { return dir_; }

 private:
  PgServer() = default;
  Status Spawn();
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool detach_ = false;
  bool durable_ = false;
  bool owned_ = true;
};

}  // namespace jfsbr
