// libsqlite3 calls; SQLite's error codes become Status (a busy or locked
// database is kConflict, so the transaction that met it runs again).
#include "sql/sqlite.h"

#include <sqlite3.h>

namespace jfsbr {
namespace {

Status Error(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Conflict(msg);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(msg);
  if (primary == SQLITE_CANTOPEN) return Status::NotFound(msg);
  return Status::IOError(msg);
}

class SqliteStmt : public SqlStmt {
 public:
  SqliteStmt(sqlite3_stmt* s, sqlite3* db) : s_(s), db_(db) {}
  ~SqliteStmt() override { sqlite3_finalize(s_); }

  SqlStmt& Int(int i, int64_t v) override {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  SqlStmt& Blob(int i, std::string_view v) override {
    // An empty blob must stay a blob, not NULL: a zero-length pointer is fine.
    sqlite3_bind_blob(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  SqlStmt& Text(int i, std::string_view v) override {
    sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Result<bool> Step() override {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(db_, rc, "sqlite");
  }
  int64_t ColInt(int c) const override { return sqlite3_column_int64(s_, c); }
  std::string_view ColBlob(int c) const override {
    const void* p = sqlite3_column_blob(s_, c);
    int n = sqlite3_column_bytes(s_, c);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
  }
  bool ColNull(int c) const override { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  void Reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_;
  sqlite3* db_;
};

}  // namespace

Result<std::unique_ptr<SqliteConn>> SqliteConn::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = rc == SQLITE_CANTOPEN && !create ? Status::NotFound("no database at " + path)
                                                 : Error(db, rc, "opening " + path);
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<SqliteConn> d(new SqliteConn(db));
  sqlite3_busy_timeout(db, 5000);  // as JuiceFS's _timeout=5000
  JFS_RETURN_IF_ERROR(d->Exec("PRAGMA journal_mode=WAL").Annotate(path));
  return d;
}

SqliteConn::~SqliteConn() {
  DropStatements();  // close needs every statement finalized
  sqlite3_close(db_);
}

Result<std::vector<std::string>> SqliteConn::Tables() {
  JFS_ASSIGN_OR_RETURN(StmtRef s, Prepare("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite_%'"));
  std::vector<std::string> out;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return out;
    out.emplace_back(s->ColBlob(0));
  }
}

Status SqliteConn::ExecText(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(db_, rc, "sqlite");
  return Status::OK();
}

Result<std::unique_ptr<SqlStmt>> SqliteConn::Compile(const std::string& sql, bool) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return Error(db_, rc, "sqlite prepare");
  return std::unique_ptr<SqlStmt>(std::make_unique<SqliteStmt>(s, db_));
}

}  // namespace jfsbr
