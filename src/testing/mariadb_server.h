// A real MariaDB server for tests: Debian's mariadb-server (10.11), a fresh
// data directory in a temporary directory, listening on 127.0.0.1 at a free
// port. Run as root, the server belongs to a system user this creates once
// (jfsbr-mariadb), as mariadbd will not run as root unless told to. The
// superuser (root, no password) connects over the local socket only; test
// databases belong to users with passwords, over TCP.
#pragma once

#include <memory>
#include <string>

#include "testing/db_server.h"

namespace jfsbr {

class MariaServer : public DbServer {
 public:
  // detach: outlives this process (the ctest fixture). durable: InnoDB's
  // own settings and a 1 GiB buffer pool (benchmarks); else no flush at
  // commit (tests).
  static Result<std::unique_ptr<MariaServer>> Start(bool detach = false, bool durable = false);
  static Result<std::unique_ptr<MariaServer>> Load(const std::string& file, bool owned = false);
  static Status StopSaved(const std::string& file) { return StopSavedDbServer<MariaServer>(file); }
  // The server shared by the tests of one ctest run (fixture "mariadb").
  static MariaServer* Shared() { return SharedDbServer<MariaServer>("mariadb"); }

  // Runs sql as the superuser (the mariadb client); its output, tab-separated.
  Result<std::string> Sql(const std::string& sql);
  // A mysql:// URL. The user holds only the rights JuiceFS needs on it.
  Result<std::string> NewDatabase(const std::string& name, const std::string& password) override;
  std::string socket() const { return dir_ + "/sock"; }

 private:
  MariaServer() = default;
  Status Spawn() override;
};

}  // namespace jfsbr
