// The MySQL / MariaDB connection (Debian's libmariadb, the MariaDB
// Connector/C): an SqlConn that speaks MySQL's dialect for SQL written in
// SQLite's spelling (ON CONFLICT upserts become ON DUPLICATE KEY UPDATE,
// COLLATE BINARY a cast to bytes), through prepared statements in the
// binary protocol. A scan reads a page at a time (keyset paging: LIMIT,
// then from after the last row's sort key), so a scan of any size holds
// one page and several may be open at once on one connection (the merged
// inode scans); a scan that cannot be paged (GROUP BY) reads through a
// server-side cursor; point reads and writes are buffered.
//
// Transactions: writers are SERIALIZABLE (InnoDB reads them with shared
// locks, so a read-modify-write cannot lose a concurrent juicefs client's
// update, which takes its locks with SELECT ... FOR UPDATE); a deadlock or
// lock wait timeout is kConflict (the transaction runs again). Readers are
// `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` at REPEATABLE
// READ: one state, no locks.
//
// A bulk load (SetPipelined) gathers INSERTs (and upserts without other
// parameters) per statement and sends them a few MiB at a time: as arrays of
// parameters where the server executes them (MariaDB: no text to parse) and
// the table has no AUTO_INCREMENT column (see HasAutoIncrement), else as
// LOAD DATA LOCAL from memory where the server allows it (a third of a text
// INSERT's server time per row, measured), else as multi-row INSERTs.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "sql/conn.h"
#include "sql/maria_array.h"

struct st_mysql;

namespace jfsbr {

class MariaStmt;

struct MysqlOptions {
  std::string host = "127.0.0.1";  // or a socket path in `socket`
  int port = 3306;
  std::string socket;
  std::string user;
  std::string password;
  bool has_password = false;  // the URL gave one (even empty): META_PASSWORD is not used
  std::string database;
  std::string charset;  // the DSN's charset= (else the server's default)
  enum class Tls { kOff, kOn, kVerify } tls = Tls::kOff;  // tls=skip-verify|true
  int connect_timeout = 10;                               // seconds
};

class MariaConn : public SqlConn {
 public:
  static Result<std::unique_ptr<MariaConn>> Open(const MysqlOptions& opts);
  ~MariaConn() override;

  SqlDialect dialect() const override { return SqlDialect::kMysql; }
  Result<std::vector<std::string>> Tables() override;
  Status BeginWrite() override;
  Status BeginRead() override;
  Status FreezeTables(const std::vector<std::string>& tables) override;
  Status ThawTables() override;
  Status SetPipelined(bool on) override;

  // For the statements (mariadb.cc).
  st_mysql* raw() const { return my_; }
  // The rows of one multi-row INSERT of a bulk load.
  struct Gathered {
    std::string head;        // INSERT INTO t(columns) VALUES
    std::string rows;        // (..),(..)
    std::string tail;        // an upsert's ON DUPLICATE KEY UPDATE ...
    std::string load;        // the LOAD DATA LOCAL statement of the same rows, if one can say it
    bool load_data = false;  // rows are LOAD DATA's lines (else INSERT's tuples)
    bool ignore = false;     // LOAD DATA IGNORE: a duplicate key is skipped
    std::unique_ptr<MariaArrayInsert> array;  // the rows as arrays (then the rest is unused)
  };
  Status Added(Gathered* g);  // one more row in g

 protected:
  Status ExecText(const std::string& sql) override;
  Result<std::unique_ptr<SqlStmt>> Compile(const std::string& sql, bool stream) override;

 private:
  explicit MariaConn(st_mysql* my) : my_(my) {}
  Status Query(const std::string& sql);  // a statement as text, its rows dropped
  // A prepared statement of MySQL's SQL; cursor: read through a server-side
  // cursor, else buffered.
  Result<std::unique_ptr<MariaStmt>> PrepareText(const std::string& text, bool cursor);
  Status Flush();  // sends every gathered INSERT
  Result<bool> HasAutoIncrement(const std::string& table);
  Status Send(Gathered* g);
  static int InfileInit(void** state, const char* name, void* self);
  static int InfileRead(void* state, char* buf, unsigned int size);
  static void InfileEnd(void* state);
  static int InfileError(void* state, char* msg, unsigned int size);
  static constexpr size_t kInsertBytes = 4 << 20;  // well inside max_allowed_packet (16 MiB)
  st_mysql* my_;
  bool pipelined_ = false;
  bool local_infile_ = false;                 // the server takes LOAD DATA LOCAL
  bool arrays_ = false;                       // the server executes arrays of parameters
  const std::string* infile_ = nullptr;       // the rows a LOAD DATA LOCAL is sending
  std::map<std::string, Gathered> gathered_;  // by the statement gathered
};

}  // namespace jfsbr
