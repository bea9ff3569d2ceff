// Starting, using and stopping a throwaway Redis server for tests.
#include "testing/redis_server.h"

#include <chrono>
#include <filesystem>
#include <thread>

namespace jfsbr {
namespace {

// Enough numbered databases for every test of a run to have its own.
constexpr int kDatabases = 20000;

}  // namespace

Result<std::unique_ptr<RedisServer>> RedisServer::Start(Options o) {
  std::unique_ptr<RedisServer> s(new RedisServer());
  s->opts_ = o;
  s->detach_ = o.detach;
  JFS_ASSIGN_OR_RETURN(s->dir_, MakeTempDir("redis"));
  s->port_ = FreePorts(1)[0];
  // Users live in an ACL file, so that they survive a restart.
  if (FILE* f = fopen((s->dir_ + "/users.acl").c_str(), "w")) fclose(f);
  JFS_RETURN_IF_ERROR(s->Spawn());
  return s;
}

Status RedisServer::Spawn() {
  const std::string log = dir_ + "/server.log";
  std::vector<std::string> args = {"redis-server",
                                   "--bind",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port_),
                                   "--unixsocket",
                                   socket(),
                                   "--dir",
                                   dir_,
                                   "--databases",
                                   std::to_string(kDatabases),
                                   "--save",
                                   "",
                                   "--logfile",
                                   log,
                                   "--aclfile",
                                   dir_ + "/users.acl",
                                   "--daemonize",
                                   "no",
                                   "--appendonly",
                                   opts_.aof ? "yes" : "no"};
  if (opts_.aof) args.insert(args.end(), {"--appendfsync", "everysec"});
  if (!opts_.tls_dir.empty()) {  // the port takes TLS, nothing else
    for (size_t i = 0; i + 1 < args.size(); i++) {
      if (args[i] == "--port") args[i] = "--tls-port";
    }
    const std::string& t = opts_.tls_dir;
    args.insert(args.end(), {"--port", "0", "--tls-cert-file", t + "/server.pem", "--tls-key-file",
                             t + "/server.key", "--tls-ca-cert-file", t + "/ca.pem",
                             "--tls-auth-clients", "no"});
  }
  if (opts_.cluster) {
    // Its bus on a port of its own (by default PORT + 10000, maybe taken).
    if (cluster_port_ == 0) cluster_port_ = FreePorts(1)[0];
    args.insert(args.end(),
                {"--cluster-enabled", "yes", "--cluster-config-file", dir_ + "/nodes.conf",
                 "--cluster-port", std::to_string(cluster_port_)});
  }
  if (opts_.replica_of_port) {
    args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(opts_.replica_of_port)});
  }
  JFS_ASSIGN_OR_RETURN(pid_, SpawnLogged(std::move(args), dir_ + "/stdout.log", detach_));
  JFS_RETURN_IF_ERROR(WaitAccepting("redis-server", log));
  // After a restart it answers LOADING while it reads its AOF back.
  for (int i = 0; i < 300; i++) {
    auto pong = Command({"PING"});
    if (pong.ok() && *pong == "PONG") return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::IOError("redis-server did not finish loading: " + LastLine(log));
}

Result<std::unique_ptr<RedisServer>> RedisServer::Load(const std::string& file, bool owned) {
  std::unique_ptr<RedisServer> s(new RedisServer());
  JFS_RETURN_IF_ERROR(s->LoadFrom(file, "redis", owned));
  return s;
}

Result<std::string> RedisServer::Command(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port_)};
  if (!opts_.tls_dir.empty()) {
    argv.insert(argv.end(), {"--tls", "--cacert", opts_.tls_dir + "/ca.pem"});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  JFS_ASSIGN_OR_RETURN(std::string out, ClientOutput({}, std::move(argv)));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

Result<std::string> RedisServer::NewDatabase(const std::string& name, const std::string& password) {
  // Database numbers come from a counter in database 0: unique across the
  // test processes of a run.
  JFS_ASSIGN_OR_RETURN(std::string n, Command({"INCR", "jfsbr-test-next-db"}));
  int db = std::stoi(n);
  if (db >= kDatabases) return Status::Unavailable("the redis test server ran out of databases");
  JFS_RETURN_IF_ERROR(
      Command({"ACL", "SETUSER", name, "on", ">" + password, "~*", "&*", "+@all"}).status());
  JFS_RETURN_IF_ERROR(Command({"ACL", "SAVE"}).status());
  return "redis://" + name + ":" + password + "@127.0.0.1:" + std::to_string(port_) + "/" +
         std::to_string(db);
}

}  // namespace jfsbr
