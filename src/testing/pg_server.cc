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

Result<std::unique_ptr<PgServer>> PgServer::Start(bool detach, bool durable) {
  JFS_ASSIGN_OR_RETURN(RunAs ids, ClusterUser());
  std::unique_ptr<PgServer> s(new PgServer());
  s->detach_ = detach;
  s->durable_ = durable;
  JFS_ASSIGN_OR_RETURN(s->dir_, MakeTempDir("pg"));
  if (ids.drop && chown(s->dir_.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoStatus("chown", s->dir_);
  }
  JFS_RETURN_IF_ERROR(Run(ids,
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
  for (int i = 0; i < 300 && !PortAccepts(port_); i++) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // gone already (a lock file in the way)
      pid_ = -1;
      return Status::IOError("postgres did not start: " + LastLine(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!PortAccepts(port_)) return Status::IOError("postgres did not start: " + LastLine(log));
  return Status::OK();
}

Status PgServer::Restart() {
  Kill();
  // The killed postmaster's backends go away on their own, soon; until they
  // have, a new postmaster refuses the data directory (its lock file).
  Status st;
  for (int i = 0; i < 10; i++) {
    if ((st = Spawn()).ok()) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return st;
}

PgServer::~PgServer() {
  if (!owned_) return;
  Kill();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void PgServer::Kill() {
  if (pid_ <= 0) return;
  KillSpawned(pid_, detach_);
  pid_ = -1;
}

Status PgServer::Save(const std::string& file) const {
  return SaveServer(file, {dir_, port_, pid_});
}

Result<std::unique_ptr<PgServer>> PgServer::Load(const std::string& file) {
  JFS_ASSIGN_OR_RETURN(SavedServer saved, LoadServer(file, "postgres"));
  std::unique_ptr<PgServer> s(new PgServer());
  s->owned_ = false;
  s->detach_ = true;
  s->dir_ = saved.dir;
  s->port_ = saved.port;
  s->pid_ = saved.pid;
  return s;
}

Status PgServer::StopSaved(const std::string& file) {
  JFS_ASSIGN_OR_RETURN(auto s, Load(file));
  s->owned_ = true;
  s.reset();
  unlink(file.c_str());
  return Status::OK();
}

PgServer* PgServer::Shared() {
  static std::unique_ptr<PgServer> shared = []() -> std::unique_ptr<PgServer> {
    if (const char* d = getenv("JFSBR_TEST_SERVERS"); d && *d) {
      auto s = Load(std::string(d) + "/pg");
      if (s.ok() && kill((*s)->pid_, 0) == 0 && PortAccepts((*s)->port_)) return std::move(*s);
    }
    auto s = Start();
    if (!s.ok()) {
      fprintf(stderr, "cannot start the postgres test server: %s\n", s.status().ToString().c_str());
      abort();
    }
    return std::move(*s);
  }();
  return shared.get();
}

Result<std::string> PgServer::FreshDatabase() {
  static std::atomic<int> n{0};
  std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++n);
  return NewDatabase(name, "pw-" + name);
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
