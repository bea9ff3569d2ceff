// The PostgreSQL connection (Debian's libpq): an SqlConn that speaks
// PostgreSQL's dialect for SQL written in SQLite's spelling (`?` becomes
// $N, backquotes double quotes, COLLATE BINARY the "C" collation), reads
// columns in binary form, and streams scans through server-side cursors so
// a scan of any size holds one batch of rows (several may be open at once
// on one connection, as the merged inode scans need).
//
// Errors: serialization failures and deadlocks are kConflict (the
// transaction runs again), a duplicate key is kExists, a statement naming a
// table the schema lacks is "no such table" (found before the server sees
// it, so it does not abort the transaction), a lost server kUnavailable.
//
// A bulk load (SetPipelined) sends its statements without waiting for each
// answer, and its plain INSERTs become COPY: the rows gather per table and
// go at once.
#pragma once

#include <memory>
#include <string>

#include "sql/conn.h"

struct pg_conn;

namespace jfsbr {

struct PgOptions {
  std::string uri;       // postgres://... as libpq takes it (JuiceFS's own options removed)
  std::string password;  // when the URI has none (META_PASSWORD)
  std::string search_path;
};

class PgConn : public SqlConn {
 public:
  static Result<std::unique_ptr<PgConn>> Open(const PgOptions& opts);
  ~PgConn() override;

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  Result<std::vector<std::string>> Tables() override;
  Status BeginWrite() override { return Exec("BEGIN ISOLATION LEVEL SERIALIZABLE"); }
  Status BeginRead() override { return Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  Status SetPipelined(bool on) override;
  Result<std::string> ShareSnapshot() override;
  Status JoinSnapshot(const std::string& id) override;

  // user@host:port/db, for messages (never the password).
  std::string Where() const;

  // For the statements (postgres.cc).
  pg_conn* raw() const { return pg_; }
  bool pipelined() const { return pipelined_; }
  Status Sent();  // one more statement sent in the pipeline
  // The rows gathered for one COPY of a bulk load.
  struct CopyData {
    std::string copy;  // COPY t(columns) FROM STDIN
    std::string rows;
  };
  Status Copied(CopyData* data);  // one more row in data
  std::string NextName(char kind) { return std::string(1, kind) + std::to_string(++names_); }

 protected:
  Status ExecText(const std::string& sql) override;
  Result<std::unique_ptr<SqlStmt>> Compile(const std::string& sql, bool stream) override;

 private:
  explicit PgConn(pg_conn* pg) : pg_(pg) {}
  Status Drain();  // waits for every statement sent in the pipeline
  Status CheckTables(const std::string& sql);
  Status SendCopy(CopyData* data);
  static constexpr size_t kCopyBytes = 8 << 20;  // sent in pieces of this size
  pg_conn* pg_;
  bool pipelined_ = false;
  int pending_ = 0;
  uint64_t names_ = 0;
  std::vector<std::string> tables_;         // known to exist (refreshed when one seems missing)
  std::map<std::string, CopyData> copies_;  // by COPY statement
};

}  // namespace jfsbr
