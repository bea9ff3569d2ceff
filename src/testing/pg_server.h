// A real PostgreSQL server for tests: Debian's postgresql-15 binaries, a
// fresh cluster in a temporary directory, listening on 127.0.0.1 at a free
// port. PostgreSQL refuses to run as root, so when the tests are root the
// cluster belongs to a system user this creates once (jfsbr-pg). Local
// socket connections are trusted (to set passwords up); TCP ones need a
// password (scram-sha-256), so wrong passwords can be tested.
#pragma once

#include <memory>
#include <string>

#include "testing/db_server.h"

namespace jfsbr {

class PgServer : public DbServer {
 public:
  // detach: the server outlives this process (the ctest fixture). durable:
  // PostgreSQL's own settings (benchmarks); else no fsync (tests).
  static Result<std::unique_ptr<PgServer>> Start(bool detach = false, bool durable = false);
  // The server a fixture saved in file.
  static Result<std::unique_ptr<PgServer>> Load(const std::string& file, bool owned = false);
  static Status StopSaved(const std::string& file) { return StopSavedDbServer<PgServer>(file); }
  // The server shared by the tests of one ctest run (fixture "pg").
  static PgServer* Shared() { return SharedDbServer<PgServer>("pg"); }

  // Runs sql as the superuser over the local socket (psql); its output.
  Result<std::string> Psql(const std::string& sql, const std::string& db = "postgres");
  // A postgres:// URL.
  Result<std::string> NewDatabase(const std::string& name, const std::string& password) override;

 private:
  PgServer() = default;
  Status Spawn() override;
};

}  // namespace jfsbr
