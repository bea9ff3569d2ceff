// EtcdClient: the calls jfsbr makes to etcd's v3 gRPC API, with failover
// across the URL's endpoints, retries with jittered backoff while the cluster
// elects a leader or a member is down, user/password auth and TLS.
//
// Reads (Range, read-only Txn, Status) are retried until they succeed or the
// retry budget runs out. A Txn that writes is never resent by this class: if
// it fails after it may have reached the cluster, WriteTxn says the outcome is
// unknown, and the caller (EtcdEngine::Commit) finds out before trying again.
// Thread-safe.
#pragma once

#include <grpcpp/security/credentials.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "tkv/etcd_url.h"
#include "util/result.h"

namespace jfsbr {

namespace etcdpb = etcdserverpb;

struct EtcdMemberStatus {
  std::string endpoint;
  Status error;  // not ok: the member did not answer
  etcdpb::StatusResponse status;
};

class EtcdClient {
 public:
  // Connects (lazily) and authenticates if the URL has a user; fails if no
  // endpoint answers within the retry budget.
  static Result<std::unique_ptr<EtcdClient>> Connect(const EtcdUrl& url);
  ~EtcdClient();

  Status Range(const etcdpb::RangeRequest& req, etcdpb::RangeResponse* resp);
  // A transaction of range operations only.
  Status ReadTxn(const etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp);
  // A transaction that writes, sent once. On error, *unknown tells whether it
  // may have been applied anyway (the request may have reached the cluster).
  Status WriteTxn(const etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp, bool* unknown);
  // A transaction that may be applied twice with the same result (blind
  // puts and deletes): retried like a read.
  Status IdempotentTxn(const etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp);
  Status Compact(int64_t revision);
  // Watches [key, range_end) from revision `start`, giving fn each response
  // with events (etcd never splits a revision across responses); fn returns
  // false to stop (then OK). A broken stream is reopened on the next endpoint
  // after the last revision fn was given, as long as the retry budget lasts;
  // a compacted start is kNotFound naming the compacted revision. Only
  // members with a leader serve it. (Progress notices are not used: etcd
  // before 3.4.24/3.5.8 could send one ahead of events not yet sent.)
  Status Watch(const std::string& key, const std::string& range_end, int64_t start,
               const std::function<bool(const etcdpb::WatchResponse&)>& fn);
  // One status per endpoint, in the URL's order (no retries).
  std::vector<EtcdMemberStatus> MemberStatuses();

  const EtcdUrl& url() const { return url_; }

 private:
  struct Endpoint;
  explicit EtcdClient(EtcdUrl url);

  // Runs call(stub, context) on the current endpoint until it succeeds, a
  // non-transient error occurs, or the budget is spent; moves to the next
  // endpoint after a transient error. With resend = false, returns after the
  // first transient error that happened once the request may have been sent.
  template <typename Call>
  Status Run(std::string_view what, bool resend, Call call, bool* unknown = nullptr);
  // Gets a token for the URL's user (kept for every later call).
  grpc::Status Authenticate(Endpoint* ep, grpc::ClientContext* ctx);
  void PrepareContext(grpc::ClientContext* ctx);
  // A new connection to address (a channel that failed is replaced: a TLS
  // channel refused once did not reconnect by itself, measured).
  std::shared_ptr<Endpoint> Dial(const std::string& address) const;
  std::shared_ptr<Endpoint> Current(size_t* index);
  // After a transient error on endpoint `index`: a fresh connection to it,
  // and the next endpoint becomes current.
  void Failed(size_t index, const std::shared_ptr<Endpoint>& ep);

  EtcdUrl url_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;
  std::mutex conn_mu_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;  // guarded by conn_mu_
  size_t current_ = 0;                                // guarded by conn_mu_
  std::mutex token_mu_;
  std::string token_;  // auth token; empty without auth
  // A notice (util/notice.h) said the cluster is being retried; the next
  // success says it answers again.
  std::atomic<bool> retrying_told_{false};
};

}  // namespace jfsbr
