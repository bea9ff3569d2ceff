// One connection to an SQL database, whatever the database: statements with
// positional binds and typed columns, a cache of prepared statements, and
// JuiceFS's table prefix. sql/sqlite.h and sql/postgres.h implement it; the
// record <-> row mapping (sql/rows.h) and the Meta (sql/sql_meta.cc) are
// written once against it. SQL given to it is SQLite's spelling (`?`
// parameters, backquoted names); a connection to another database rewrites
// what its dialect spells differently. One connection is used by one thread
// at a time (SqlMeta pools them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace jfsbr {

enum class SqlDialect { kSqlite, kPostgres, kMysql };

class SqlStmt {
 public:
  virtual ~SqlStmt() = default;
  // Binds are 1-based, as SQL numbers parameters.
  virtual SqlStmt& Int(int i, int64_t v) = 0;
  virtual SqlStmt& Blob(int i, std::string_view v) = 0;
  virtual SqlStmt& Text(int i, std::string_view v) = 0;
  // The next row: true if there is one, false when done.
  virtual Result<bool> Step() = 0;
  // Steps to the end (a statement without rows).
  Status Run();
  // Columns are 0-based; NULL reads as 0 or empty.
  virtual int64_t ColInt(int c) const = 0;
  virtual std::string_view ColBlob(int c) const = 0;
  virtual bool ColNull(int c) const = 0;
  // Ready to bind and run again.
  virtual void Reset() = 0;

 private:
  friend class SqlConn;
  friend class StmtRef;
  bool busy_ = false;  // handed out by Prepare and not yet released
};

// A statement in use: released (reset, back to the cache) when destroyed.
class StmtRef {
 public:
  StmtRef(SqlStmt* s, std::unique_ptr<SqlStmt> owned) : s_(s), owned_(std::move(owned)) {}
  StmtRef(StmtRef&& o) noexcept : s_(o.s_), owned_(std::move(o.owned_)) { o.s_ = nullptr; }
  ~StmtRef();
  SqlStmt* operator->() const { return s_; }
  SqlStmt& operator*() const { return *s_; }

 private:
  SqlStmt* s_;
  std::unique_ptr<SqlStmt> owned_;  // a second copy of a statement already in use
};

class SqlConn {
 public:
  virtual ~SqlConn() = default;
  virtual SqlDialect dialect() const = 0;

  // JuiceFS's table_prefix option: the tables of a volume are jfs_<p>_NAME,
  // so every "jfs_" in the SQL given to Exec and Prepare becomes prefix.
  void SetTablePrefix(std::string prefix) { prefix_ = std::move(prefix); }
  const std::string& table_prefix() const { return prefix_.empty() ? kDefault : prefix_; }

  Status Exec(std::string_view sql) { return ExecText(Prefixed(sql)); }
  // A prepared statement for sql, cached on this connection (bulk loads and
  // hot paths parse each statement once). While it is in use (a scan whose
  // callback runs the same query), a fresh one is prepared instead. stream:
  // the rows may be many, read a batch at a time (a scan); otherwise they
  // are few and come at once (a point read, a write).
  Result<StmtRef> Prepare(const std::string& sql, bool stream = false);
  // The names of the tables in the database (the schema the URL names).
  virtual Result<std::vector<std::string>> Tables() = 0;

  // Opens a transaction: one that writes (and so may conflict), or one that
  // reads a single consistent state.
  virtual Status BeginWrite() = 0;
  virtual Status BeginRead() = 0;
  // In a read transaction: an id other connections can read the same
  // state by (JoinSnapshot), or "" where the database cannot share one.
  virtual Result<std::string> ShareSnapshot() { return std::string(); }
  // Begins a read transaction in the snapshot another connection shares.
  virtual Status JoinSnapshot(const std::string& id) {
    return Status::NotSupported("this database does not share snapshots");
  }
  // Where a snapshot cannot be shared once begun (MySQL): holds the named
  // tables (SQLite's spelling, "jfs_node") still, no writer changing them,
  // until ThawTables, so that read transactions other connections begin
  // meanwhile all see one state. Waits a few seconds at most for the
  // writers at work; an error (kNotSupported where the database has no
  // such hold) leaves nothing held.
  virtual Status FreezeTables(const std::vector<std::string>& tables) {
    return Status::NotSupported("this database holds no tables for readers");
  }
  virtual Status ThawTables() { return Status::OK(); }
  // Many writes follow that need no answer one by one (a bulk load): the
  // connection may send them without waiting; errors come by the next Exec.
  virtual Status SetPipelined(bool on) { return Status::OK(); }

 protected:
  virtual Status ExecText(const std::string& sql) = 0;
  virtual Result<std::unique_ptr<SqlStmt>> Compile(const std::string& sql, bool stream) = 0;
  // Finalizes every cached statement: a connection's destructor calls it
  // before closing (the statements need the connection).
  void DropStatements() { cache_[0].clear(), cache_[1].clear(); }

 private:
  static inline const std::string kDefault = "jfs_";
  std::string Prefixed(std::string_view sql) const;
  std::string prefix_;
  // By SQL text, [stream]; looked up without a copy of the text (a bulk
  // load prepares a statement per row).
  std::map<std::string, std::unique_ptr<SqlStmt>, std::less<>> cache_[2];
};

// Is st the error of a statement naming a table the database does not have
// (an older JuiceFS's volume)? Connections report it as "no such table".
bool IsMissingTable(const Status& st);

}  // namespace jfsbr
