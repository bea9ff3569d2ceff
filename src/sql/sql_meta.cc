// Meta over an SQL database: a pool of connections, transactions, snapshots
// and bulk loads, the same for every database (sql/conn.h hides which).
#include "sql/sql_meta.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "meta/families.h"
#include "sql/mariadb.h"
#include "sql/mysql_url.h"
#include "sql/postgres.h"
#include "sql/record_runs.h"
#include "sql/rows.h"
#include "sql/schema.h"
#include "sql/sqlite.h"

namespace jfsbr {
namespace {
// ---- the Meta ----

class SqlMeta;

// A connection of the pool, given back when destroyed.
class PooledConn {
 public:
  PooledConn(SqlMeta* m, std::unique_ptr<SqlConn> db) : m_(m), db_(std::move(db)) {}
  PooledConn(PooledConn&&) = default;
  ~PooledConn();
  SqlConn* get() const { return db_.get(); }

 private:
  SqlMeta* m_;
  std::unique_ptr<SqlConn> db_;
};

using KeyLess = RecordKeyLess;  // orders the transaction's buffer

class SqlMeta : public Meta {
 public:
  // schema: JuiceFS's tables exist; complete: all of them (an older
  // JuiceFS's volume lacks the newer ones until a write adds them).
  using Opener = std::function<Result<std::unique_ptr<SqlConn>>()>;
  SqlMeta(Opener open, SqlDialect dialect, std::string describe, std::string prefix, bool schema,
          bool complete)
      : dialect_(dialect),
        open_(std::move(open)),
        describe_(std::move(describe)),
        prefix_(std::move(prefix)),
        schema_(schema),
        complete_(complete) {}

  Result<PooledConn> Take() {
    {
      std::lock_guard l(mu_);
      if (!free_.empty()) {
        auto db = std::move(free_.back());
        free_.pop_back();
        return PooledConn(this, std::move(db));
      }
    }
    JFS_ASSIGN_OR_RETURN(auto db, open_());
    db->SetTablePrefix(prefix_);
    return PooledConn(this, std::move(db));
  }
  void Give(std::unique_ptr<SqlConn> db) {
    std::lock_guard l(mu_);
    free_.push_back(std::move(db));
  }

  // SQLite has one writer per database, and its busy handler makes a
  // waiting writer sleep in steps of 1-100 ms while the lock may be free
  // again. This process's writers queue here instead and start as soon as
  // the last one ends (gc --compact of 20,000 chunks on ext4: 18 s against
  // 24 s, a third less system time). Other processes (a mounted juicefs)
  // still meet the busy handler. A writer waiting past the busy timeout
  // meets a conflict as it would from SQLite, so a nested writer on one
  // thread cannot hang.
  Result<std::unique_lock<std::timed_mutex>> QueueWriter() {
    std::unique_lock l(writer_, std::defer_lock);
    if (dialect_ == SqlDialect::kSqlite && !l.try_lock_for(std::chrono::seconds(5))) {
      return Status::Conflict("sqlite: another writer of this process held the database for 5 s");
    }
    return l;
  }

  bool has_schema() const { return schema_; }
  // Creates JuiceFS's tables (those missing), as `juicefs format` does.
  Status EnsureSchema(SqlConn* db) {
    if (schema_ && complete_) return Status::OK();
    for (const auto& t : sql::Tables()) {
      for (const auto& stmt : sql::CreateStatements(t, "jfs_", db->dialect())) {
        JFS_RETURN_IF_ERROR(db->Exec(stmt));
      }
    }
    schema_ = complete_ = true;
    return Status::OK();
  }

  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (!schema_) return std::optional<std::string>();
    JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
    return Rows(c.get()).Get(key);
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    if (!schema_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
    // In a read transaction: one state throughout, and the cursors of a
    // scan of PostgreSQL live in transactions.
    JFS_RETURN_IF_ERROR(c.get()->BeginRead());
    Status st = Rows(c.get()).Scan(range, fn);
    Status end = c.get()->Exec(st.ok() ? "COMMIT" : "ROLLBACK");
    return st.ok() ? end : st;
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<std::unique_ptr<MetaSnapshot>> SnapshotForReaders(int readers) override;
  Result<uint64_t> Version() override { return uint64_t{0}; }
  std::unique_ptr<MetaTxn> Begin() override;
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) override;
  Result<bool> Empty() override;
  // Empty, on a connection the caller holds.
  Result<bool> EmptyOn(SqlConn* db);
  Status Clear() override;
  std::string Describe() const override {
    return describe_ + (prefix_ == "jfs_" ? "" : " (tables " + prefix_ + "*)");
  }

 private:
  SqlDialect dialect_;
  Opener open_;
  std::string describe_;
  std::string prefix_;  // of every table: "jfs_", or "jfs_P_" with ?table_prefix=P
  std::atomic<bool> schema_, complete_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqlConn>> free_;
  std::timed_mutex writer_;  // SQLite only: see QueueWriter
};

PooledConn::~PooledConn() {
  if (db_) m_->Give(std::move(db_));
}

// One consistent state for the threads of a dump. Where the database can
// share a snapshot between connections (PostgreSQL), each thread reads on a
// connection of its own, joined to it when first needed. Where it cannot
// (MySQL), the connections for the readers asked for begin together while
// the volume's tables are held still. Otherwise (SQLite's one read
// transaction, or tables that could not be held) one connection serves one
// thread at a time. A thread that reads while its own scan runs (a scan's
// callback) reads on the connection it holds, except where joining is free.
class SqlSnapshot : public MetaSnapshot {
 public:
  SqlSnapshot(SqlMeta* m, bool schema) : m_(m), schema_(schema) {}
  ~SqlSnapshot() override {
    // The readers end before the transaction whose snapshot they share.
    for (size_t i = conns_.size(); i-- > 0;) (void)conns_[i]->get()->Exec("COMMIT");
  }
  Status Start(int readers) {
    if (schema_ && readers > 1) {
      JFS_ASSIGN_OR_RETURN(bool together, BeginTogether(readers));
      if (together) return Status::OK();
    }
    JFS_ASSIGN_OR_RETURN(SqlConn * first, Add());
    JFS_RETURN_IF_ERROR(Begin(first));
    if (schema_) JFS_ASSIGN_OR_RETURN(shared_, first->ShareSnapshot());
    return Status::OK();
  }
  size_t connections() const { return conns_.size(); }

  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (!schema_) return std::optional<std::string>();
    JFS_ASSIGN_OR_RETURN(SqlConn * c, Acquire());
    auto v = Rows(c).Get(key);
    Release(c);
    return v;
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    if (!schema_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(SqlConn * c, Acquire());
    Status st = Rows(c).Scan(range, fn);
    Release(c);
    return st;
  }
  uint64_t version() const override { return 0; }
  bool KindsStoredApart() const override { return true; }
  std::string OneReaderBecause() const override { return one_reader_because_; }

 private:
  // A connection of the pool, kept (and ended) by the snapshot.
  Result<SqlConn*> Add() {
    JFS_ASSIGN_OR_RETURN(PooledConn pc, m_->Take());
    conns_.push_back(std::make_unique<PooledConn>(std::move(pc)));
    return conns_.back()->get();
  }
  // A read transaction; its first read fixes what it sees (PostgreSQL and
  // SQLite take the snapshot then).
  Status Begin(SqlConn* c) {
    JFS_RETURN_IF_ERROR(c->BeginRead());
    if (schema_) JFS_RETURN_IF_ERROR(c->Exec("SELECT count(*) FROM jfs_setting"));
    free_.push_back(c);
    return Status::OK();
  }

  // readers connections begun while the volume's tables are held still.
  // False, with nothing begun, where they cannot be held: the database
  // shares snapshots instead or has no such hold, the user may not lock
  // tables, or a writer held on.
  Result<bool> BeginTogether(int readers) {
    JFS_ASSIGN_OR_RETURN(PooledConn holder, m_->Take());
    SqlConn* h = holder.get();
    if (h->dialect() != SqlDialect::kMysql) return false;
    JFS_ASSIGN_OR_RETURN(std::vector<std::string> present, h->Tables());
    std::vector<std::string> tables;
    for (const auto& t : sql::Tables()) {
      if (std::find(present.begin(), present.end(), h->table_prefix() + t.name) != present.end()) {
        tables.push_back("jfs_" + t.name);
      }
    }
    if (Status st = h->FreezeTables(tables); !st.ok()) {
      one_reader_because_ =
          st.Is(Code::kPermission) ? "the user may not LOCK TABLES (GRANT it for parallel reads)"
          : st.Is(Code::kConflict) ? "a writer kept its transaction open for 2 s"
                                   : "the tables could not be held: " + st.message();
      return false;
    }
    Status st;
    for (int i = 0; i < readers && st.ok(); i++) {
      auto c = Add();
      st = c.ok() ? Begin(*c) : c.status();
    }
    Status thaw = h->ThawTables();
    JFS_RETURN_IF_ERROR(st);
    JFS_RETURN_IF_ERROR(thaw);
    return true;
  }

  // A connection in the snapshot for this thread: the one it holds, a free
  // one, a new one that joins the snapshot where that is possible, or the
  // next one another thread gives back.
  Result<SqlConn*> Acquire() {
    std::unique_lock l(mu_);
    auto me = std::this_thread::get_id();
    if (shared_.empty()) {
      for (Held& h : held_) {
        if (h.thread == me) return h.depth++, h.conn;
      }
      given_back_.wait(l, [&] { return !free_.empty(); });
    } else if (free_.empty()) {
      l.unlock();
      JFS_ASSIGN_OR_RETURN(PooledConn pc, m_->Take());
      auto owned = std::make_unique<PooledConn>(std::move(pc));
      JFS_RETURN_IF_ERROR(owned->get()->JoinSnapshot(shared_));
      l.lock();
      conns_.push_back(std::move(owned));
      return conns_.back()->get();
    }
    SqlConn* c = free_.back();
    free_.pop_back();
    if (shared_.empty()) held_.push_back({me, c, 1});
    return c;
  }
  void Release(SqlConn* c) {
    std::lock_guard l(mu_);
    if (shared_.empty()) {
      auto h = std::find_if(held_.begin(), held_.end(), [&](const Held& x) { return x.conn == c; });
      if (--h->depth > 0) return;
      held_.erase(h);
    }
    free_.push_back(c);
    given_back_.notify_one();
  }

  struct Held {
    std::thread::id thread;
    SqlConn* conn;
    int depth;
  };
  SqlMeta* m_;
  bool schema_;
  std::string shared_;  // the snapshot's id, if the database shares snapshots
  std::mutex mu_;
  std::condition_variable given_back_;
  std::vector<std::unique_ptr<PooledConn>> conns_;  // [0] began first
  std::vector<SqlConn*> free_;
  std::vector<Held> held_;  // where snapshots are not shared: who reads on which
  std::string one_reader_because_;  // the tables could not be held (BeginTogether)
};

Result<std::unique_ptr<MetaSnapshot>> SqlMeta::Snapshot() { return SnapshotForReaders(1); }

Result<std::unique_ptr<MetaSnapshot>> SqlMeta::SnapshotForReaders(int readers) {
  auto s = std::make_unique<SqlSnapshot>(this, schema_.load());
  JFS_RETURN_IF_ERROR(s->Start(readers));
  return std::unique_ptr<MetaSnapshot>(std::move(s));
}

class SqlTxn : public MetaTxn {
 public:
  explicit SqlTxn(SqlMeta* m) : m_(m) {}
  ~SqlTxn() override {
    if (began_ && !done_) (void)conn_->get()->Exec("ROLLBACK");
  }

  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (auto it = buffer_.find(key); it != buffer_.end()) return it->second;
    if (auto it = prefetched_.find(key); it != prefetched_.end()) return it->second;
    JFS_RETURN_IF_ERROR(Start());
    return Rows(conn_->get()).Get(key);
  }
  // Slice refs only (a chunk's many references): one query for up to 500.
  Status Prefetch(std::span<const RecordKey> keys) override {
    JFS_RETURN_IF_ERROR(Start());
    Rows::Found found;
    JFS_RETURN_IF_ERROR(Rows(conn_->get()).GetSliceRefs(keys, &found));
    for (auto& [k, v] : found) prefetched_.emplace(k, std::move(v));
    return Status::OK();
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    JFS_RETURN_IF_ERROR(Start());
    return Rows(conn_->get()).Scan(range, fn);
  }
  void Put(const RecordKey& key, std::string value) override {
    buffer_[key] = value;
    ops_.push_back({key, std::move(value), false, 0});
  }
  void Delete(const RecordKey& key) override {
    buffer_[key] = std::nullopt;
    ops_.push_back({key, std::nullopt, false, 0});
  }
  void Add(const RecordKey& key, int64_t delta) override {
    ops_.push_back({key, std::nullopt, true, delta});
  }
  Status Commit() override {
    JFS_RETURN_IF_ERROR(Start());
    Rows rows(conn_->get());
    for (const auto& op : ops_) {
      Status st = op.add     ? rows.Add(op.key, op.delta)
                  : op.value ? rows.Put(op.key, *op.value)
                             : rows.Delete(op.key);
      // A duplicate key is a concurrent writer's insert: run again.
      if (st.Is(Code::kExists)) return Status::Conflict(st.message());
      JFS_RETURN_IF_ERROR(st.Annotate(Describe(op.key)));
    }
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
    done_ = true;
    if (writer_.owns_lock()) writer_.unlock();
    return Status::OK();
  }

 private:
  // Opened at the first read or at commit, as the database begins a
  // writer (sql/conn.h BeginWrite).
  Status Start() {
    if (began_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(writer_, m_->QueueWriter());
    JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
    conn_ = std::make_unique<PooledConn>(std::move(c));
    JFS_RETURN_IF_ERROR(m_->EnsureSchema(conn_->get()));
    JFS_RETURN_IF_ERROR(conn_->get()->BeginWrite());
    began_ = true;
    return Status::OK();
  }

  struct Op {
    RecordKey key;
    std::optional<std::string> value;
    bool add;
    int64_t delta;
  };
  SqlMeta* m_;
  std::unique_ptr<PooledConn> conn_;
  std::unique_lock<std::timed_mutex> writer_;  // SQLite: held from begin to end
  bool began_ = false, done_ = false;
  std::map<RecordKey, std::optional<std::string>, KeyLess> buffer_;
  // Read ahead, as Get would read them now (before any write of this txn).
  std::map<RecordKey, std::optional<std::string>, KeyLess> prefetched_;
  std::vector<Op> ops_;
};

std::unique_ptr<MetaTxn> SqlMeta::Begin() { return std::make_unique<SqlTxn>(this); }

// A load: records gathered in batches, each written in one transaction of
// plain inserts (COPY on PostgreSQL). SQLite has one writer, so its batches
// go one after the other on the caller's thread; PostgreSQL's go to worker
// threads with connections of their own, so the server stores one batch
// while this process parses the next.
class SqlBulkWriter : public MetaBulkWriter {
 public:
  SqlBulkWriter(SqlMeta* m, int workers) : m_(m), workers_(workers) {}
  ~SqlBulkWriter() override {
    Stop();
    (void)WaitEarlyBuilds();  // (they use mu_: before the members go)
  }

  Status Put(const RecordKey& key, std::string value) override {
    JFS_RETURN_IF_ERROR(Open());
    if (key.kind != run_kind_) {
      JFS_RETURN_IF_ERROR(RunEnded());
      run_kind_ = key.kind;
      run_ = 0;
    }
    run_++;
    batch_.emplace_back(key, std::move(value));
    records_++;
    if (batch_.size() >= (workers_ == 0 ? kInProcessBatch : kBatch)) return Submit();
    return Status::OK();
  }
  Status Finish() override {
    Status st = Open();
    if (st.ok()) st = Submit();
    if (st.ok() && runs_) st = WriteRuns();
    Stop();
    if (st.ok()) st = FirstError();
    // The last tables' indexes build beside the early builds still running
    // (MariaDB: one ALTER TABLE uses a core and a half at most).
    if (st.ok()) st = BuildDeferredIndexes();
    Status early = WaitEarlyBuilds();
    JFS_RETURN_IF_ERROR(st);
    JFS_RETURN_IF_ERROR(early);
    return MergeSliceRefs();
  }
  uint64_t records() const override { return records_; }

 private:
  using Batch = std::vector<std::pair<RecordKey, std::string>>;
  static constexpr size_t kBatch = 20000;
  // SQLite's batches are written in key order, and bigger: a binary dump of
  // a TKV volume lists inodes in the order of their little-endian keys, so
  // each batch of it inserted in that order rewrote pages all over every
  // table's B-tree (1.1 M files: 29 s against 7 s for a dump in inode
  // order; sorted batches of 100,000: 13.5 s, for 20 MiB more memory).
  // Once a batch goes back in the tables' order (see InOrder), it and every
  // later one become sorted runs on disk (RecordRuns), written merged at
  // the end.
  static constexpr size_t kInProcessBatch = 100000;

  // A key met twice: the dump names the same record twice.
  static Status Damaged(Status st) {
    if (st.Is(Code::kExists) || st.message().find("UNIQUE") != std::string::npos) {
      return Status::Corruption("the dump names the same record twice (a damaged dump?): " +
                                st.message());
    }
    return st;
  }

  Status Open() {
    if (conn_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
    conn_ = std::make_unique<PooledConn>(std::move(c));
    JFS_RETURN_IF_ERROR(m_->EnsureSchema(conn_->get()));
    JFS_RETURN_IF_ERROR(DeferIndexes());
    for (int i = 0; i < workers_; i++) {
      JFS_ASSIGN_OR_RETURN(PooledConn wc, m_->Take());
      threads_.emplace_back(
          [this, c = std::make_shared<PooledConn>(std::move(wc))] { Work(c->get()); });
    }
    return Status::OK();
  }

  // One batch in one transaction.
  Status Write(SqlConn* c, const Batch& batch) {
    JFS_RETURN_IF_ERROR(c->BeginWrite());
    JFS_RETURN_IF_ERROR(c->SetPipelined(true));
    Rows rows(c, bulk_);
    for (const auto& [key, value] : batch) {
      Status st = rows.Put(key, value);
      if (!st.ok()) {
        (void)c->SetPipelined(false);
        (void)c->Exec("ROLLBACK");
        return Damaged(st.Annotate(Describe(key)));
      }
    }
    Status st = c->Exec("COMMIT");  // sends what the pipeline and COPY hold
    Status off = c->SetPipelined(false);
    if (!st.ok()) (void)c->Exec("ROLLBACK");
    return Damaged(st.ok() ? off : st);
  }

  Status Submit() {
    if (batch_.empty()) return FirstError();
    Batch b;
    b.swap(batch_);
    batch_.reserve(b.size());  // the next one grows without moving its records
    if (workers_ > 0) return Hand(std::move(b));
    std::sort(b.begin(), b.end(),
              [](const auto& x, const auto& y) { return KeyLess()(x.first, y.first); });
    if (!runs_ && InOrder(b)) return Hand(std::move(b));
    if (!runs_) runs_ = std::make_unique<RecordRuns>();
    return runs_->AddRun(b);
  }

  // Does sorted batch b move on from the batches before it? Judged by its
  // nodes, the table that is a B-tree by inode (edges, chunks and xattrs
  // are appended by id; their indexes are built at the end): the batch's
  // nodes must start (at their tenth percentile, which a few stray inodes
  // do not move) past the middle of the last batch's. A dump in inode order
  // moves on; a TKV volume's binary dump spreads every batch over all inodes
  // (in little-endian key order), so each starts near the beginning again.
  bool InOrder(const Batch& b) {
    auto first = std::find_if(b.begin(), b.end(),
                              [](const auto& r) { return r.first.kind == RecordKind::kAttr; });
    auto end = std::find_if(first, b.end(),
                            [](const auto& r) { return r.first.kind != RecordKind::kAttr; });
    if (end - first < 100) return true;  // too few to say
    bool moves_on = first[(end - first) / 10].first.ino >= last_median_;
    last_median_ = first[(end - first) / 2].first.ino;
    return moves_on;
  }

  // The runs merged, in batches.
  Status WriteRuns() {
    JFS_RETURN_IF_ERROR(runs_->Merge([&](RecordKey&& k, std::string&& v) {
      batch_.emplace_back(std::move(k), std::move(v));
      if (batch_.size() < kInProcessBatch) return Status::OK();
      Batch b;
      b.swap(batch_);
      return Hand(std::move(b));
    }));
    Batch b;
    b.swap(batch_);
    return b.empty() ? Status::OK() : Hand(std::move(b));
  }

  // Writes batch b: at once without workers, else through their queue.
  Status Hand(Batch b) {
    if (workers_ == 0) return Write(conn_->get(), b);
    std::unique_lock l(mu_);
    // At most one batch waiting per worker: memory stays bounded.
    room_.wait(l, [&] { return queue_.size() < static_cast<size_t>(workers_) || !error_.ok(); });
    if (!error_.ok()) return error_;
    queue_.emplace_back(++handed_, std::move(b));
    ready_.notify_one();
    return Status::OK();
  }

  void Work(SqlConn* c) {
    while (true) {
      uint64_t seq;
      Batch b;
      {
        std::unique_lock l(mu_);
        ready_.wait(l, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;
        seq = queue_.front().first;
        b = std::move(queue_.front().second);
        queue_.pop_front();
        room_.notify_all();
      }
      Status st = error_seen_ ? Status::OK() : Write(c, b);
      std::lock_guard l(mu_);
      if (!st.ok()) {
        if (error_.ok()) error_ = st;
        error_seen_ = true;
        room_.notify_all();
      }
      // Batches end out of order; written_ counts those ended without a gap.
      ended_.insert(seq);
      while (ended_.erase(written_ + 1) > 0) written_++;
      written_cv_.notify_all();
    }
  }

  // A long run of one kind has ended. In a dump made from SQL (a table at
  // a time) the run was the table's rows: its deferred indexes are built
  // now, on a connection of their own, once the batches holding the run are
  // written, while the workers load the next tables (MariaDB's server uses
  // about one core for the two workers' inserts). A kind that comes back
  // later (a dump's last short segment) is inserted with the index built.
  // Only a first run counts: the interleaved kinds of a JSON dump, or of a
  // TKV volume's binary dump (segments of 10,000), keep theirs to the end.
  Status RunEnded() {
    const char* table = DeferredTableOf(run_kind_);
    if (table == nullptr || !ended_runs_.insert(table).second) return Status::OK();
    auto stmts = deferred_.find(table);
    if (workers_ == 0 || run_ < kEarlyRun || stmts == deferred_.end()) return Status::OK();
    JFS_RETURN_IF_ERROR(Submit());
    uint64_t through;
    {
      std::lock_guard l(mu_);
      through = handed_;
    }
    JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
    std::vector<std::string> job = Job(std::move(stmts->second));
    deferred_.erase(stmts);
    early_.push_back(std::async(std::launch::async,
                                [this, through, job = std::move(job),
                                 c = std::make_shared<PooledConn>(std::move(c))]() -> Status {
                                  {
                                    std::unique_lock l(mu_);
                                    written_cv_.wait(l, [&] {
                                      return written_ >= through || error_seen_;
                                    });
                                    if (error_seen_) return Status::OK();  // reported by Finish
                                  }
                                  for (const auto& st : job) {
                                    JFS_RETURN_IF_ERROR(Damaged(c->get()->Exec(st)));
                                  }
                                  return Status::OK();
                                }));
    return Status::OK();
  }

  Status WaitEarlyBuilds() {
    Status first;
    for (auto& f : early_) {
      Status st = f.get();
      if (first.ok()) first = st;
    }
    early_.clear();
    return first;
  }

  // The table of a kind whose indexes a load defers (DeferIndexes).
  static const char* DeferredTableOf(RecordKind kind) {
    switch (kind) {
      case RecordKind::kEntry:
        return "edge";
      case RecordKind::kChunk:
        return "chunk";
      case RecordKind::kXattr:
        return "xattr";
      case RecordKind::kSliceRef:
        return "chunk_ref";
      default:
        return nullptr;
    }
  }

  void Stop() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
      ready_.notify_all();
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  Status FirstError() {
    std::lock_guard l(mu_);
    return error_;
  }

  // Secondary indexes cost every insert another B-tree update; a load into
  // empty tables drops them and builds them at the end, from rows it writes
  // once each (a damaged dump naming a record twice then fails there, in one
  // line). Loads are the only writers of an empty volume.
  Status DeferIndexes() {
    SqlConn* c = conn_->get();
    JFS_ASSIGN_OR_RETURN(bulk_, m_->EmptyOn(c));
    if (!bulk_) return Status::OK();
    for (const auto& t : sql::Tables()) {
      for (const auto& stmt : sql::CreateStatements(t, "jfs_", c->dialect())) {
        bool unique = stmt.starts_with("CREATE UNIQUE INDEX");
        if (!unique && !stmt.starts_with("CREATE INDEX")) continue;
        // The unique ones of the tables inserted plainly (Rows' bulk mode);
        // the others' upserts (sustained) need theirs.
        if (unique && t.name != "edge" && t.name != "chunk" && t.name != "xattr") continue;
        size_t a = stmt.find('`'), b = stmt.find('`', a + 1);
        std::string drop = "DROP INDEX IF EXISTS " + stmt.substr(a, b - a + 1);
        // MySQL names an index within its table.
        if (c->dialect() == SqlDialect::kMysql) drop += " ON `jfs_" + t.name + "`";
        JFS_RETURN_IF_ERROR(c->Exec(drop));
        deferred_[t.name].push_back(stmt);
      }
    }
    if (c->dialect() == SqlDialect::kPostgres) {
      JFS_RETURN_IF_ERROR(
          c->Exec("ALTER TABLE jfs_chunk_ref DROP CONSTRAINT IF EXISTS jfs_chunk_ref_pkey"));
      refs_unkeyed_ = true;
    }
    return Status::OK();
  }

  // The indexes dropped at the start, built once from the loaded rows. A
  // table's come in one pass over its rows where the dialect allows (MySQL's
  // ALTER TABLE adds several); with workers, two builds run at once, on this
  // connection and a second (the server has the cores the loads used).
  Status BuildDeferredIndexes() {
    std::vector<std::vector<std::string>> jobs;  // statements run in order on one connection
    for (auto& [table, stmts] : deferred_) {
      if (conn_->get()->dialect() == SqlDialect::kMysql) {
        jobs.push_back({AsOneAlter(stmts)});
      } else {
        for (auto& st : stmts) jobs.push_back({st});
      }
    }
    deferred_.clear();
    std::atomic<size_t> next{0};
    auto run = [&](SqlConn* c) -> Status {
      for (size_t i; (i = next++) < jobs.size();) {
        for (const auto& st : jobs[i]) JFS_RETURN_IF_ERROR(Damaged(c->Exec(st)));
      }
      return Status::OK();
    };
    if (workers_ == 0 || jobs.size() < 2) return run(conn_->get());
    JFS_ASSIGN_OR_RETURN(PooledConn second, m_->Take());
    auto other = std::async(std::launch::async, [&] { return run(second.get()); });
    Status st = run(conn_->get());
    Status st2 = other.get();
    return st.ok() ? st2 : st;
  }

  // A table's deferred statements as the dialect runs them best: MySQL's
  // ALTER TABLE adds several indexes in one pass over the rows.
  std::vector<std::string> Job(std::vector<std::string> stmts) const {
    if (conn_->get()->dialect() != SqlDialect::kMysql) return stmts;
    return {AsOneAlter(stmts)};
  }

  // "CREATE [UNIQUE] INDEX IF NOT EXISTS `i` ON `t` (cols)", several of one
  // table, as one "ALTER TABLE `t` ADD [UNIQUE] INDEX IF NOT EXISTS `i` (cols), ...".
  static std::string AsOneAlter(const std::vector<std::string>& stmts) {
    constexpr size_t kCreate = std::string_view("CREATE ").size();
    std::string alter, adds;
    for (const auto& st : stmts) {
      size_t on = st.find(" ON "), cols = st.find(" (", on);
      std::string head = st.substr(kCreate, on - kCreate);
      if (alter.empty()) alter = "ALTER TABLE " + st.substr(on + 4, cols - on - 4);
      adds += std::string(adds.empty() ? " ADD " : ", ADD ") + head + st.substr(cols);
    }
    return alter + adds;
  }

  // A PostgreSQL load writes chunk_ref without its key (Rows' bulk mode):
  // one row per slice reference, the count of a shared slice in a row of
  // its own. Merged here, then the key comes back under JuiceFS's name.
  Status MergeSliceRefs() {
    if (!refs_unkeyed_) return Status::OK();
    SqlConn* c = conn_->get();
    static constexpr const char* kKey =
        "ALTER TABLE jfs_chunk_ref ADD CONSTRAINT jfs_chunk_ref_pkey PRIMARY KEY (chunkid)";
    Status st = c->Exec(kKey);
    if (!st.Is(Code::kExists)) return st;  // no slice is shared: done at once
    for (const char* stmt :
         {"BEGIN",
          "CREATE TEMP TABLE jfsbr_refs ON COMMIT DROP AS SELECT chunkid, max(size) AS size, "
          "max(refs) AS refs FROM jfs_chunk_ref GROUP BY chunkid HAVING count(*) > 1",
          "DELETE FROM jfs_chunk_ref WHERE chunkid IN (SELECT chunkid FROM jfsbr_refs)",
          "INSERT INTO jfs_chunk_ref(chunkid, size, refs) SELECT chunkid, size, refs FROM "
          "jfsbr_refs",
          kKey, "COMMIT"}) {
      JFS_RETURN_IF_ERROR(c->Exec(stmt));
    }
    refs_unkeyed_ = false;
    return Status::OK();
  }

  SqlMeta* m_;
  const int workers_;
  std::unique_ptr<PooledConn> conn_;
  bool bulk_ = false;  // the tables were empty: plain inserts
  bool refs_unkeyed_ = false;
  uint64_t records_ = 0;
  Batch batch_;
  Ino last_median_ = 0;               // of the last batch's nodes' inodes
  std::unique_ptr<RecordRuns> runs_;  // once the input went back in some kind's order
  std::map<std::string, std::vector<std::string>> deferred_;  // by table
  // Runs of one kind in the input (RunEnded): a first run this long ends in
  // an early index build. 100,000: five batches, far more than the 10,000
  // records of a binary dump's segment.
  static constexpr uint64_t kEarlyRun = 100000;
  RecordKind run_kind_ = RecordKind::kUnknown;
  uint64_t run_ = 0;
  std::set<std::string> ended_runs_;           // tables whose first run has ended
  std::vector<std::future<Status>> early_;     // index builds begun before Finish

  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::pair<uint64_t, Batch>> queue_;  // numbered from 1
  uint64_t handed_ = 0, written_ = 0;              // batches numbered, written without a gap
  std::set<uint64_t> ended_;                       // written past a gap
  std::condition_variable written_cv_;
  bool stopping_ = false;
  std::atomic<bool> error_seen_{false};
  Status error_;
  std::vector<std::thread> threads_;
};

std::unique_ptr<MetaBulkWriter> SqlMeta::NewBulkWriter(int threads) {
  // Two workers keep a server busy while this process parses (more only
  // add transactions that wait for the same disk).
  int workers = dialect_ == SqlDialect::kSqlite ? 0 : std::clamp(threads, 1, 2);
  return std::make_unique<SqlBulkWriter>(this, workers);
}

Result<bool> SqlMeta::Empty() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  return EmptyOn(c.get());
}

Result<bool> SqlMeta::EmptyOn(SqlConn* db) {
  JFS_ASSIGN_OR_RETURN(auto tables, db->Tables());
  for (const auto& t : tables) {
    // Only this volume's tables count: table_prefix exists so that several
    // volumes (or other data) share one database.
    if (!t.starts_with(prefix_)) continue;
    // Named as the SQL given to Prepare names tables: "jfs_" + the rest.
    std::string name = "jfs_" + t.substr(prefix_.size());
    JFS_ASSIGN_OR_RETURN(StmtRef q, db->Prepare("SELECT 1 FROM `" + name + "` LIMIT 1"));
    JFS_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) return false;
  }
  return true;
}

Status SqlMeta::Clear() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  if (schema_) {
    // The setting first, on its own: a clear cut short never leaves a volume.
    JFS_RETURN_IF_ERROR(c.get()->Exec("DELETE FROM jfs_setting WHERE name = 'format'"));
  }
  // Dropped, not emptied: juicefs load wants a database without tables.
  for (const auto& t : sql::Tables()) {
    JFS_RETURN_IF_ERROR(c.get()->Exec("DROP TABLE IF EXISTS `jfs_" + t.name + "`"));
  }
  schema_ = false;
  std::lock_guard l(mu_);
  free_.clear();  // statements prepared against the dropped tables
  return Status::OK();
}

// The URL's options JuiceFS reads itself: table_prefix (any database) and
// search_path (PostgreSQL). The others stay in *rest for the driver.
struct UrlOptions {
  std::string prefix = "jfs_";
  std::string search_path;
};

Result<UrlOptions> TakeOptions(std::string_view url, std::string* query) {
  UrlOptions o;
  std::string kept;
  for (size_t at = 0; at < query->size();) {
    size_t end = std::min(query->find('&', at), query->size());
    std::string opt = query->substr(at, end - at);
    at = end + 1;
    if (opt.starts_with("table_prefix=")) {
      std::string p = opt.substr(13);
      if (p.empty() ||
          p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        return Status::InvalidArgument("table_prefix '" + p + "' in '" + std::string(url) +
                                       "': lower-case letters, digits and '_' only");
      }
      o.prefix = "jfs_" + p + "_";
    } else if (opt.starts_with("search_path=")) {
      o.search_path = opt.substr(12);
      if (o.search_path.find_first_of(" ;'\"\\") != std::string::npos) {
        return Status::InvalidArgument("search_path '" + o.search_path + "' in '" +
                                       std::string(url) + "': a list of schema names");
      }
    } else if (!opt.empty()) {
      kept += (kept.empty() ? "" : "&") + opt;
    }
  }
  *query = kept;
  return o;
}

// The SqlMeta over what open reaches: which of JuiceFS's tables exist.
Result<std::unique_ptr<Meta>> MakeSqlMeta(SqlMeta::Opener open, std::string describe,
                                          const std::string& prefix) {
  JFS_ASSIGN_OR_RETURN(auto db, open());
  db->SetTablePrefix(prefix);
  JFS_ASSIGN_OR_RETURN(auto tables, db->Tables());
  size_t ours = 0;
  bool schema = false;
  for (const auto& t : tables) {
    if (!t.starts_with(prefix)) continue;
    ours++;
    schema = schema || t == prefix + "setting";
  }
  return std::unique_ptr<Meta>(std::make_unique<SqlMeta>(std::move(open), db->dialect(),
                                                         std::move(describe), prefix, schema,
                                                         ours >= sql::Tables().size()));
}

}  // namespace

Result<std::unique_ptr<Meta>> OpenSqliteMeta(std::string_view url, bool create) {
  std::string rest(url.substr(url.find("://") + 3)), query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    // The options other than JuiceFS's own are its SQLite driver's (cache,
    // _journal, _timeout...), which this engine sets its own way.
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  JFS_ASSIGN_OR_RETURN(UrlOptions o, TakeOptions(url, &query));
  if (rest.empty()) {
    return Status::InvalidArgument("malformed META-URL '" + std::string(url) +
                                   "': expected sqlite3://PATH");
  }
  std::string path(rest);
  struct stat st;
  bool exists = stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(path + " is a directory; sqlite3:// takes a database file");
  }
  if (!create && !exists) return Status::NotFound("no database at " + path + " (sqlite3)");
  // The first open creates the file; the pool's connections open it as is.
  JFS_RETURN_IF_ERROR(SqliteConn::Open(path, create).status());
  return MakeSqlMeta(
      [path]() -> Result<std::unique_ptr<SqlConn>> {
        JFS_ASSIGN_OR_RETURN(auto c, SqliteConn::Open(path, false));
        return std::unique_ptr<SqlConn>(std::move(c));
      },
      "sqlite3://" + path, o.prefix);
}

Result<std::unique_ptr<Meta>> OpenPostgresMeta(std::string_view url, bool) {
  std::string uri(url), query;
  if (size_t q = uri.find('?'); q != std::string::npos) {
    query = uri.substr(q + 1);
    uri.resize(q);
  }
  JFS_ASSIGN_OR_RETURN(UrlOptions o, TakeOptions(url, &query));
  PgOptions pg;
  pg.uri = uri + (query.empty() ? "" : "?" + query);
  pg.search_path = o.search_path;
  // JuiceFS's way to keep the password out of the URL (and of ps).
  size_t at = uri.find('@'), scheme = uri.find("://") + 3;
  bool has_password =
      at != std::string::npos && uri.substr(scheme, at - scheme).find(':') != std::string::npos;
  if (const char* env = getenv("META_PASSWORD"); env && *env && !has_password) pg.password = env;
  JFS_ASSIGN_OR_RETURN(auto first, PgConn::Open(pg));
  std::string where = "postgres://" + first->Where();
  return MakeSqlMeta(
      [pg]() -> Result<std::unique_ptr<SqlConn>> {
        JFS_ASSIGN_OR_RETURN(auto c, PgConn::Open(pg));
        return std::unique_ptr<SqlConn>(std::move(c));
      },
      where, o.prefix);
}

Result<std::unique_ptr<Meta>> OpenMysqlMeta(std::string_view url, bool) {
  std::string query;
  JFS_ASSIGN_OR_RETURN(MysqlOptions my, ParseMysqlUrl(url, &query));
  JFS_ASSIGN_OR_RETURN(UrlOptions o, TakeOptions(url, &query));
  JFS_RETURN_IF_ERROR(ApplyMysqlOptions(url, query, &my));
  if (const char* env = getenv("META_PASSWORD"); env && *env && !my.has_password) {
    my.password = env;
  }
  JFS_RETURN_IF_ERROR(MariaConn::Open(my).status());
  return MakeSqlMeta(
      [my]() -> Result<std::unique_ptr<SqlConn>> {
        JFS_ASSIGN_OR_RETURN(auto c, MariaConn::Open(my));
        return std::unique_ptr<SqlConn>(std::move(c));
      },
      "mysql://" + DescribeMysql(my), o.prefix);
}

}  // namespace jfsbr
