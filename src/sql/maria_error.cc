// MySQL's error numbers (mysqld_error.h, errmsg.h) as Status codes.
#include "sql/maria_error.h"

#include <mysql.h>

#include <cstdlib>
#include <string>

namespace jfsbr {

Status MariaError(unsigned err, const char* text, std::string_view what) {
  std::string msg = "mysql " + std::string(what) + ": " + text;
  switch (err) {
    case 1213:  // ER_LOCK_DEADLOCK
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1020:  // ER_CHECKREAD: the row changed since the snapshot read it
      return Status::Conflict(msg);
    case 1062:  // ER_DUP_ENTRY
      return Status::Exists(msg);
    case 1146:  // ER_NO_SUCH_TABLE
      return Status::NotFound("no such table: " + msg);
    case 1049:  // ER_BAD_DB_ERROR
      return Status::NotFound(msg);
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
      return Status::Permission(msg);
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
      return Status::Unavailable(msg);
    default:
      return Status::IOError(msg);
  }
}

Status MariaConnError(MYSQL* my, std::string_view what) {
  return MariaError(mysql_errno(my), mysql_error(my), what);
}

Status MariaWarnings(MYSQL* my, bool skip_duplicates) {
  if (mysql_warning_count(my) == 0) return Status::OK();
  if (mysql_real_query(my, "SHOW WARNINGS", 13) != 0) return MariaConnError(my, "warnings");
  MYSQL_RES* r = mysql_store_result(my);
  if (r == nullptr) return MariaConnError(my, "warnings");
  Status bad;
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    unsigned code = row[1] ? static_cast<unsigned>(atoi(row[1])) : 0;
    if (skip_duplicates && code == 1062) continue;
    bad = MariaError(code, row[2] ? row[2] : "", "load");
    break;
  }
  mysql_free_result(r);
  return bad;
}

}  // namespace jfsbr
