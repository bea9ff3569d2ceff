// s3rver for tests: started on a free port with its own directory.
#include "testing/s3_server.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/process.h"

namespace jfsbr {

std::string S3Server::ScriptPath() {
  if (const char* p = getenv("JFSBR_S3RVER"); p != nullptr && *p != '\0') return p;
  return JFSBR_S3RVER_JS;
}

Result<std::unique_ptr<S3Server>> S3Server::Start(bool detach) {
  std::unique_ptr<S3Server> s(new S3Server());
  s->detach_ = detach;
  JFS_ASSIGN_OR_RETURN(s->dir_, MakeTempDir("s3"));
  s->port_ = FreePorts(1)[0];
  if (s->port_ == 0) return Status::IOError("no free port");
  JFS_RETURN_IF_ERROR(s->Spawn());
  return s;
}

Status S3Server::Spawn() {
  std::string script = ScriptPath();
  if (access(script.c_str(), R_OK) != 0) {
    return Status::NotFound("s3rver not found at " + script +
                            " (scripts/deps.sh installs it; or set JFSBR_S3RVER)");
  }
  std::filesystem::create_directories(dir_ + "/data");
  std::string log = dir_ + "/s3rver.log";
  // Node 17+ needs the legacy provider for s3rver's continuation tokens (DES).
  JFS_ASSIGN_OR_RETURN(
      pid_, SpawnLogged({"node", "--openssl-legacy-provider", script, "-d", dir_ + "/data", "-a",
                         "127.0.0.1", "-p", std::to_string(port_), "--silent"},
                        log, detach_));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!PortAccepts(port_)) {
    if (std::chrono::steady_clock::now() > deadline || kill(pid_, 0) != 0) {
      return Status::IOError("s3rver did not start on port " + std::to_string(port_) + ": " +
                             LastLine(log) + " (is node installed?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::OK();
}

S3Server::~S3Server() {
  if (!owned_) return;
  Kill();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void S3Server::Kill() {
  KillSpawned(pid_, detach_ || !owned_);
  pid_ = 0;
}

Status S3Server::Restart() {
  Kill();
  return Spawn();
}

Result<StoreConfig> S3Server::NewBucket(const std::string& name) {
  StoreConfig c{"s3", endpoint() + "/" + name, kS3rverKey, kS3rverKey};
  JFS_RETURN_IF_ERROR(CreateBucket(c));
  return c;
}

Status S3Server::Save(const std::string& file) const {
  return SaveServer(file, {dir_, port_, pid_});
}

Result<std::unique_ptr<S3Server>> S3Server::Load(const std::string& file) {
  JFS_ASSIGN_OR_RETURN(SavedServer saved, LoadServer(file, "s3"));
  std::unique_ptr<S3Server> s(new S3Server());
  s->owned_ = false;
  s->detach_ = true;
  s->dir_ = saved.dir;
  s->port_ = saved.port;
  s->pid_ = saved.pid;
  return s;
}

Status S3Server::StopSaved(const std::string& file) {
  JFS_ASSIGN_OR_RETURN(auto s, Load(file));
  s->owned_ = true;
  s.reset();
  unlink(file.c_str());
  return Status::OK();
}

S3Server* S3Server::Shared() {
  static std::unique_ptr<S3Server> shared = []() -> std::unique_ptr<S3Server> {
    if (const char* d = getenv("JFSBR_TEST_SERVERS"); d && *d) {
      std::string f = std::string(d) + "/s3";
      auto s = Load(f);
      if (s.ok() && kill((*s)->pid_, 0) == 0 && PortAccepts((*s)->port_)) return std::move(*s);
    }
    auto s = Start();
    if (!s.ok()) {
      fprintf(stderr, "cannot start the s3 test server: %s\n", s.status().ToString().c_str());
      abort();
    }
    return std::move(*s);
  }();
  return shared.get();
}

}  // namespace jfsbr
