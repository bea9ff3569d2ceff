// The etcd v3 client: failover between endpoints, retries, auth, TLS.
#include "tkv/etcd_client.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "util/notice.h"

namespace jfsbr {

struct EtcdClient::Endpoint {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdpb::KV::Stub> kv;
  std::unique_ptr<etcdpb::Watch::Stub> watch;
  std::unique_ptr<etcdpb::Maintenance::Stub> maintenance;
  std::unique_ptr<etcdpb::Auth::Stub> auth;
};

namespace {

using Clock = std::chrono::steady_clock;

enum class Outcome {
  kTransient,  // try again (elsewhere): no leader, member down, timeout
  kAuth,       // the auth token expired: authenticate and try again
  kFatal,      // the request itself is wrong or refused
};

Outcome Classify(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return Outcome::kTransient;
    case grpc::StatusCode::UNAUTHENTICATED:
      return Outcome::kAuth;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // "too many requests" passes; "space exceeded" not
      return s.error_message().find("too many requests") != std::string::npos ? Outcome::kTransient
                                                                              : Outcome::kFatal;
    default:
      return Outcome::kFatal;
  }
}

// Whether a failed request certainly did not reach the cluster's log.
bool NotSent(const grpc::Status& s) {
  const std::string& m = s.error_message();
  for (const char* word : {"failed to connect", "Connection refused", "no leader",
                           "too many requests", "DNS resolution failed", "not capable"}) {
    if (m.find(word) != std::string::npos) return true;
  }
  return false;
}

Status ToStatus(std::string_view what, const std::string& endpoint, const grpc::Status& s) {
  std::string msg = "etcd " + std::string(what) + " at " + endpoint + ": " + s.error_message();
  const std::string& m = s.error_message();
  if (m.find("too many operations in txn request") != std::string::npos) {
    return Status::InvalidArgument(msg +
                                   " (the server's --max-txn-ops is lower than this "
                                   "META-URL's max-txn-ops)");
  }
  if (m.find("request is too large") != std::string::npos) {
    return Status::InvalidArgument(msg +
                                   " (the server's --max-request-bytes is lower than this "
                                   "META-URL's max-request-bytes)");
  }
  if (m.find("required revision has been compacted") != std::string::npos) {
    return Status::NotFound(msg + " (the history this read needs is gone)");
  }
  for (const char* auth : {"user name is empty", "authentication failed", "permission denied",
                           "invalid auth token", "user name not found"}) {
    if (m.find(auth) != std::string::npos) {
      return Status::Permission(msg +
                                " (the cluster checks users: give USER:PASSWORD@ in the "
                                "META-URL, for a user with access to this prefix)");
    }
  }
  if (m.find("database space exceeded") != std::string::npos) {
    return Status::IOError(msg + " (compact and defragment etcd, then 'etcdctl alarm disarm')");
  }
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return Status::Unavailable(msg);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Status::Permission(msg);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status::InvalidArgument(msg);
    default:
      return Status::IOError(msg);
  }
}

Result<std::string> ReadPem(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the " + std::string(what) + " file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const EtcdUrl& u) {
  if (!u.tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!u.cacert.empty()) JFS_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(u.cacert, "cacert"));
  if (!u.cert.empty()) JFS_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem(u.cert, "cert"));
  if (!u.key.empty()) JFS_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem(u.key, "key"));
  if (!u.insecure_skip_verify) return grpc::SslCredentials(ssl);
  namespace ex = grpc::experimental;
  ex::TlsChannelCredentialsOptions tls;
  tls.set_verify_server_certs(false);
  tls.set_check_call_host(false);
  tls.set_certificate_verifier(std::make_shared<ex::NoOpCertificateVerifier>());
  if (!ssl.pem_cert_chain.empty()) {
    tls.set_certificate_provider(std::make_shared<ex::StaticDataCertificateProvider>(
        std::vector<ex::IdentityKeyCertPair>{{ssl.pem_private_key, ssl.pem_cert_chain}}));
    tls.watch_identity_key_cert_pairs();
  }
  return ex::TlsCredentials(tls);
}

}  // namespace

EtcdClient::EtcdClient(EtcdUrl url) : url_(std::move(url)) {}
EtcdClient::~EtcdClient() = default;

std::shared_ptr<EtcdClient::Endpoint> EtcdClient::Dial(const std::string& address) const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // ours are below; a write is never resent blindly
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is also the connection attempt's
  // timeout: left at its default, a member that accepts connections before
  // it serves is not given up on mid-handshake. Each call has its deadline.)
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (!url_.server_name.empty()) args.SetSslTargetNameOverride(url_.server_name);
  auto ep = std::make_shared<Endpoint>();
  ep->address = address;
  ep->channel = grpc::CreateCustomChannel(address, creds_, args);
  ep->kv = etcdpb::KV::NewStub(ep->channel);
  ep->watch = etcdpb::Watch::NewStub(ep->channel);
  ep->maintenance = etcdpb::Maintenance::NewStub(ep->channel);
  ep->auth = etcdpb::Auth::NewStub(ep->channel);
  return ep;
}

Result<std::unique_ptr<EtcdClient>> EtcdClient::Connect(const EtcdUrl& url) {
  std::unique_ptr<EtcdClient> c(new EtcdClient(url));
  JFS_ASSIGN_OR_RETURN(c->creds_, Credentials(url));
  for (const std::string& address : url.endpoints) c->endpoints_.push_back(c->Dial(address));
  if (!url.user.empty()) {
    JFS_RETURN_IF_ERROR(
        c->Run("authentication as '" + url.user + "'", true,
               [&](Endpoint* ep, grpc::ClientContext* ctx) { return c->Authenticate(ep, ctx); }));
  }
  return c;
}

grpc::Status EtcdClient::Authenticate(Endpoint* ep, grpc::ClientContext* ctx) {
  etcdpb::AuthenticateRequest req;
  req.set_name(url_.user);
  req.set_password(url_.password);
  etcdpb::AuthenticateResponse resp;
  grpc::Status s = ep->auth->Authenticate(ctx, req, &resp);
  if (s.ok()) {
    std::lock_guard l(token_mu_);
    token_ = resp.token();
  }
  return s;
}

void EtcdClient::PrepareContext(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(url_.timeout_seconds * 1000)));
  std::lock_guard l(token_mu_);
  if (!token_.empty()) ctx->AddMetadata("token", token_);
}

std::shared_ptr<EtcdClient::Endpoint> EtcdClient::Current(size_t* index) {
  std::lock_guard l(conn_mu_);
  *index = current_ % endpoints_.size();
  return endpoints_[*index];
}

void EtcdClient::Failed(size_t index, const std::shared_ptr<Endpoint>& ep) {
  auto fresh = Dial(ep->address);
  std::lock_guard l(conn_mu_);
  if (endpoints_[index] != ep) return;  // another thread already did
  endpoints_[index] = std::move(fresh);
  if (current_ % endpoints_.size() == index) current_++;
}

template <typename Call>
Status EtcdClient::Run(std::string_view what, bool resend, Call call, bool* unknown) {
  thread_local std::mt19937 rng(std::random_device{}());
  // Long enough for an election after a leader dies (a few seconds), short
  // enough that a dead cluster is reported rather than waited on forever.
  auto budget = std::chrono::milliseconds(static_cast<int64_t>(6 * url_.timeout_seconds * 1000));
  auto give_up = Clock::now() + budget;
  if (unknown) *unknown = false;
  for (int attempt = 0;; attempt++) {
    size_t index = 0;
    std::shared_ptr<Endpoint> conn = Current(&index);
    Endpoint* ep = conn.get();
    grpc::ClientContext ctx;
    PrepareContext(&ctx);
    grpc::Status s = call(ep, &ctx);
    if (s.ok()) {
      if (retrying_told_.exchange(false)) Notice("etcd: " + ep->address + " answers again");
      return Status::OK();
    }
    Outcome o = Classify(s);
    if (o == Outcome::kFatal) return ToStatus(what, ep->address, s);
    if (o == Outcome::kAuth && !url_.user.empty()) {
      grpc::ClientContext auth_ctx;
      PrepareContext(&auth_ctx);
      grpc::Status a = Authenticate(ep, &auth_ctx);
      if (!a.ok() && Classify(a) == Outcome::kFatal)
        return ToStatus("authentication", ep->address, a);
    } else if (o == Outcome::kAuth) {
      return ToStatus(what, ep->address, s);
    } else {
      Failed(index, conn);
      if (!resend && !NotSent(s)) {
        if (unknown) *unknown = true;
        return ToStatus(what, ep->address, s);
      }
    }
    if (Clock::now() >= give_up) {
      return ToStatus(what, ep->address, s)
          .Annotate("gave up after " + std::to_string(attempt + 1) + " attempts on " +
                    std::to_string(endpoints_.size()) + " endpoint(s)");
    }
    if (!retrying_told_.exchange(true)) {
      // Otherwise a dead cluster is a minute of silence before the error.
      auto left = std::chrono::duration_cast<std::chrono::seconds>(give_up - Clock::now());
      Notice("etcd: " + std::string(what) + " on " + ep->address + " failed (" + s.error_message() +
             "); retrying on " + std::to_string(endpoints_.size()) + " endpoint(s) for up to " +
             std::to_string(left.count() + 1) + " s (6x the META-URL's timeout=)");
    }
    int cap_ms = std::min(50 << std::min(attempt, 5), 2000);
    std::this_thread::sleep_for(std::chrono::milliseconds(cap_ms / 2 + rng() % (cap_ms / 2 + 1)));
  }
}

Status EtcdClient::Range(const etcdpb::RangeRequest& req, etcdpb::RangeResponse* resp) {
  return Run("range", true,
             [&](Endpoint* ep, grpc::ClientContext* ctx) { return ep->kv->Range(ctx, req, resp); });
}

Status EtcdClient::ReadTxn(const etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp) {
  return Run("read transaction", true,
             [&](Endpoint* ep, grpc::ClientContext* ctx) { return ep->kv->Txn(ctx, req, resp); });
}

Status EtcdClient::WriteTxn(const etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp,
                            bool* unknown) {
  return Run(
      "transaction", false,
      [&](Endpoint* ep, grpc::ClientContext* ctx) { return ep->kv->Txn(ctx, req, resp); }, unknown);
}

Status EtcdClient::IdempotentTxn(const etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp) {
  return Run("transaction", true,
             [&](Endpoint* ep, grpc::ClientContext* ctx) { return ep->kv->Txn(ctx, req, resp); });
}

Status EtcdClient::Compact(int64_t revision) {
  etcdpb::CompactionRequest req;
  req.set_revision(revision);
  etcdpb::CompactionResponse resp;
  return Run("compact", true, [&](Endpoint* ep, grpc::ClientContext* ctx) {
    return ep->kv->Compact(ctx, req, &resp);
  });
}

Status EtcdClient::Watch(const std::string& key, const std::string& range_end, int64_t start,
                         const std::function<bool(const etcdpb::WatchResponse&)>& fn) {
  auto budget = std::chrono::milliseconds(static_cast<int64_t>(6 * url_.timeout_seconds * 1000));
  auto give_up = Clock::now() + budget;
  for (int attempt = 0;; attempt++) {
    size_t index = 0;
    std::shared_ptr<Endpoint> conn = Current(&index);
    grpc::ClientContext ctx;
    {
      std::lock_guard l(token_mu_);
      if (!token_.empty()) ctx.AddMetadata("token", token_);
    }
    ctx.AddMetadata("hasleader", "true");  // a member cut off from the leader ends the stream
    auto stream = conn->watch->Watch(&ctx);
    etcdpb::WatchRequest create;
    auto* c = create.mutable_create_request();
    c->set_key(key);
    c->set_range_end(range_end);
    c->set_start_revision(start);
    bool stopped = false;
    Status fatal;
    if (stream->Write(create)) {
      etcdpb::WatchResponse resp;
      while (!stopped && fatal.ok() && stream->Read(&resp)) {
        give_up = Clock::now() + budget;  // the stream works
        if (resp.compact_revision() > 0) {
          fatal = Status::NotFound("etcd history from revision " + std::to_string(start) +
                                   " is gone: compacted at revision " +
                                   std::to_string(resp.compact_revision()));
        } else if (resp.canceled()) {
          fatal = Status::IOError("etcd cancelled the watch at " + conn->address + ": " +
                                  resp.cancel_reason());
        } else if (!resp.created()) {
          if (!resp.events().empty()) start = resp.events().rbegin()->kv().mod_revision() + 1;
          stopped = !fn(resp);
        }
      }
      ctx.TryCancel();
    }
    grpc::Status s = stream->Finish();
    if (stopped) return Status::OK();
    if (!fatal.ok()) return fatal;
    if (Classify(s) == Outcome::kFatal && !s.ok()) return ToStatus("watch", conn->address, s);
    Failed(index, conn);
    if (Clock::now() >= give_up) {
      return ToStatus("watch", conn->address, s)
          .Annotate("gave up after " + std::to_string(attempt + 1) + " attempts");
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(50 << std::min(attempt, 5), 2000)));
  }
}

std::vector<EtcdMemberStatus> EtcdClient::MemberStatuses() {
  std::vector<std::shared_ptr<Endpoint>> eps;
  {
    std::lock_guard l(conn_mu_);
    eps = endpoints_;
  }
  std::vector<EtcdMemberStatus> out;
  for (auto& ep : eps) {
    EtcdMemberStatus m;
    m.endpoint = ep->address;
    grpc::ClientContext ctx;
    PrepareContext(&ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::Status s = ep->maintenance->Status(&ctx, etcdpb::StatusRequest(), &m.status);
    if (!s.ok()) m.error = ToStatus("status", ep->address, s);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace jfsbr
