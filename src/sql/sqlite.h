// The SQLite connection (Debian's libsqlite3): an SqlConn over one database
// file, opened in WAL mode with a busy timeout, as JuiceFS opens it.
#pragma once

#include <memory>
#include <string>

#include "sql/conn.h"

struct sqlite3;

namespace jfsbr {

class SqliteConn : public SqlConn {
 public:
  // Opens (create: or creates) the database file at path.
  static Result<std::unique_ptr<SqliteConn>> Open(const std::string& path, bool create);
  ~SqliteConn() override;

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  Result<std::vector<std::string>> Tables() override;
  // SQLite's write lock at the start: the transaction then sees one state,
  // and its commit cannot conflict (JuiceFS serializes SQLite writers too).
  Status BeginWrite() override { return Exec("BEGIN IMMEDIATE"); }
  // In WAL mode the first read fixes what the transaction sees.
  Status BeginRead() override { return Exec("BEGIN"); }

 protected:
  Status ExecText(const std::string& sql) override;
  Result<std::unique_ptr<SqlStmt>> Compile(const std::string& sql, bool stream) override;

 private:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace jfsbr
