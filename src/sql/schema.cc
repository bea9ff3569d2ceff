// The table definitions, written from what `juicefs format` leaves in a
// database (JuiceFS 1.4.2: sqlite3 .schema; pg_dump --schema-only, whose
// integer-with-sequence ids are SERIAL and BIGSERIAL here).
#include "sql/schema.h"

namespace jfsbr::sql {

const std::vector<Table>& Tables() {
  static const std::vector<Table> kTables = {
      {"setting",
       "`name` TEXT PRIMARY KEY NOT NULL, `value` TEXT NOT NULL",
       "`name` VARCHAR(255) NOT NULL PRIMARY KEY, `value` TEXT NOT NULL",
       {}},
      {"counter",
       "`name` TEXT PRIMARY KEY NOT NULL, `value` INTEGER NOT NULL",
       "`name` VARCHAR(255) NOT NULL PRIMARY KEY, `value` BIGINT NOT NULL",
       {}},
      {"edge",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `parent` INTEGER NOT NULL, `name` BLOB "
       "NOT NULL, `inode` INTEGER NOT NULL, `type` INTEGER NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `parent` BIGINT NOT NULL, `name` BYTEA NOT NULL, `inode` "
       "BIGINT NOT NULL, `type` INTEGER NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_edge` ON `{T}` (`parent`,`name`)",
        "CREATE INDEX IF NOT EXISTS `IDX_{T}_inode` ON `{T}` (`inode`)"}},
      {"node",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `type` INTEGER NOT NULL, `flags` INTEGER NOT NULL, "
       "`mode` INTEGER NOT NULL, `uid` INTEGER NOT NULL, `gid` INTEGER NOT NULL, `atime` INTEGER "
       "NOT NULL, `mtime` INTEGER NOT NULL, `ctime` INTEGER NOT NULL, `atimensec` INTEGER DEFAULT "
       "0 NOT NULL, `mtimensec` INTEGER DEFAULT 0 NOT NULL, `ctimensec` INTEGER DEFAULT 0 NOT "
       "NULL, `nlink` INTEGER NOT NULL, `length` INTEGER NOT NULL, `rdev` INTEGER NULL, `parent` "
       "INTEGER NULL, `access_acl_id` INTEGER NULL, `default_acl_id` INTEGER NULL, `tier_id` "
       "INTEGER NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `type` INTEGER NOT NULL, `flags` INTEGER NOT "
       "NULL, `mode` INTEGER NOT NULL, `uid` INTEGER NOT NULL, `gid` INTEGER NOT NULL, `atime`"
       " BIGINT NOT NULL, `mtime` BIGINT NOT NULL, `ctime` BIGINT NOT NULL, `atimensec` "
       "INTEGER DEFAULT 0 NOT NULL, `mtimensec` INTEGER DEFAULT 0 NOT NULL, `ctimensec` "
       "INTEGER DEFAULT 0 NOT NULL, `nlink` INTEGER NOT NULL, `length` BIGINT NOT NULL, `rdev`"
       " INTEGER NULL, `parent` BIGINT NULL, `access_acl_id` INTEGER NULL, `default_acl_id` "
       "INTEGER NULL, `tier_id` INTEGER NULL",
       {}},
      {"symlink",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `target` BLOB NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `target` BYTEA NOT NULL",
       {}},
      {"xattr",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `name` TEXT "
       "NOT NULL, `value` BLOB NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `name` VARCHAR(255) NOT NULL, "
       "`value` BYTEA NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_name` ON `{T}` (`inode`,`name`)"}},
      {"chunk",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `indx` "
       "INTEGER NOT NULL, `slices` BLOB NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `indx` INTEGER NOT NULL, `slices`"
       " BYTEA NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_chunk` ON `{T}` (`inode`,`indx`)"}},
      {"chunk_ref",
       "`chunkid` INTEGER PRIMARY KEY NOT NULL, `size` INTEGER NOT NULL, `refs` INTEGER NOT NULL",
       "`chunkid` BIGINT NOT NULL PRIMARY KEY, `size` INTEGER NOT NULL, `refs` INTEGER NOT "
       "NULL",
       {"CREATE INDEX IF NOT EXISTS `IDX_{T}_refs` ON `{T}` (`refs`)"}},
      {"delslices",
       "`chunkid` INTEGER PRIMARY KEY NOT NULL, `deleted` INTEGER NOT NULL, `slices` BLOB NOT "
       "NULL",
       "`chunkid` BIGINT NOT NULL PRIMARY KEY, `deleted` BIGINT NOT NULL, `slices` BYTEA NOT "
       "NULL",
       {}},
      {"session2",
       "`sid` INTEGER PRIMARY KEY NOT NULL, `expire` INTEGER NOT NULL, `info` BLOB NULL",
       "`sid` BIGINT NOT NULL PRIMARY KEY, `expire` BIGINT NOT NULL, `info` BYTEA NULL",
       {}},
      {"sustained",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `sid` INTEGER NOT NULL, `inode` INTEGER "
       "NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `sid` BIGINT NOT NULL, `inode` BIGINT NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_sustained` ON `{T}` (`sid`,`inode`)"}},
      {"delfile",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `length` INTEGER NOT NULL, `expire` INTEGER NOT "
       "NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `length` BIGINT NOT NULL, `expire` BIGINT NOT "
       "NULL",
       {}},
      {"flock",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `sid` INTEGER "
       "NOT NULL, `owner` INTEGER NOT NULL, `ltype` INTEGER NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `sid` BIGINT NOT NULL, `owner` "
       "BIGINT NOT NULL, `ltype` INTEGER NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_flock` ON `{T}` (`inode`,`sid`,`owner`)"}},
      {"plock",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `sid` INTEGER "
       "NOT NULL, `owner` INTEGER NOT NULL, `records` BLOB NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `sid` BIGINT NOT NULL, `owner` "
       "BIGINT NOT NULL, `records` BYTEA NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_plock` ON `{T}` (`inode`,`sid`,`owner`)"}},
      {"dir_quota",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `max_space` INTEGER NOT NULL, `max_inodes` INTEGER "
       "NOT NULL, `used_space` INTEGER NOT NULL, `used_inodes` INTEGER NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `max_space` BIGINT NOT NULL, `max_inodes` BIGINT "
       "NOT NULL, `used_space` BIGINT NOT NULL, `used_inodes` BIGINT NOT NULL",
       {}},
      {"user_group_quota",
       "`qtype` INTEGER NOT NULL, `qkey` INTEGER NOT NULL, `max_space` INTEGER NOT NULL, "
       "`max_inodes` INTEGER NOT NULL, `used_space` INTEGER NOT NULL, `used_inodes` INTEGER NOT "
       "NULL, PRIMARY KEY ( `qtype`,`qkey` )",
       "`qtype` INTEGER NOT NULL, `qkey` BIGINT NOT NULL, `max_space` BIGINT NOT NULL, "
       "`max_inodes` BIGINT NOT NULL, `used_space` BIGINT NOT NULL, `used_inodes` BIGINT NOT "
       "NULL, PRIMARY KEY ( `qtype`,`qkey` )",
       {}},
      {"dir_stats",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `data_length` INTEGER NOT NULL, `used_space` "
       "INTEGER NOT NULL, `used_inodes` INTEGER NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `data_length` BIGINT NOT NULL, `used_space` "
       "BIGINT NOT NULL, `used_inodes` BIGINT NOT NULL",
       {}},
      {"detached_node",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `added` INTEGER NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `added` BIGINT NOT NULL",
       {}},
      {"acl",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `owner` INTEGER NULL, `group` INTEGER "
       "NULL, `mask` INTEGER NULL, `other` INTEGER NULL, `named_users` BLOB NULL, `named_groups` "
       "BLOB NULL",
       "`id` SERIAL PRIMARY KEY, `owner` INTEGER NULL, `group` INTEGER NULL, `mask` INTEGER "
       "NULL, `other` INTEGER NULL, `named_users` BYTEA NULL, `named_groups` BYTEA NULL",
       {}},
      {"delegation_token",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `token` BLOB NULL",
       "`id` SERIAL PRIMARY KEY, `token` BYTEA NULL",
       {}},
      {"change_log",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `entry` TEXT NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `entry` TEXT NOT NULL",
       {}},
  };
  return kTables;
}

std::vector<std::string> CreateStatements(const Table& t, const std::string& prefix,
                                          SqlDialect dialect) {
  std::string name = prefix + t.name;
  const std::string& columns = dialect == SqlDialect::kPostgres ? t.pg_columns : t.columns;
  std::vector<std::string> out = {"CREATE TABLE IF NOT EXISTS `" + name + "` (" + columns + ")"};
  for (std::string idx : t.indexes) {
    for (size_t at; (at = idx.find("{T}")) != std::string::npos;) idx.replace(at, 3, name);
    out.push_back(idx);
  }
  return out;
}

}  // namespace jfsbr::sql
