// A thin, Status-returning wrapper of Debian's libsqlite3: a connection with
// a cache of prepared statements, and a statement's binds, steps and columns.
// One connection is used by one thread at a time (SqlMeta pools them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jfsbr {

class SqliteStmt {
 public:
  SqliteStmt(sqlite3_stmt* s, sqlite3* db) : s_(s), db_(db) {}
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  // Binds are 1-based, as SQLite numbers parameters.
  SqliteStmt& Int(int i, int64_t v);
  SqliteStmt& Blob(int i, std::string_view v);
  SqliteStmt& Text(int i, std::string_view v);
  SqliteStmt& Null(int i);
  // The next row: true if there is one, false when done.
  Result<bool> Step();
  // Steps to the end (a statement without rows).
  Status Run();
  // Columns are 0-based.
  int64_t ColInt(int c) const;
  std::string_view ColBlob(int c) const;
  bool ColNull(int c) const;
  // Ready to bind and run again.
  void Reset();

 private:
  friend class SqliteDb;
  friend class StmtRef;
  sqlite3_stmt* s_;
  sqlite3* db_;
  bool busy_ = false;  // handed out by Prepare and not yet released
};

// A statement in use: released (reset, back to the cache) when destroyed.
class StmtRef {
 public:
  StmtRef(SqliteStmt* s, std::unique_ptr<SqliteStmt> owned) : s_(s), owned_(std::move(owned)) {}
  StmtRef(StmtRef&& o) noexcept : s_(o.s_), owned_(std::move(o.owned_)) { o.s_ = nullptr; }
  ~StmtRef();
  SqliteStmt* operator->() const { return s_; }
  SqliteStmt& operator*() const { return *s_; }

 private:
  SqliteStmt* s_;
  std::unique_ptr<SqliteStmt> owned_;  // a second copy of a statement already in use
};

class SqliteDb {
 public:
  // Opens (create: or creates) the database file at path, in WAL mode with a
  // busy timeout, as JuiceFS opens it.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create);
  ~SqliteDb();

  // JuiceFS's table_prefix option: the tables of a volume are jfs_<p>_NAME,
  // so every "jfs_" in the SQL given to Exec and Prepare becomes prefix.
  void SetTablePrefix(std::string prefix) { prefix_ = std::move(prefix); }

  Status Exec(std::string_view sql);
  // A prepared statement for sql, cached on this connection (bulk loads and
  // hot paths parse each statement once). While it is in use (a scan whose
  // callback runs the same query), a fresh one is prepared instead.
  Result<StmtRef> Prepare(const std::string& sql);
  // Rows changed by the last statement.
  int64_t Changes() const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  Result<std::unique_ptr<SqliteStmt>> Compile(const std::string& sql);
  std::string Prefixed(std::string_view sql) const;
  sqlite3* db_;
  std::string prefix_;
  std::map<std::string, std::unique_ptr<SqliteStmt>> cache_;
};

}  // namespace jfsbr
