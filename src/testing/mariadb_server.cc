// Starting, using and stopping a throwaway MariaDB server for tests.
#include "testing/mariadb_server.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace jfsbr {
namespace {

constexpr const char* kUser = "jfsbr-mariadb";

}  // namespace

Result<std::unique_ptr<MariaServer>> MariaServer::Start(bool detach, bool durable) {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ServiceUser(kUser));
  std::unique_ptr<MariaServer> s(new MariaServer());
  s->detach_ = detach;
  s->durable_ = durable;
  JFS_ASSIGN_OR_RETURN(s->dir_, MakeTempDir("mariadb"));
  if (ids.drop && chown(s->dir_.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoStatus("chown", s->dir_);
  }
  JFS_RETURN_IF_ERROR(
      RunLogged(
          ids,
          {"mariadb-install-db", "--no-defaults", "--datadir=" + s->dir_ + "/data",
           "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"},
          s->dir_ + "/server.log", false)
          .status());
  s->port_ = FreePorts(1)[0];
  JFS_RETURN_IF_ERROR(s->Spawn());
  return s;
}

Status MariaServer::Spawn() {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ServiceUser(kUser));
  const std::string log = dir_ + "/server.log";
  std::vector<std::string> args = {"mariadbd",
                                   "--no-defaults",
                                   "--datadir=" + dir_ + "/data",
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--socket=" + socket(),
                                   "--pid-file=" + dir_ + "/mariadbd.pid",
                                   "--skip-name-resolve",
                                   "--max-connections=300",
                                   "--log-error=" + log};
  if (durable_) {
    // Benchmarks: InnoDB caches only in its buffer pool (its files are
    // opened O_DIRECT), so it is sized to hold a 1.1 M-file volume's
    // tables, as a server holding one would be.
    args.push_back("--innodb-buffer-pool-size=1G");
  } else {
    // Durability is not what the tests check: no flush at commit.
    args.insert(args.end(), {"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
                             "--sync-binlog=0"});
  }
  JFS_ASSIGN_OR_RETURN(pid_, SpawnLogged(std::move(args), dir_ + "/stdout.log", detach_, ids));
  return WaitAccepting("mariadbd", log);
}

Result<std::unique_ptr<MariaServer>> MariaServer::Load(const std::string& file, bool owned) {
  std::unique_ptr<MariaServer> s(new MariaServer());
  JFS_RETURN_IF_ERROR(s->LoadFrom(file, "mariadb", owned));
  return s;
}

Result<std::string> MariaServer::Sql(const std::string& sql) {
  return ClientOutput({}, {"mariadb", "--no-defaults", "-S", socket(), "-u", "root", "--batch",
                           "--skip-column-names", "-e", sql});
}

Result<std::string> MariaServer::NewDatabase(const std::string& name, const std::string& password) {
  // The rights JuiceFS's format, mount, dump and load use on its database.
  JFS_RETURN_IF_ERROR(
      Sql("CREATE DATABASE `" + name + "`; CREATE USER '" + name + "'@'%' IDENTIFIED BY '" +
          password + "'; GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER ON `" +
          name + "`.* TO '" + name + "'@'%'")
          .status());
  return "mysql://" + name + ":" + password + "@(127.0.0.1:" + std::to_string(port_) + ")/" + name;
}

}  // namespace jfsbr
