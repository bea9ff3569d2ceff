// Starting, using and stopping a throwaway PostgreSQL cluster for tests.
#include "testing/pg_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

// The user the cluster runs as: ourselves, or (as root) jfsbr-pg.
Result<RunAs> ClusterUser() {
  RunAs ids;
  if (geteuid() != 0) return ids;
  if (getpwnam(kUser) == nullptr) {
    std::string cmd = std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") +
                      kUser + " >/dev/null 2>&1";
    if (system(cmd.c_str()) != 0 && getpwnam(kUser) == nullptr) {
      return Status::IOError("cannot create the user " + std::string(kUser) + " for PostgreSQL");
    }
  }
  struct passwd* pw = getpwnam(kUser);
  if (pw == nullptr) return Status::NotFound(std::string("no user ") + kUser);
  ids.uid = pw->pw_uid;
  ids.gid = pw->pw_gid;
  ids.drop = true;
  return ids;
}

// Runs args as `as`, output appended to log; waits for it unless background.
Result<pid_t> Run(const RunAs& as, std::vector<std::string> args, const std::string& log,
                  bool background) {
  std::string name = args[0];
  JFS_ASSIGN_OR_RETURN(pid_t pid, SpawnLogged(std::move(args), log, /*detach=*/false, as));
  if (background) return pid;
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::IOError(name + " failed: " + LastLine(log));
  }
  return pid;
}

}  // namespace

Result<std::unique_ptr<PgServer>> PgServer::Start() {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ClusterUser());
  std::unique_ptr<PgServer> s(new PgServer());
  JFS_ASSIGN_OR_RETURN(s->dir_, MakeTempDir("pg"));
  s->user_ = ids.drop ? kUser : "";
  if (ids.drop && chown(s->dir_.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoStatus("chown", s->dir_);
  }
  const std::string log = s->dir_ + "/server.log", data = s->dir_ + "/data";
  JFS_RETURN_IF_ERROR(Run(ids,
                          {std::string(kBin) + "initdb", "-D", data, "-U", "postgres",
                           "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"},
                          log, false)
                          .status());
  s->port_ = FreePorts(1)[0];
  JFS_ASSIGN_OR_RETURN(
      s->pid_, Run(ids,
                   {std::string(kBin) + "postgres", "-D", data, "-p", std::to_string(s->port_),
                    "-k", s->dir_, "-c", "listen_addresses=127.0.0.1"},
                   log, true));
  for (int i = 0; i < 300 && !PortAccepts(s->port_); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!PortAccepts(s->port_)) return Status::IOError("postgres did not start: " + LastLine(log));
  return s;
}

PgServer::~PgServer() {
  Kill();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void PgServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Result<std::string> PgServer::Psql(const std::string& sql, const std::string& db) {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ClusterUser());
  const std::string out = dir_ + "/psql-" + std::to_string(getpid()) + ".out";
  std::filesystem::remove(out);
  JFS_RETURN_IF_ERROR(Run(ids,
                          {"/usr/bin/psql", "-h", dir_, "-p", std::to_string(port_), "-U",
                           "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql},
                          out, false)
                          .status());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::string> PgServer::NewDatabase(const std::string& name, const std::string& password) {
  JFS_RETURN_IF_ERROR(
      Psql("CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'").status());
  JFS_RETURN_IF_ERROR(Psql("CREATE DATABASE \"" + name + "\" OWNER \"" + name + "\"").status());
  return "postgres://" + name + ":" + password + "@127.0.0.1:" + std::to_string(port_) + "/" +
         name + "?sslmode=disable";
}

}  // namespace jfsbr
