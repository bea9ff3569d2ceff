// JuiceFS's SQL tables (juicefs-redis-sql.md §3.3), as `juicefs format`
// creates them on each database: the same names, columns, types, keys and
// indexes, so a juicefs client mounts what jfsbr formats and the other way
// round.
#pragma once

#include <string>
#include <vector>

#include "sql/conn.h"

namespace jfsbr::sql {

struct Table {
  std::string name;                  // without the prefix: "node"
  std::string columns;               // the column list of CREATE TABLE, SQLite's types
  std::string pg_columns;            // the same in PostgreSQL's types
  std::string my_columns;            // and in MySQL's
  std::vector<std::string> indexes;  // CREATE [UNIQUE] INDEX statements, "{T}" = the table
};

// Every table of JuiceFS 1.4.
const std::vector<Table>& Tables();

// The statements that create table t under prefix (default "jfs_") if
// absent, in the dialect's types (the SQL is in SQLite's spelling, as
// SqlConn takes it).
std::vector<std::string> CreateStatements(const Table& t, const std::string& prefix,
                                          SqlDialect dialect);

}  // namespace jfsbr::sql
