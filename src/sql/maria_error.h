// MySQL's and MariaDB's errors (server and client library) as Status, shared
// by the connection and its bulk paths.
#pragma once

#include <string_view>

#include "util/result.h"

struct st_mysql;

namespace jfsbr {

// Error number err with its text, what jfsbr was doing named by what.
Status MariaError(unsigned err, const char* text, std::string_view what);
// The connection's last error.
Status MariaConnError(st_mysql* my, std::string_view what);
// The warnings of the last statement as an error (OK without any):
// LOAD DATA LOCAL turns what an INSERT refuses (a duplicate key, a value out
// of a column's range) into warnings, as does a server outside strict mode.
// skip_duplicates: a duplicate key is what the statement meant to skip.
Status MariaWarnings(st_mysql* my, bool skip_duplicates);

}  // namespace jfsbr
