// Real etcd clusters for tests: started on free ports, stopped, killed.
#include "testing/etcd_cluster.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/process.h"
#include "tkv/etcd_client.h"

namespace jfsbr {
namespace {

std::string Url(int port, bool tls = false) {
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port);
}

}  // namespace

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(int members, bool detach,
                                                        const std::string& tls_dir) {
  std::unique_ptr<EtcdCluster> c(new EtcdCluster());
  c->detach_ = detach;
  c->tls_dir_ = tls_dir;
  JFS_ASSIGN_OR_RETURN(c->dir_, MakeTempDir("etcd"));
  std::vector<int> ports = FreePorts(2 * members);
  for (int i = 0; i < members; i++) {
    if (ports[2 * i] == 0 || ports[2 * i + 1] == 0) return Status::IOError("no free port");
    c->members_.push_back({"n" + std::to_string(i + 1), ports[2 * i], ports[2 * i + 1], 0});
  }
  for (int i = 0; i < members; i++) JFS_RETURN_IF_ERROR(c->Spawn(i, true));
  JFS_RETURN_IF_ERROR(c->WaitReady());
  return c;
}

EtcdCluster::~EtcdCluster() {
  if (!owned_) return;
  for (int i = 0; i < size(); i++) Kill(i);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string EtcdCluster::InitialCluster() const {
  std::string s;
  for (const auto& m : members_) s += (s.empty() ? "" : ",") + m.name + "=" + Url(m.peer_port);
  return s;
}

Status EtcdCluster::Spawn(int i, bool fresh) {
  Member& m = members_[i];
  std::string log = dir_ + "/" + m.name + ".log";
  std::vector<std::string> etcd = {
      "etcd", "--name", m.name, "--data-dir", dir_ + "/" + m.name, "--listen-client-urls",
      Url(m.client_port, !tls_dir_.empty()), "--advertise-client-urls",
      Url(m.client_port, !tls_dir_.empty()), "--listen-peer-urls", Url(m.peer_port),
      "--initial-advertise-peer-urls", Url(m.peer_port), "--initial-cluster", InitialCluster(),
      "--initial-cluster-token", "jfsbr-test", "--initial-cluster-state",
      fresh ? "new" : "existing",
      // Quick elections: tests kill leaders on purpose.
      "--heartbeat-interval", "50", "--election-timeout", "500", "--logger", "zap", "--log-outputs",
      "stderr"};
  if (!tls_dir_.empty()) {
    etcd.insert(etcd.end(),
                {"--cert-file", tls_dir_ + "/server.pem", "--key-file", tls_dir_ + "/server.key"});
  }
  JFS_ASSIGN_OR_RETURN(m.pid, SpawnLogged(etcd, log, detach_));
  return Status::OK();
}

Status EtcdCluster::WaitReady() const {
  for (int i = 0; i < size(); i++) {
    if (members_[i].pid == 0) continue;
    int st = 0;
    if (!detach_ && waitpid(members_[i].pid, &st, WNOHANG) == members_[i].pid) {
      return Status::IOError("etcd member " + members_[i].name + " exited at start (see " + dir_ +
                             "/" + members_[i].name + ".log; is etcd-server installed?)");
    }
  }
  JFS_ASSIGN_OR_RETURN(auto client, Client());
  etcdpb::RangeRequest req;
  req.set_key("ready?");
  etcdpb::RangeResponse resp;
  Status st = client->Range(req, &resp);
  if (st.ok()) return st;
  std::string tails;  // what the members said last, for the test log
  for (const auto& m : members_) {
    tails += "\n  " + m.name + ": " + LastLine(dir_ + "/" + m.name + ".log");
  }
  return st.Annotate("etcd test cluster in " + dir_ + " not ready" + tails);
}

Result<std::unique_ptr<EtcdClient>> EtcdCluster::Client() const {
  std::string tls = tls_dir_.empty() ? "" : "&cacert=" + tls_dir_ + "/ca.pem";
  JFS_ASSIGN_OR_RETURN(EtcdUrl url, ParseEtcdUrl(Endpoints() + "/?timeout=2" + tls));
  return EtcdClient::Connect(url);
}

std::string EtcdCluster::endpoint(int i) const {
  return "127.0.0.1:" + std::to_string(members_[i].client_port);
}

std::string EtcdCluster::Endpoints() const {
  std::string s;
  for (int i = 0; i < size(); i++) s += (i ? "," : "") + endpoint(i);
  return s;
}

int EtcdCluster::Leader() const {
  auto client = Client();
  if (!client.ok()) return -1;
  auto statuses = (*client)->MemberStatuses();
  for (size_t i = 0; i < statuses.size(); i++) {
    const auto& s = statuses[i];
    if (s.error.ok() && s.status.leader() != 0 &&
        s.status.leader() == s.status.header().member_id())
      return static_cast<int>(i);
  }
  return -1;
}

void EtcdCluster::Kill(int i) {
  Member& m = members_[i];
  if (m.pid <= 0) return;
  KillSpawned(m.pid, detach_ || !owned_);
  m.pid = 0;
}

Status EtcdCluster::Restart(int i) {
  if (members_[i].pid > 0) Kill(i);
  JFS_RETURN_IF_ERROR(Spawn(i, false));
  return WaitReady();
}

Status EtcdCluster::Save(const std::string& file) const {
  std::ofstream out(file + ".tmp");
  out << dir_ << "\n";
  for (const auto& m : members_) {
    out << m.name << " " << m.client_port << " " << m.peer_port << " " << m.pid << "\n";
  }
  out.close();
  if (!out || rename((file + ".tmp").c_str(), file.c_str()) != 0) {
    return ErrnoStatus("write", file);
  }
  return Status::OK();
}

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::Load(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Status::NotFound("no etcd test cluster file " + file);
  std::unique_ptr<EtcdCluster> c(new EtcdCluster());
  c->owned_ = false;
  c->detach_ = true;
  std::getline(in, c->dir_);
  Member m;
  while (in >> m.name >> m.client_port >> m.peer_port >> m.pid) c->members_.push_back(m);
  if (c->members_.empty()) return Status::Corruption("empty etcd test cluster file " + file);
  return c;
}

Status EtcdCluster::StopSaved(const std::string& file) {
  JFS_ASSIGN_OR_RETURN(auto c, Load(file));
  c->owned_ = true;
  c.reset();
  unlink(file.c_str());
  return Status::OK();
}

EtcdCluster* EtcdCluster::Shared() {
  static std::unique_ptr<EtcdCluster> shared = []() -> std::unique_ptr<EtcdCluster> {
    if (const char* d = getenv("JFSBR_TEST_SERVERS"); d && *d) {
      std::string f = std::string(d) + "/etcd";
      auto c = Load(f);
      bool alive = c.ok();
      for (int i = 0; alive && i < (*c)->size(); i++) alive = kill((*c)->members_[i].pid, 0) == 0;
      if (alive && (*c)->WaitReady().ok()) return std::move(*c);
    }
    auto c = Start(3);
    if (!c.ok()) {
      fprintf(stderr, "cannot start an etcd test cluster: %s\n", c.status().ToString().c_str());
      abort();
    }
    return std::move(*c);
  }();
  return shared.get();
}

}  // namespace jfsbr
