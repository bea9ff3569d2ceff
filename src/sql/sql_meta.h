// The SQL family's Meta: JuiceFS's records as rows of its tables
// (sql/schema.h), in the form `juicefs format` and a mounted client write
// them, never TKV keys. SQLite for now (sqlite3://PATH).
//
// How records map to rows where the native form differs (juicefs-redis-
// sql.md §3.3): attrs are node columns (times in microseconds plus a
// nanosecond remainder); entries are edge rows and a hard link's parents
// are counted from edges (parent records are derived, writes of them are
// dropped); a slice's chunk_ref row holds its real reference count, with
// one row per slice ever written (refs = 1 is what the TKV family leaves
// absent, so it reads as absent); ACL rules are columns; counters are
// integers; jfsbr's own records are setting rows named "jfsbr/NAME".
//
// Transactions take SQLite's write lock at the start (BEGIN IMMEDIATE), as
// JuiceFS serializes SQLite writers, buffer their writes like every MetaTxn
// and apply them at commit. A snapshot is one read transaction in WAL mode.
#pragma once

#include <memory>
#include <string_view>

#include "meta/families.h"

namespace jfsbr {

// OpenSqliteMeta (sqlite3://PATH[?OPTIONS], PATH relative or absolute, as
// JuiceFS takes it) is declared in meta/families.h.

}  // namespace jfsbr
