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

}  // namespace

SqliteStmt& SqliteStmt::Int(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

SqliteStmt& SqliteStmt::Blob(int i, std::string_view v) {
  // An empty blob must stay a blob, not NULL: a zero-length pointer is fine.
  sqlite3_bind_blob(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStmt& SqliteStmt::Text(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStmt& SqliteStmt::Null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, rc, "sqlite");
}

Status SqliteStmt::Run() {
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

int64_t SqliteStmt::ColInt(int c) const { return sqlite3_column_int64(s_, c); }

std::string_view SqliteStmt::ColBlob(int c) const {
  const void* p = sqlite3_column_blob(s_, c);
  int n = sqlite3_column_bytes(s_, c);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

bool SqliteStmt::ColNull(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }

void SqliteStmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(s_); }

StmtRef::~StmtRef() {
  if (s_ == nullptr) return;
  s_->Reset();
  s_->busy_ = false;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = rc == SQLITE_CANTOPEN && !create ? Status::NotFound("no database at " + path)
                                                 : Error(db, rc, "opening " + path);
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<SqliteDb> d(new SqliteDb(db));
  sqlite3_busy_timeout(db, 5000);  // as JuiceFS's _timeout=5000
  JFS_RETURN_IF_ERROR(d->Exec("PRAGMA journal_mode=WAL").Annotate(path));
  return d;
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // finalizes every statement: close needs none left
  sqlite3_close(db_);
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

std::string SqliteDb::Prefixed(std::string_view sql) const {
  std::string out(sql);
  if (prefix_.empty() || prefix_ == "jfs_") return out;
  for (size_t at = 0; (at = out.find("jfs_", at)) != std::string::npos; at += prefix_.size()) {
    out.replace(at, 4, prefix_);
  }
  return out;
}

Status SqliteDb::Exec(std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, Prefixed(sql).c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(db_, rc, "sqlite");
  return Status::OK();
}

Result<std::unique_ptr<SqliteStmt>> SqliteDb::Compile(const std::string& text) {
  std::string sql = Prefixed(text);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return Error(db_, rc, "sqlite prepare");
  return std::make_unique<SqliteStmt>(s, db_);
}

Result<StmtRef> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    JFS_ASSIGN_OR_RETURN(auto stmt, Compile(sql));
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  if (it->second->busy_) {
    JFS_ASSIGN_OR_RETURN(auto fresh, Compile(sql));
    SqliteStmt* p = fresh.get();
    p->busy_ = true;
    return StmtRef(p, std::move(fresh));
  }
  it->second->busy_ = true;
  return StmtRef(it->second.get(), nullptr);
}

}  // namespace jfsbr
