// Starting, using and stopping a throwaway PostgreSQL cluster for tests.
#include "testing/pg_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "testing/process.h"

namespace jfsbr {
namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";
constexpr const char* kUser = "jfsbr-pg";

Result<RunAs> ClusterUser() { return ServiceUser(kUser); }

}  // namespace

Result<std::unique_ptr<PgServer>> PgServer::Start(bool detach, bool durable) {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ClusterUser());
  std::unique_ptr<PgServer> s(new PgServer());
  s->detach_ = detach;
  s->durable_ = durable;
  JFS_ASSIGN_OR_RETURN(s->dir_, MakeTempDir("pg"));
  if (ids.drop && chown(s->dir_.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoStatus("chown", s->dir_);
  }
  JFS_RETURN_IF_ERROR(
      RunLogged(ids,
                {std::string(kBin) + "initdb", "-D", s->dir_ + "/data", "-U", "postgres",
                 "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"},
                s->dir_ + "/server.log", false)
          .status());
  s->port_ = FreePorts(1)[0];
  JFS_RETURN_IF_ERROR(s->Spawn());
  return s;
}

Status PgServer::Spawn() {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ClusterUser());
  const std::string log = dir_ + "/server.log";
  std::vector<std::string> args = {std::string(kBin) + "postgres",
                                   "-D",
                                   dir_ + "/data",
                                   "-p",
                                   std::to_string(port_),
                                   "-k",
                                   dir_,
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "max_connections=200"};
  if (!durable_) {
    // Durability is not what the tests check: no fsync keeps them fast.
    for (const char* off : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      args.insert(args.end(), {"-c", off});
    }
  }
  JFS_ASSIGN_OR_RETURN(pid_, SpawnLogged(std::move(args), log, detach_, ids));
  JFS_RETURN_IF_ERROR(WaitAccepting("postgres", log));
  // After a crash it takes connections on its port before it has recovered
  // ("not yet accepting connections"): wait for that too, 30 s at most.
  for (int i = 0; i < 300; i++) {
    auto ready =
        RunLogged({}, {"/usr/bin/pg_isready", "-q", "-h", "127.0.0.1", "-p", std::to_string(port_)},
                  dir_ + "/isready.log", false);
    if (ready.ok()) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::IOError("postgres did not finish recovering: " + LastLine(log));
}

Result<std::unique_ptr<PgServer>> PgServer::Load(const std::string& file, bool owned) {
  std::unique_ptr<PgServer> s(new PgServer());
  JFS_RETURN_IF_ERROR(s->LoadFrom(file, "postgres", owned));
  return s;
}

Result<std::string> PgServer::Psql(const std::string& sql, const std::string& db) {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ClusterUser());
  return ClientOutput(ids, {"/usr/bin/psql", "-h", dir_, "-p", std::to_string(port_), "-U",
                            "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql});
}

Result<std::string> PgServer::NewDatabase(const std::string& name, const std::string& password) {
  JFS_RETURN_IF_ERROR(
      Psql("CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'").status());
  JFS_RETURN_IF_ERROR(Psql("CREATE DATABASE \"" + name + "\" OWNER \"" + name + "\"").status());
  return "postgres://" + name + ":" + password + "@127.0.0.1:" + std::to_string(port_) + "/" +
         name + "?sslmode=disable";
}

}  // namespace jfsbr
