// JuiceFS's SQL tables (juicefs-redis-sql.md §3.3), as `juicefs format`
// creates them on SQLite: the same names, columns, types, keys and indexes,
// so a juicefs client mounts what jfsbr formats and the other way round.
#pragma once

#include <string>
#include <vector>

namespace jfsbr::sql {

struct Table {
  std::string name;                  // without the prefix: "node"
  std::string columns;               // the column list of CREATE TABLE
  std::vector<std::string> indexes;  // CREATE [UNIQUE] INDEX statements, "{T}" = the table
};

// Every table of JuiceFS 1.4, SQLite dialect.
const std::vector<Table>& SqliteTables();

// The statements that create table t under prefix (default "jfs_") if absent.
std::vector<std::string> CreateStatements(const Table& t, const std::string& prefix);

}  // namespace jfsbr::sql
