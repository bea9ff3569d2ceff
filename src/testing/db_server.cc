// The shared parts of the tests' database servers.
#include "testing/db_server.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace jfsbr {

DbServer::~DbServer() {
  if (!owned_) return;
  Kill();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void DbServer::Kill() {
  if (pid_ <= 0) return;
  KillSpawned(pid_, detach_);
  pid_ = -1;
}

Status DbServer::Restart() {
  Kill();
  // A killed server's helpers (PostgreSQL's backends) go away on their own,
  // soon; until they have, a new server refuses the data directory.
  Status st;
  for (int i = 0; i < 10; i++) {
    if ((st = Spawn()).ok()) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return st;
}

Status DbServer::WaitAccepting(const std::string& what, const std::string& log) {
  for (int i = 0; i < 600 && !PortAccepts(port_); i++) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // gone already (its files still locked)
      pid_ = -1;
      return Status::IOError(what + " did not start: " + LastLine(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!PortAccepts(port_)) return Status::IOError(what + " did not start: " + LastLine(log));
  return Status::OK();
}

Status DbServer::Save(const std::string& file) const {
  return SaveServer(file, {dir_, port_, pid_});
}

Status DbServer::LoadFrom(const std::string& file, const std::string& what, bool owned) {
  JFS_ASSIGN_OR_RETURN(SavedServer saved, LoadServer(file, what));
  owned_ = owned;
  detach_ = true;
  dir_ = saved.dir;
  port_ = saved.port;
  pid_ = saved.pid;
  return Status::OK();
}

Result<std::string> DbServer::ClientOutput(const RunAs& as, std::vector<std::string> argv) {
  const std::string out = dir_ + "/client-" + std::to_string(getpid()) + ".out";
  std::filesystem::remove(out);
  JFS_RETURN_IF_ERROR(RunLogged(as, std::move(argv), out, false).status());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::string> DbServer::FreshDatabase() {
  std::string name = RunUniqueName("t");
  return NewDatabase(name, "pw-" + name);
}

}  // namespace jfsbr
