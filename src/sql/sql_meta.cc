// Meta over SQLite: each RecordKind to its table's rows and back.
#include "sql/sql_meta.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "meta/families.h"
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
  PooledConn(SqlMeta* m, std::unique_ptr<SqliteDb> db) : m_(m), db_(std::move(db)) {}
  PooledConn(PooledConn&&) = default;
  ~PooledConn();
  SqliteDb* get() const { return db_.get(); }

 private:
  SqlMeta* m_;
  std::unique_ptr<SqliteDb> db_;
};

// Orders RecordKeys for the transaction's buffer.
struct KeyLess {
  bool operator()(const RecordKey& a, const RecordKey& b) const {
    return std::tie(a.kind, a.ino, a.other, a.name, a.id, a.index, a.ts) <
           std::tie(b.kind, b.ino, b.other, b.name, b.id, b.index, b.ts);
  }
};

class SqlMeta : public Meta {
 public:
  // schema: JuiceFS's tables exist; complete: all of them (an older
  // JuiceFS's volume lacks the newer ones until a write adds them).
  SqlMeta(std::string path, std::string prefix, bool schema, bool complete)
      : path_(std::move(path)), prefix_(std::move(prefix)), schema_(schema), complete_(complete) {}

  Result<PooledConn> Take() {
    {
      std::lock_guard l(mu_);
      if (!free_.empty()) {
        auto db = std::move(free_.back());
        free_.pop_back();
        return PooledConn(this, std::move(db));
      }
    }
    JFS_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path_, false));
    db->SetTablePrefix(prefix_);
    return PooledConn(this, std::move(db));
  }
  void Give(std::unique_ptr<SqliteDb> db) {
    std::lock_guard l(mu_);
    free_.push_back(std::move(db));
  }

  bool has_schema() const { return schema_; }
  // Creates JuiceFS's tables (those missing), as `juicefs format` does.
  Status EnsureSchema(SqliteDb* db) {
    if (schema_ && complete_) return Status::OK();
    for (const auto& t : sql::SqliteTables()) {
      for (const auto& stmt : sql::CreateStatements(t, "jfs_")) JFS_RETURN_IF_ERROR(db->Exec(stmt));
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
    return Rows(c.get()).Scan(range, fn);
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<uint64_t> Version() override { return uint64_t{0}; }
  std::unique_ptr<MetaTxn> Begin() override;
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) override;
  Result<bool> Empty() override;
  // Empty, on a connection the caller holds.
  Result<bool> EmptyOn(SqliteDb* db);
  Status Clear() override;
  std::string Describe() const override {
    return "sqlite3://" + path_ + (prefix_ == "jfs_" ? "" : " (tables " + prefix_ + "*)");
  }

 private:
  std::string path_;
  std::string prefix_;  // of every table: "jfs_", or "jfs_P_" with ?table_prefix=P
  std::atomic<bool> schema_, complete_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteDb>> free_;
};

PooledConn::~PooledConn() {
  if (db_) m_->Give(std::move(db_));
}

// One read transaction, shared by the threads of a dump (one at a time).
class SqlSnapshot : public MetaSnapshot {
 public:
  SqlSnapshot(PooledConn c, bool schema) : c_(std::move(c)), schema_(schema) {}
  ~SqlSnapshot() override { (void)c_.get()->Exec("COMMIT"); }
  Status Start() {
    JFS_RETURN_IF_ERROR(c_.get()->Exec("BEGIN"));
    if (!schema_) return Status::OK();
    // The first read fixes what the whole transaction sees (WAL mode).
    return c_.get()->Exec("SELECT count(*) FROM jfs_setting");
  }
  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (!schema_) return std::optional<std::string>();
    std::lock_guard l(mu_);
    return Rows(c_.get()).Get(key);
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    if (!schema_) return Status::OK();
    std::lock_guard l(mu_);
    return Rows(c_.get()).Scan(range, fn);
  }
  uint64_t version() const override { return 0; }

 private:
  PooledConn c_;
  bool schema_;
  std::recursive_mutex mu_;  // a scan's callback may read the same snapshot
};

Result<std::unique_ptr<MetaSnapshot>> SqlMeta::Snapshot() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  auto s = std::make_unique<SqlSnapshot>(std::move(c), schema_.load());
  JFS_RETURN_IF_ERROR(s->Start());
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
    JFS_RETURN_IF_ERROR(Start());
    return Rows(conn_->get()).Get(key);
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
      JFS_RETURN_IF_ERROR(st.Annotate(Describe(op.key)));
    }
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
    done_ = true;
    return Status::OK();
  }

 private:
  // SQLite's write lock at the first read or at commit: the transaction
  // then sees one state, and its commit cannot conflict.
  Status Start() {
    if (began_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
    conn_ = std::make_unique<PooledConn>(std::move(c));
    JFS_RETURN_IF_ERROR(m_->EnsureSchema(conn_->get()));
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("BEGIN IMMEDIATE"));
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
  bool began_ = false, done_ = false;
  std::map<RecordKey, std::optional<std::string>, KeyLess> buffer_;
  std::vector<Op> ops_;
};

std::unique_ptr<MetaTxn> SqlMeta::Begin() { return std::make_unique<SqlTxn>(this); }

// Large transactions on one connection: SQLite has one writer, so threads
// would only wait for each other.
class SqlBulkWriter : public MetaBulkWriter {
 public:
  explicit SqlBulkWriter(SqlMeta* m) : m_(m) {}
  ~SqlBulkWriter() override {
    if (open_) (void)conn_->get()->Exec("ROLLBACK");
  }
  Status Put(const RecordKey& key, std::string value) override {
    JFS_RETURN_IF_ERROR(Open());
    JFS_RETURN_IF_ERROR(
        Rows(conn_->get(), !deferred_.empty()).Put(key, value).Annotate(Describe(key)));
    records_++;
    if (++in_txn_ >= kBatch) {
      JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
      open_ = false;
    }
    return Status::OK();
  }
  Status Finish() override {
    if (open_) {
      open_ = false;
      JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
    }
    // The indexes dropped at the start, built once from the sorted rows.
    for (const auto& stmt : deferred_) {
      Status st = conn_->get()->Exec(stmt);
      if (!st.ok() && st.message().find("UNIQUE") != std::string::npos) {
        return Status::Corruption("the dump names the same record twice (a damaged dump?): " +
                                  st.message());
      }
      JFS_RETURN_IF_ERROR(st);
    }
    deferred_.clear();
    return Status::OK();
  }
  uint64_t records() const override { return records_; }

 private:
  static constexpr uint64_t kBatch = 50000;
  Status Open() {
    if (open_) return Status::OK();
    if (!conn_) {
      JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
      conn_ = std::make_unique<PooledConn>(std::move(c));
      JFS_RETURN_IF_ERROR(m_->EnsureSchema(conn_->get()));
      JFS_RETURN_IF_ERROR(DeferIndexes());
    }
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("BEGIN IMMEDIATE"));
    open_ = true;
    in_txn_ = 0;
    return Status::OK();
  }
  // Secondary indexes cost every insert another B-tree update; a load into
  // empty tables drops them and builds them at the end, from rows it writes
  // once each (a damaged dump naming a record twice then fails there, in one
  // line). Loads are the only writers of an empty volume.
  Status DeferIndexes() {
    JFS_ASSIGN_OR_RETURN(bool empty, m_->EmptyOn(conn_->get()));
    if (!empty) return Status::OK();
    for (const auto& t : sql::SqliteTables()) {
      for (const auto& stmt : sql::CreateStatements(t, "jfs_")) {
        bool unique = stmt.starts_with("CREATE UNIQUE INDEX");
        if (!unique && !stmt.starts_with("CREATE INDEX")) continue;
        // The unique ones of the tables inserted plainly (Rows' bulk mode);
        // the others' upserts (sustained) need theirs.
        if (unique && t.name != "edge" && t.name != "chunk" && t.name != "xattr") continue;
        size_t a = stmt.find('`'), b = stmt.find('`', a + 1);
        JFS_RETURN_IF_ERROR(
            conn_->get()->Exec("DROP INDEX IF EXISTS " + stmt.substr(a, b - a + 1)));
        deferred_.push_back(stmt);
      }
    }
    return Status::OK();
  }

  SqlMeta* m_;
  std::unique_ptr<PooledConn> conn_;
  bool open_ = false;
  uint64_t in_txn_ = 0, records_ = 0;
  std::vector<std::string> deferred_;
};

std::unique_ptr<MetaBulkWriter> SqlMeta::NewBulkWriter(int) {
  return std::make_unique<SqlBulkWriter>(this);
}

Result<bool> SqlMeta::Empty() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  return EmptyOn(c.get());
}

Result<bool> SqlMeta::EmptyOn(SqliteDb* db) {
  JFS_ASSIGN_OR_RETURN(StmtRef s, db->Prepare("SELECT name FROM sqlite_master WHERE type = "
                                              "'table' AND name NOT LIKE 'sqlite_%'"));
  std::vector<std::string> tables;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    tables.emplace_back(s->ColBlob(0));
  }
  for (const auto& t : tables) {
    // Only this volume's tables count: table_prefix exists so that several
    // volumes (or other data) share one database file.
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
  for (const auto& t : sql::SqliteTables()) {
    JFS_RETURN_IF_ERROR(c.get()->Exec("DROP TABLE IF EXISTS `jfs_" + t.name + "`"));
  }
  schema_ = false;
  std::lock_guard l(mu_);
  free_.clear();  // statements prepared against the dropped tables
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Meta>> OpenSqliteMeta(std::string_view url, bool create) {
  std::string_view rest = url.substr(url.find("://") + 3);
  std::string prefix = "jfs_";
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    // JuiceFS's own table_prefix; the rest are its SQLite driver's options
    // (cache, _journal, _timeout...), which this engine sets its own way.
    std::string_view opts = rest.substr(q + 1);
    rest = rest.substr(0, q);
    for (size_t at = 0; at <= opts.size();) {
      size_t end = std::min(opts.find('&', at), opts.size());
      std::string_view opt = opts.substr(at, end - at);
      if (opt.starts_with("table_prefix=")) {
        std::string p(opt.substr(13));
        if (p.empty() ||
            p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
          return Status::InvalidArgument("table_prefix '" + p + "' in '" + std::string(url) +
                                         "': lower-case letters, digits and '_' only");
        }
        prefix = "jfs_" + p + "_";
      }
      at = end + 1;
    }
  }
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
  JFS_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, create));
  db->SetTablePrefix(prefix);
  JFS_ASSIGN_OR_RETURN(StmtRef s, db->Prepare("SELECT name FROM sqlite_master WHERE type = "
                                              "'table' AND name LIKE 'jfs_%'"));
  size_t tables = 0;
  bool schema = false;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    tables++;
    schema = schema || s->ColBlob(0) == prefix + "setting";
  }
  auto meta = std::make_unique<SqlMeta>(path, prefix, schema, tables >= sql::SqliteTables().size());
  return std::unique_ptr<Meta>(std::move(meta));
}

}  // namespace jfsbr
