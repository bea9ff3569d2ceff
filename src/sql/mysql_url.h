// JuiceFS's mysql:// META-URL: "mysql://" followed by a DSN in the syntax of
// Go's MySQL driver (go-sql-driver/mysql), which is what JuiceFS passes on:
//   mysql://[USER[:PASS]@][tcp](HOST[:PORT])/DB[?OPTIONS]
//   mysql://[USER[:PASS]@]unix(/path/to/socket)/DB[?OPTIONS]
//   mysql://USER:PASS@/DB          (127.0.0.1:3306)
// The password runs from the first ':' to the last '@' and is URL-decoded,
// as JuiceFS reads it. HOST:PORT without the parentheses is the common
// mistake, and named as such.
#pragma once

#include <string>
#include <string_view>

#include "sql/mariadb.h"
#include "util/result.h"

namespace jfsbr {

// The connection options of url; *query receives its options (after '?')
// for the caller to take its own from (table_prefix). The driver options
// jfsbr maps: charset=, tls=true|skip-verify|false, timeout=Ns. Others are
// the Go driver's own and ignored.
Result<MysqlOptions> ParseMysqlUrl(std::string_view url, std::string* query);
// The driver options of query (after table_prefix was taken) into *o.
Status ApplyMysqlOptions(std::string_view url, const std::string& query, MysqlOptions* o);
// "USER@(HOST:PORT)/DB" or "USER@unix(PATH)/DB", for messages (no password).
std::string DescribeMysql(const MysqlOptions& o);

}  // namespace jfsbr
