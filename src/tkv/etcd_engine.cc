// etcd backend (scheme etcd://): volumes on a replicated etcd cluster, under
// JuiceFS's key prefix ("/NAME" + 0xFD, added by the registry's prefix view).
//
// - Reads of the current state are linearizable. Scans read at one revision
//   (that of their first request), so a scan never mixes two states; a
//   snapshot is a revision, and everything it reads is read at it
//   (serializably: the member itself answers).
// - Commit is one etcd transaction: every condition compares the key's
//   mod_revision (or value, for reads without a stamp), counters (AddLE64) are
//   read first and guarded by their mod_revision, and the writes apply only
//   if all compares hold. A transaction that would exceed max-txn-ops or
//   max-request-bytes fails before anything is sent: an operation is never
//   split. Bulk batches (atomic = false) are split into many transactions.
// - A write whose outcome is unknown (the member died after receiving it) is
//   looked up in etcd's history before it is tried again (see Applied), so a
//   counter is never added twice.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "tkv/backends.h"
#include "tkv/etcd_client.h"
#include "tkv/keys.h"
#include "util/json.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

using Writes = std::vector<std::pair<std::string, std::optional<std::string>>>;

// etcd's "no upper bound" for range_end.
std::string RangeEnd(std::string_view end) {
  return end.empty() ? std::string(1, '\0') : std::string(end);
}

// Reads at a fixed revision are served by the member itself (serializable:
// no quorum round trip, several times faster on a cluster); a member that
// has not applied that revision yet answers "future revision", and the read
// is repeated through the leader.
bool FutureRevision(const Status& st) {
  return st.message().find("future revision") != std::string::npos;
}

Status RangeAt(EtcdClient* c, etcdpb::RangeRequest& req, etcdpb::RangeResponse* resp) {
  req.set_serializable(req.revision() > 0);
  Status st = c->Range(req, resp);
  if (!st.ok() && req.serializable() && FutureRevision(st)) {
    req.set_serializable(false);
    st = c->Range(req, resp);
  }
  return st;
}

Status ReadTxnAt(EtcdClient* c, etcdpb::TxnRequest& req, etcdpb::TxnResponse* resp) {
  Status st = c->ReadTxn(req, resp);
  if (!st.ok() && FutureRevision(st)) {
    for (auto& op : *req.mutable_success()) op.mutable_request_range()->set_serializable(false);
    st = c->ReadTxn(req, resp);
  }
  return st;
}

// etcd 3.4 walks the whole [key, range_end) of its index for every request,
// whatever the limit (it counts the keys): paging through a big range costs
// O(n^2) (355 s for 3.4 M keys, measured). So a range of more than
// scan-split keys (URL option, 65536 by default) is cut by key byte (and the
// pieces counted, in one request per 128) until the pieces are small; only
// small ranges are paged.
// The ranges in read-only transactions of up to max-txn-ops ranges each, all
// at revision rev (0: the current one, fixed by the first transaction); fn
// gets each range's response, in order.
Status RangeTxns(EtcdClient* c, int64_t rev, const std::vector<KeyRange>& ranges, bool count_only,
                 const std::function<void(size_t, const etcdpb::RangeResponse&)>& fn) {
  size_t per_txn = static_cast<size_t>(c->url().max_txn_ops);
  for (size_t first = 0; first < ranges.size(); first += per_txn) {
    size_t last = std::min(ranges.size(), first + per_txn);
    etcdpb::TxnRequest req;
    for (size_t i = first; i < last; i++) {
      auto* r = req.add_success()->mutable_request_range();
      r->set_key(ranges[i].begin);
      r->set_range_end(RangeEnd(ranges[i].end));
      r->set_revision(rev);
      r->set_serializable(rev > 0);
      r->set_count_only(count_only);
    }
    etcdpb::TxnResponse resp;
    JFS_RETURN_IF_ERROR(ReadTxnAt(c, req, &resp));
    if (rev == 0) rev = resp.header().revision();
    if (static_cast<size_t>(resp.responses_size()) != last - first) {
      return Status::IOError("etcd answered " + std::to_string(resp.responses_size()) + " of " +
                             std::to_string(last - first) + " ranges");
    }
    for (size_t i = first; i < last; i++) {
      fn(i, resp.responses(static_cast<int>(i - first)).response_range());
    }
  }
  return Status::OK();
}

Status ScanRangesAt(EtcdClient* c, int64_t rev, const std::vector<KeyRange>& ranges,
                    const RangeScanFn& fn) {
  return RangeTxns(c, rev, ranges, false, [&](size_t i, const etcdpb::RangeResponse& r) {
    for (const auto& kv : r.kvs()) fn(i, kv.key(), kv.value());
  });
}

// Where to cut [from, end) (end not empty): the keys Q+x (x a byte; Q the
// first D bytes of from, zero-padded) strictly inside it, at the smallest
// depth D that has any. JuiceFS keys cut well by byte: the volume prefix by
// key kind, the 'A' keys by the inode's low byte, entries by name.
std::vector<std::string> SplitPoints(const std::string& from, const std::string& end) {
  size_t d = std::mismatch(from.begin(), from.end(), end.begin(), end.end()).first - from.begin();
  for (size_t depth = d; depth <= std::max(from.size(), end.size()); depth++) {
    std::string q = from.substr(0, depth);
    q.resize(depth, '\0');
    std::vector<std::string> points;
    for (int x = 0; x < 256; x++) {
      std::string b = q + static_cast<char>(x);
      if (b > from && b < end) points.push_back(std::move(b));
    }
    if (!points.empty()) return points;
  }
  return {};
}

Status ScanPiece(EtcdClient* c, int64_t* rev, std::string from, const std::string& end,
                 const ScanFn& fn, bool* stopped);

// The pieces of a split range, in order, their key counts known: a big piece
// is split again; runs of small ones are read whole, up to kBatchKeys keys in
// one read-only transaction: one round trip instead of ~3 pages a piece
// (310 k keys: 2.0 s -> 1.45 s).
Status ScanCountedPieces(EtcdClient* c, int64_t* rev, const std::vector<KeyRange>& pieces,
                         const std::vector<int64_t>& counts, const ScanFn& fn, bool* stopped) {
  constexpr int64_t kBatchKeys = 8192;
  std::vector<KeyRange> batch;
  int64_t batch_keys = 0;
  auto flush = [&]() -> Status {
    if (batch.empty() || *stopped) return Status::OK();
    Status st = RangeTxns(c, *rev, batch, false, [&](size_t, const etcdpb::RangeResponse& r) {
      for (const auto& kv : r.kvs()) {
        if (*stopped) return;
        if (!fn(kv.key(), kv.value())) *stopped = true;
      }
    });
    batch.clear();
    batch_keys = 0;
    return st;
  };
  for (size_t i = 0; i < pieces.size() && !*stopped; i++) {
    if (counts[i] == 0) continue;
    if (counts[i] > c->url().scan_split_keys) {
      JFS_RETURN_IF_ERROR(flush());
      JFS_RETURN_IF_ERROR(ScanPiece(c, rev, pieces[i].begin, pieces[i].end, fn, stopped));
      continue;
    }
    if (batch_keys + counts[i] > kBatchKeys) JFS_RETURN_IF_ERROR(flush());
    batch.push_back(pieces[i]);
    batch_keys += counts[i];
  }
  return flush();
}

// Every key in [begin, end) at *rev (0: the current one, then fixed by the
// first page). Sets *stopped when fn returns false.
Status ScanPiece(EtcdClient* c, int64_t* rev, std::string from, const std::string& end,
                 const ScanFn& fn, bool* stopped) {
  int64_t limit = 128, count = 0;
  for (bool first = true;; first = false) {
    etcdpb::RangeRequest req;
    req.set_key(from);
    req.set_range_end(RangeEnd(end));
    req.set_limit(limit);
    req.set_revision(*rev);
    etcdpb::RangeResponse resp;
    JFS_RETURN_IF_ERROR(RangeAt(c, req, &resp));
    if (*rev == 0) *rev = resp.header().revision();
    if (first && resp.count() > c->url().scan_split_keys && !end.empty()) {
      if (auto points = SplitPoints(from, end); !points.empty()) {
        std::vector<KeyRange> pieces;
        for (size_t i = 0; i <= points.size(); i++) {
          pieces.push_back({i == 0 ? from : points[i - 1], i < points.size() ? points[i] : end});
        }
        std::vector<int64_t> counts(pieces.size());
        JFS_RETURN_IF_ERROR(
            RangeTxns(c, *rev, pieces, true,
                      [&](size_t i, const etcdpb::RangeResponse& r) { counts[i] = r.count(); }));
        return ScanCountedPieces(c, rev, pieces, counts, fn, stopped);
      }
    }
    for (const auto& kv : resp.kvs()) {
      if (!fn(kv.key(), kv.value())) {
        *stopped = true;
        return Status::OK();
      }
    }
    if (!resp.more() || resp.kvs().empty()) return Status::OK();
    from = resp.kvs().rbegin()->key();
    from.push_back('\0');
    // Every request walks the rest of the range: after a second page (what
    // a directory listing wants), take a small range's rest whole.
    if (first) count = resp.count();
    if (limit < 1024) {
      limit = 1024;
    } else {
      limit = count <= c->url().scan_split_keys ? 0 : std::min<int64_t>(limit * 2, 4096);
    }
  }
}

Status ScanAt(EtcdClient* c, int64_t rev, std::string_view begin, std::string_view end,
              const ScanFn& fn) {
  bool stopped = false;
  return ScanPiece(c, &rev, std::string(begin), std::string(end), fn, &stopped);
}

Result<StampedValue> GetAt(EtcdClient* c, int64_t rev, std::string_view key) {
  etcdpb::RangeRequest req;
  req.set_key(std::string(key));
  req.set_revision(rev);
  etcdpb::RangeResponse resp;
  JFS_RETURN_IF_ERROR(RangeAt(c, req, &resp));
  if (resp.kvs().empty()) return StampedValue{std::nullopt, 0};
  return StampedValue{resp.kvs(0).value(), resp.kvs(0).mod_revision()};
}

class EtcdSnapshot final : public KvSnapshot {
 public:
  EtcdSnapshot(std::shared_ptr<EtcdClient> c, int64_t rev) : c_(std::move(c)), rev_(rev) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    JFS_ASSIGN_OR_RETURN(StampedValue v, GetAt(c_.get(), rev_, key));
    return std::move(v.value);
  }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return ScanAt(c_.get(), rev_, b, e, fn);
  }
  Status ScanRanges(const std::vector<KeyRange>& ranges, const RangeScanFn& fn) override {
    return ScanRangesAt(c_.get(), rev_, ranges, fn);
  }
  uint64_t version() const override { return static_cast<uint64_t>(rev_); }

 private:
  std::shared_ptr<EtcdClient> c_;
  int64_t rev_;
};

// The etcd transaction for writes guarded by conditions and counter stamps.
struct TxnPlan {
  etcdpb::TxnRequest req;
  size_t compares = 0, ops = 0, bytes = 0;
  std::map<std::string, int64_t> stamps;  // mod_revision each compare expects
};

void AddCompare(TxnPlan* p, const std::string& key, int64_t stamp,
                const std::optional<std::string>* expected) {
  auto* c = p->req.add_compare();
  c->set_key(key);
  c->set_result(etcdpb::Compare::EQUAL);
  if (stamp >= 0 || !expected) {
    c->set_target(etcdpb::Compare::MOD);
    c->set_mod_revision(stamp < 0 ? 0 : stamp);
  } else if (*expected) {
    c->set_target(etcdpb::Compare::VALUE);
    c->set_value(**expected);
    p->bytes += (*expected)->size();
  } else {
    c->set_target(etcdpb::Compare::VERSION);
    c->set_version(0);  // absent
  }
  p->compares++;
  p->bytes += key.size() + 16;
}

void AddWrite(etcdpb::TxnRequest* req, const std::string& key,
              const std::optional<std::string>& value) {
  if (value) {
    auto* put = req->add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(*value);
  } else {
    req->add_success()->mutable_request_delete_range()->set_key(key);
  }
}

class EtcdEngine final : public KvEngine {
 public:
  explicit EtcdEngine(std::shared_ptr<EtcdClient> c) : c_(std::move(c)) {}

  Result<std::optional<std::string>> Get(std::string_view key) override {
    JFS_ASSIGN_OR_RETURN(StampedValue v, GetAt(c_.get(), 0, key));
    return std::move(v.value);
  }
  Result<StampedValue> GetStamped(std::string_view key) override { return GetAt(c_.get(), 0, key); }
  Result<std::vector<StampedValue>> GetStampedMany(const std::vector<std::string>& keys) override;
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return ScanAt(c_.get(), 0, b, e, fn);
  }
  Status ScanRanges(const std::vector<KeyRange>& ranges, const RangeScanFn& fn) override {
    return ScanRangesAt(c_.get(), 0, ranges, fn);
  }
  Status Commit(const WriteBatch& batch) override;
  Result<std::unique_ptr<KvSnapshot>> Snapshot() override {
    JFS_ASSIGN_OR_RETURN(uint64_t rev, Version());
    return std::unique_ptr<KvSnapshot>(new EtcdSnapshot(c_, static_cast<int64_t>(rev)));
  }
  Result<std::unique_ptr<KvSnapshot>> SnapshotAt(uint64_t version) override {
    JFS_ASSIGN_OR_RETURN(uint64_t now, Version());
    if (version == 0 || version > now) {
      return Status::InvalidArgument("etcd revision " + std::to_string(version) +
                                     " is not in the past (the current revision is " +
                                     std::to_string(now) + ")");
    }
    // Fails now if compaction has removed that revision.
    etcdpb::RangeRequest req;
    req.set_key(std::string(1, '\0'));
    req.set_count_only(true);
    req.set_revision(static_cast<int64_t>(version));
    etcdpb::RangeResponse resp;
    JFS_RETURN_IF_ERROR(c_->Range(req, &resp));
    return std::unique_ptr<KvSnapshot>(new EtcdSnapshot(c_, static_cast<int64_t>(version)));
  }
  Result<uint64_t> Version() override {
    etcdpb::RangeRequest req;
    req.set_key(std::string(1, '\0'));
    req.set_count_only(true);
    etcdpb::RangeResponse resp;
    JFS_RETURN_IF_ERROR(c_->Range(req, &resp));
    return static_cast<uint64_t>(resp.header().revision());
  }
  Status Watch(const KeyRange& range, uint64_t after, const WatchFn& fn) override;
  Result<uint64_t> OldestVersion() override;
  Status Compact(uint64_t version) override { return c_->Compact(static_cast<int64_t>(version)); }
  std::vector<std::pair<std::string, std::string>> Stats() override;
  std::string Describe() const override {
    size_t n = c_->url().endpoints.size();
    return c_->url().Redacted() + " (etcd, " + std::to_string(n) + " endpoint" +
           (n == 1 ? ")" : "s)");
  }

 private:
  Status CommitAtomic(const WriteBatch& batch);
  Status CommitParts(const WriteBatch& batch);
  Result<TxnPlan> Plan(const WriteBatch& batch, Writes* writes);
  Result<bool> ConditionsHold(const WriteBatch& batch);
  Result<bool> Applied(const Writes& writes, const std::map<std::string, int64_t>& stamps);
  Status CheckLimits(const TxnPlan& p) const;

  std::shared_ptr<EtcdClient> c_;
};

Status EtcdEngine::Watch(const KeyRange& range, uint64_t after, const WatchFn& fn) {
  return c_->Watch(
      range.begin, RangeEnd(range.end), static_cast<int64_t>(after) + 1,
      [&](const etcdpb::WatchResponse& resp) {
        ChangeSet set;
        for (const auto& ev : resp.events()) {
          auto rev = static_cast<uint64_t>(ev.kv().mod_revision());
          if (rev != set.version && !set.changes.empty()) {
            if (!fn(std::move(set))) return false;
            set = ChangeSet{};
          }
          set.version = rev;
          bool put = ev.type() == mvccpb::Event::PUT;
          set.changes.push_back(
              {ev.kv().key(), put ? std::optional<std::string>(ev.kv().value()) : std::nullopt});
        }
        return set.changes.empty() || fn(std::move(set));
      });
}

// Reads at revision r work from the compacted revision on: the smallest
// readable revision, by bisection (etcd 3.4 reports it nowhere else).
Result<uint64_t> EtcdEngine::OldestVersion() {
  JFS_ASSIGN_OR_RETURN(uint64_t now, Version());
  auto readable = [&](uint64_t rev) -> Result<bool> {
    etcdpb::RangeRequest req;
    req.set_key(std::string(1, '\0'));
    req.set_count_only(true);
    req.set_revision(static_cast<int64_t>(rev));
    etcdpb::RangeResponse resp;
    Status st = c_->Range(req, &resp);
    if (st.Is(Code::kNotFound)) return false;
    JFS_RETURN_IF_ERROR(st);
    return true;
  };
  uint64_t lo = 1, hi = now;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    JFS_ASSIGN_OR_RETURN(bool ok, readable(mid));
    if (ok) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::vector<std::pair<std::string, std::string>> EtcdEngine::Stats() {
  std::string members = "[", leader = "null";
  int64_t revision = 0, db_size = 0;
  auto statuses = c_->MemberStatuses();
  for (size_t i = 0; i < statuses.size(); i++) {
    const EtcdMemberStatus& m = statuses[i];
    members += i ? ",\n    {" : "\n    {";
    AppendGoQuoted(&members, "Endpoint");
    members += ": ";
    AppendGoQuoted(&members, m.endpoint);
    if (!m.error.ok()) {
      members += ", \"Error\": ";
      AppendGoQuoted(&members, m.error.message());
    } else {
      const auto& s = m.status;
      bool is_leader = s.leader() != 0 && s.leader() == s.header().member_id();
      char buf[256];
      snprintf(buf, sizeof(buf),
               ", \"Version\": \"%s\", \"MemberID\": \"%016llx\", \"IsLeader\": %s, "
               "\"RaftTerm\": %llu, \"RaftIndex\": %llu, \"DBSize\": %lld",
               s.version().c_str(), static_cast<unsigned long long>(s.header().member_id()),
               is_leader ? "true" : "false", static_cast<unsigned long long>(s.raftterm()),
               static_cast<unsigned long long>(s.raftindex()), static_cast<long long>(s.dbsize()));
      members += buf;
      revision = std::max(revision, s.header().revision());
      if (is_leader) {
        leader.clear();
        AppendGoQuoted(&leader, m.endpoint);
        db_size = s.dbsize();
      }
    }
    members += "}";
  }
  members += "\n  ]";
  return {{"Endpoints", members},
          {"Leader", leader},
          {"Revision", std::to_string(revision)},
          {"DBSize", std::to_string(db_size)}};
}

// One key a range, max-txn-ops ranges a read-only transaction.
Result<std::vector<StampedValue>> EtcdEngine::GetStampedMany(const std::vector<std::string>& keys) {
  std::vector<KeyRange> ranges;
  ranges.reserve(keys.size());
  for (const auto& k : keys) ranges.push_back({k, k + '\0'});
  std::vector<StampedValue> out(keys.size(), StampedValue{std::nullopt, 0});
  JFS_RETURN_IF_ERROR(
      RangeTxns(c_.get(), 0, ranges, false, [&](size_t i, const etcdpb::RangeResponse& r) {
        if (!r.kvs().empty()) out[i] = {r.kvs(0).value(), r.kvs(0).mod_revision()};
      }));
  return out;
}

Status EtcdEngine::Commit(const WriteBatch& batch) {
  if (batch.empty()) return Status::OK();
  bool adds = std::any_of(batch.ops.begin(), batch.ops.end(),
                          [](auto& op) { return op.kind == WriteBatch::OpKind::kAddLE64; });
  if (!batch.atomic && batch.conditions.empty() && !adds) return CommitParts(batch);
  return CommitAtomic(batch);
}

Status EtcdEngine::CheckLimits(const TxnPlan& p) const {
  const EtcdUrl& u = c_->url();
  size_t max_ops = static_cast<size_t>(u.max_txn_ops);
  if (p.compares > max_ops || p.ops > max_ops || p.bytes > u.max_request_bytes) {
    return Status::InvalidArgument(
        "one operation needs an etcd transaction of " + std::to_string(p.ops) + " writes, " +
        std::to_string(p.compares) + " compares and ~" + std::to_string(p.bytes) +
        " bytes, over the limits (max-txn-ops " + std::to_string(max_ops) + ", max-request-bytes " +
        std::to_string(u.max_request_bytes) +
        "); it was not applied. Raise --max-txn-ops/--max-request-bytes on the etcd servers and "
        "the same options in the META-URL");
  }
  return Status::OK();
}

// Reads the counters the batch adds to, resolves the final writes, and builds
// the guarded transaction.
Result<TxnPlan> EtcdEngine::Plan(const WriteBatch& batch, Writes* writes) {
  TxnPlan p;
  // The counters, read in one request (absent ones: stamp 0).
  std::map<std::string, StampedValue> counters;
  for (const auto& op : batch.ops) {
    if (op.kind == WriteBatch::OpKind::kAddLE64) counters[op.key] = StampedValue{std::nullopt, 0};
  }
  std::vector<KeyRange> ranges;
  for (const auto& [k, v] : counters) ranges.push_back({k, k + '\0'});
  JFS_RETURN_IF_ERROR(
      RangeTxns(c_.get(), 0, ranges, false, [&](size_t, const etcdpb::RangeResponse& r) {
        for (const auto& kv : r.kvs()) counters[kv.key()] = {kv.value(), kv.mod_revision()};
      }));
  JFS_ASSIGN_OR_RETURN(*writes, ResolveBatch(batch, [&](const std::string& k) {
    return Result<std::optional<std::string>>(counters.at(k).value);
  }));
  for (const auto& c : batch.conditions) {
    AddCompare(&p, c.key, c.stamp, &c.expected);
    if (c.stamp >= 0) p.stamps[c.key] = c.stamp;
  }
  for (const auto& [k, v] : counters) {
    AddCompare(&p, k, v.stamp, nullptr);
    p.stamps[k] = v.stamp < 0 ? 0 : v.stamp;
  }
  for (const auto& [k, v] : *writes) {
    AddWrite(&p.req, k, v);
    p.ops++;
    p.bytes += k.size() + (v ? v->size() : 0) + 16;
  }
  JFS_RETURN_IF_ERROR(CheckLimits(p));
  return p;
}

// Whether every condition of batch still holds (after a failed compare: if
// they do, only a counter moved and the commit is tried again).
Result<bool> EtcdEngine::ConditionsHold(const WriteBatch& batch) {
  for (const auto& c : batch.conditions) {
    JFS_ASSIGN_OR_RETURN(StampedValue now, GetAt(c_.get(), 0, c.key));
    bool same = c.stamp >= 0 ? now.stamp == c.stamp : now.value == c.expected;
    if (!same) return false;
  }
  return true;
}

// After a transaction with an unknown outcome: whether it was applied. It
// compared some key K it also writes against the mod_revision s0 it read, so
// if it was applied it was the first change of K after s0. Find that change
// (binary search over revisions, reading K at each) and check that at its
// revision R every key the transaction puts holds its value, changed at R.
// Other writers may have changed these keys since; history still shows R.
// Reads first go through the leader (Version), so a transaction the old
// leader had committed is applied by then.
Result<bool> EtcdEngine::Applied(const Writes& writes,
                                 const std::map<std::string, int64_t>& stamps) {
  const std::string* key = nullptr;
  int64_t s0 = -1;
  for (const auto& [k, v] : writes) {
    auto it = stamps.find(k);
    if (it != stamps.end() && it->second >= 0 && (!key || v)) {
      key = &k;
      s0 = it->second;
      if (v) break;  // prefer a put
    }
  }
  if (!key) return Status::Unavailable("etcd: a transaction's outcome is unknown");
  JFS_ASSIGN_OR_RETURN(uint64_t now, Version());
  auto mod_at = [&](int64_t rev) -> Result<int64_t> {
    JFS_ASSIGN_OR_RETURN(StampedValue v, GetAt(c_.get(), rev, *key));
    return v.stamp;
  };
  int64_t lo = s0 + 1, hi = static_cast<int64_t>(now);
  JFS_ASSIGN_OR_RETURN(int64_t latest, mod_at(hi));
  if (latest == s0 || lo > hi) return false;  // K never changed
  while (lo < hi) {                           // the first revision at which K is no longer at s0
    int64_t mid = lo + (hi - lo) / 2;
    JFS_ASSIGN_OR_RETURN(int64_t m, mod_at(mid));
    if (m != s0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  for (const auto& [k, v] : writes) {
    JFS_ASSIGN_OR_RETURN(StampedValue then, GetAt(c_.get(), lo, k));
    if (then.value != v || (v && then.stamp != lo)) return false;
  }
  return true;
}

Status EtcdEngine::CommitAtomic(const WriteBatch& batch) {
  thread_local std::mt19937 rng(std::random_device{}());
  Status last;
  for (int attempt = 0; attempt < 100; attempt++) {
    if (attempt > 0) {
      int cap_ms = std::min(10 << std::min(attempt, 6), 500);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % (cap_ms + 1)));
    }
    Writes writes;
    JFS_ASSIGN_OR_RETURN(TxnPlan plan, Plan(batch, &writes));
    etcdpb::TxnResponse resp;
    bool unknown = false;
    if (plan.compares == 0) {  // blind puts and deletes: resending is harmless
      return c_->IdempotentTxn(plan.req, &resp);
    }
    last = c_->WriteTxn(plan.req, &resp, &unknown);
    if (last.ok()) {
      if (resp.succeeded()) return Status::OK();
      JFS_ASSIGN_OR_RETURN(bool hold, ConditionsHold(batch));
      if (!hold) return Status::Conflict("a key read by this operation changed (etcd compare)");
      continue;  // only a counter moved: read it again
    }
    if (unknown) {
      JFS_ASSIGN_OR_RETURN(bool applied, Applied(writes, plan.stamps));
      if (applied) return Status::OK();
      continue;
    }
    if (!last.Is(Code::kUnavailable)) return last;
  }
  return last.ok() ? Status::Unavailable("etcd: counters kept changing; gave up after 100 tries")
                   : last;
}

// A bulk batch (no conditions, no counters: resending a part is harmless)
// in parts of at most max-txn-ops writes and max-request-bytes, several at a
// time.
Status EtcdEngine::CommitParts(const WriteBatch& batch) {
  const EtcdUrl& u = c_->url();
  size_t budget = u.max_request_bytes - std::min<size_t>(u.max_request_bytes / 8, 64 << 10);
  // Last write of a key wins (etcd refuses a key twice in one transaction).
  JFS_ASSIGN_OR_RETURN(Writes writes, ResolveBatch(batch, [](const std::string&) {
                         return Result<std::optional<std::string>>(std::nullopt);
                       }));
  TaskGroup group(4);
  auto part = std::make_shared<etcdpb::TxnRequest>();
  size_t ops = 0, bytes = 0;
  auto flush = [&]() -> Status {
    if (ops == 0) return Status::OK();
    auto req = std::move(part);
    part = std::make_shared<etcdpb::TxnRequest>();
    ops = bytes = 0;
    return group.Submit([this, req] {
      etcdpb::TxnResponse resp;
      return c_->IdempotentTxn(*req, &resp);
    });
  };
  for (const auto& [key, value] : writes) {
    size_t size = key.size() + (value ? value->size() : 0) + 16;
    if (size > budget) {
      return Status::InvalidArgument("a value of " + std::to_string(size) +
                                     " bytes is over etcd's max-request-bytes " +
                                     std::to_string(u.max_request_bytes));
    }
    if (ops + 1 > static_cast<size_t>(u.max_txn_ops) || bytes + size > budget) {
      JFS_RETURN_IF_ERROR(flush());
    }
    AddWrite(part.get(), key, value);
    ops++;
    bytes += size;
  }
  JFS_RETURN_IF_ERROR(flush());
  return group.Wait();
}

}  // namespace

Result<std::unique_ptr<KvEngine>> OpenEtcdEngine(const EngineUrl& url) {
  JFS_ASSIGN_OR_RETURN(EtcdUrl u, ParseEtcdUrl(url.rest));
  JFS_ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> client, EtcdClient::Connect(u));
  std::shared_ptr<EtcdClient> shared(std::move(client));
  auto engine = std::unique_ptr<KvEngine>(new EtcdEngine(shared));
  // Fail now, with the endpoints named, rather than at the first operation.
  JFS_RETURN_IF_ERROR(engine->Version().status().Annotate("cannot reach " + u.Redacted()));
  return engine;
}

}  // namespace jfsbr
