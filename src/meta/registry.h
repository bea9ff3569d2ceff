// Opening a volume's metadata by META-URL: the only way to reach an engine.
//
//   rocksdb://PATH   embedded RocksDB directory (TKV family)
//   memkv://NAME     in-process memory (tests); the same NAME shares data
//   etcd://[USER:PASS@]HOST[:PORT][,HOST[:PORT]...]/NAME[?OPTIONS]   an etcd cluster
//   sqlite3://PATH   an SQLite database file (SQL family)
//   postgres://[USER[:PASS]@]HOST[:PORT]/DB[?OPTIONS]   a PostgreSQL database
//
// Each engine family registers its schemes in registry.cc; a new family
// (Redis) adds its factory to meta/families.h and one row per scheme.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "meta/meta.h"

namespace jfsbr {

// Opens the metadata of url. Only `format` (and loads into a new engine)
// pass create = true: opening a missing database is otherwise an error, so a
// mistyped path never leaves an empty database behind.
Result<std::unique_ptr<Meta>> OpenMeta(std::string_view url, bool create = false);

// The META-URL forms, one per line ("  rocksdb://PATH   ..."): for help.
std::string MetaUrlForms();
// "rocksdb, memkv, etcd": for error messages.
std::string SupportedMetaSchemes();

// The family of url's scheme ("tkv", "sql"), or "" for an unknown scheme:
// for the commands that work on one family only (log backup, br).
std::string_view MetaFamilyOf(std::string_view url);

}  // namespace jfsbr
