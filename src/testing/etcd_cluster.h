// Real etcd clusters for tests: etcd-server processes on 127.0.0.1 with free
// ports and a temporary data directory, stopped (SIGKILL) with the object.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace jfsbr {

class EtcdClient;

class EtcdCluster {
 public:
  // Starts `members` members and waits until the cluster has a leader.
  // With detach, the members outlive this process (see the ctest fixture);
  // otherwise they die with it.
  // With tls_dir (holding server.pem, server.key and ca.pem), clients talk
  // TLS to the members (peers stay plain).
  static Result<std::unique_ptr<EtcdCluster>> Start(int members, bool detach = false,
                                                    const std::string& tls_dir = "");
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // "127.0.0.1:P1,127.0.0.1:P2,..." (client endpoints).
  std::string Endpoints() const;
  std::string MetaUrl(const std::string& name) const {
    return "etcd://" + Endpoints() + "/" + name;
  }
  int size() const { return static_cast<int>(members_.size()); }
  std::string endpoint(int i) const;
  // Index of the member the others follow, or -1 (no leader reachable).
  int Leader() const;
  void Kill(int i);  // SIGKILL, as a crash
  Status Restart(int i);
  bool alive(int i) const { return members_[i].pid > 0; }
  const std::string& dir() const { return dir_; }
  // Leaves the members running when this object goes (a detached cluster).
  void Release() { owned_ = false; }

  // The cluster shared by the tests of one ctest run (3 members): the one the
  // ctest fixture started ($JFSBR_TEST_SERVERS/etcd), or else one
  // started for this process.
  static EtcdCluster* Shared();
  // Writes/reads a detached cluster's description (for the fixture).
  Status Save(const std::string& file) const;
  static Result<std::unique_ptr<EtcdCluster>> Load(const std::string& file);
  // Kills the cluster a file describes and removes its directory and the file.
  static Status StopSaved(const std::string& file);

 private:
  struct Member {
    std::string name;
    int client_port = 0, peer_port = 0;
    pid_t pid = 0;
  };
  EtcdCluster() = default;
  Status Spawn(int i, bool fresh);
  Status WaitReady() const;
  // A client of every member, with 2-second requests.
  Result<std::unique_ptr<EtcdClient>> Client() const;
  std::string InitialCluster() const;

  std::string dir_;
  std::vector<Member> members_;
  bool detach_ = false;
  std::string tls_dir_;
  bool owned_ = true;  // kill and remove on destruction
};

}  // namespace jfsbr
