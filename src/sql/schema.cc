// The table definitions, written from what `juicefs format` leaves in a
// database (JuiceFS 1.4.2: sqlite3 .schema; pg_dump --schema-only, whose
// integer-with-sequence ids are SERIAL and BIGSERIAL here; mariadb-dump
// --no-data). MySQL's tables take the server's default character set, as
// JuiceFS's do.
#include "sql/schema.h"

namespace jfsbr::sql {

const std::vector<Table>& Tables() {
  static const std::vector<Table> kTables = {
      {"setting",
       "`name` TEXT PRIMARY KEY NOT NULL, `value` TEXT NOT NULL",
       "`name` VARCHAR(255) NOT NULL PRIMARY KEY, `value` TEXT NOT NULL",
       "`name` VARCHAR(255) NOT NULL PRIMARY KEY, `value` TEXT NOT NULL",
       {}},
      {"counter",
       "`name` TEXT PRIMARY KEY NOT NULL, `value` INTEGER NOT NULL",
       "`name` VARCHAR(255) NOT NULL PRIMARY KEY, `value` BIGINT NOT NULL",
       "`name` VARCHAR(255) NOT NULL PRIMARY KEY, `value` BIGINT(20) NOT NULL",
       {}},
      {"edge",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `parent` INTEGER NOT NULL, `name` BLOB "
       "NOT NULL, `inode` INTEGER NOT NULL, `type` INTEGER NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `parent` BIGINT NOT NULL, `name` BYTEA NOT NULL, `inode` "
       "BIGINT NOT NULL, `type` INTEGER NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `parent` BIGINT(20) NOT NULL, "
       "`name` VARBINARY(255) NOT NULL, `inode` BIGINT(20) NOT NULL, `type` INT NOT NULL",
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
       "`inode` BIGINT(20) NOT NULL PRIMARY KEY, `type` INT NOT NULL, `flags` INT NOT NULL, "
       "`mode` INT NOT NULL, `uid` INT NOT NULL, `gid` INT NOT NULL, `atime` BIGINT(20) NOT "
       "NULL, `mtime` BIGINT(20) NOT NULL, `ctime` BIGINT(20) NOT NULL, `atimensec` INT "
       "DEFAULT 0 NOT NULL, `mtimensec` INT DEFAULT 0 NOT NULL, `ctimensec` INT DEFAULT 0 "
       "NOT NULL, `nlink` INT NOT NULL, `length` BIGINT(20) NOT NULL, `rdev` INT NULL, "
       "`parent` BIGINT(20) NULL, `access_acl_id` INT NULL, `default_acl_id` INT NULL, "
       "`tier_id` INT NULL",
       {}},
      {"symlink",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `target` BLOB NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `target` BYTEA NOT NULL",
       "`inode` BIGINT(20) NOT NULL PRIMARY KEY, `target` VARBINARY(4096) NOT NULL",
       {}},
      {"xattr",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `name` TEXT "
       "NOT NULL, `value` BLOB NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `name` VARCHAR(255) NOT NULL, "
       "`value` BYTEA NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `inode` BIGINT(20) NOT NULL, "
       "`name` VARCHAR(255) NOT NULL, `value` BLOB NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_name` ON `{T}` (`inode`,`name`)"}},
      {"chunk",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `indx` "
       "INTEGER NOT NULL, `slices` BLOB NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `indx` INTEGER NOT NULL, `slices`"
       " BYTEA NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `inode` BIGINT(20) NOT NULL, "
       "`indx` INT NOT NULL, `slices` BLOB NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_chunk` ON `{T}` (`inode`,`indx`)"}},
      {"chunk_ref",
       "`chunkid` INTEGER PRIMARY KEY NOT NULL, `size` INTEGER NOT NULL, `refs` INTEGER NOT NULL",
       "`chunkid` BIGINT NOT NULL PRIMARY KEY, `size` INTEGER NOT NULL, `refs` INTEGER NOT "
       "NULL",
       "`chunkid` BIGINT(20) NOT NULL PRIMARY KEY, `size` INT NOT NULL, `refs` INT NOT NULL",
       {"CREATE INDEX IF NOT EXISTS `IDX_{T}_refs` ON `{T}` (`refs`)"}},
      {"delslices",
       "`chunkid` INTEGER PRIMARY KEY NOT NULL, `deleted` INTEGER NOT NULL, `slices` BLOB NOT "
       "NULL",
       "`chunkid` BIGINT NOT NULL PRIMARY KEY, `deleted` BIGINT NOT NULL, `slices` BYTEA NOT "
       "NULL",
       "`chunkid` BIGINT(20) NOT NULL PRIMARY KEY, `deleted` BIGINT(20) NOT NULL, `slices` "
       "BLOB NOT NULL",
       {}},
      {"session2",
       "`sid` INTEGER PRIMARY KEY NOT NULL, `expire` INTEGER NOT NULL, `info` BLOB NULL",
       "`sid` BIGINT NOT NULL PRIMARY KEY, `expire` BIGINT NOT NULL, `info` BYTEA NULL",
       "`sid` BIGINT(20) NOT NULL PRIMARY KEY, `expire` BIGINT(20) NOT NULL, `info` BLOB "
       "NULL",
       {}},
      {"sustained",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `sid` INTEGER NOT NULL, `inode` INTEGER "
       "NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `sid` BIGINT NOT NULL, `inode` BIGINT NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `sid` BIGINT(20) NOT NULL, "
       "`inode` BIGINT(20) NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_sustained` ON `{T}` (`sid`,`inode`)"}},
      {"delfile",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `length` INTEGER NOT NULL, `expire` INTEGER NOT "
       "NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `length` BIGINT NOT NULL, `expire` BIGINT NOT "
       "NULL",
       "`inode` BIGINT(20) NOT NULL PRIMARY KEY, `length` BIGINT(20) NOT NULL, `expire` "
       "BIGINT(20) NOT NULL",
       {}},
      {"flock",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `sid` INTEGER "
       "NOT NULL, `owner` INTEGER NOT NULL, `ltype` INTEGER NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `sid` BIGINT NOT NULL, `owner` "
       "BIGINT NOT NULL, `ltype` INTEGER NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `inode` BIGINT(20) NOT NULL, "
       "`sid` BIGINT(20) NOT NULL, `owner` BIGINT(20) NOT NULL, `ltype` INT NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_flock` ON `{T}` (`inode`,`sid`,`owner`)"}},
      {"plock",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `inode` INTEGER NOT NULL, `sid` INTEGER "
       "NOT NULL, `owner` INTEGER NOT NULL, `records` BLOB NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `inode` BIGINT NOT NULL, `sid` BIGINT NOT NULL, `owner` "
       "BIGINT NOT NULL, `records` BYTEA NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `inode` BIGINT(20) NOT NULL, "
       "`sid` BIGINT(20) NOT NULL, `owner` BIGINT(20) NOT NULL, `records` BLOB NOT NULL",
       {"CREATE UNIQUE INDEX IF NOT EXISTS `UQE_{T}_plock` ON `{T}` (`inode`,`sid`,`owner`)"}},
      {"dir_quota",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `max_space` INTEGER NOT NULL, `max_inodes` INTEGER "
       "NOT NULL, `used_space` INTEGER NOT NULL, `used_inodes` INTEGER NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `max_space` BIGINT NOT NULL, `max_inodes` BIGINT "
       "NOT NULL, `used_space` BIGINT NOT NULL, `used_inodes` BIGINT NOT NULL",
       "`inode` BIGINT(20) NOT NULL PRIMARY KEY, `max_space` BIGINT(20) NOT NULL, "
       "`max_inodes` BIGINT(20) NOT NULL, `used_space` BIGINT(20) NOT NULL, `used_inodes` "
       "BIGINT(20) NOT NULL",
       {}},
      {"user_group_quota",
       "`qtype` INTEGER NOT NULL, `qkey` INTEGER NOT NULL, `max_space` INTEGER NOT NULL, "
       "`max_inodes` INTEGER NOT NULL, `used_space` INTEGER NOT NULL, `used_inodes` INTEGER NOT "
       "NULL, PRIMARY KEY ( `qtype`,`qkey` )",
       "`qtype` INTEGER NOT NULL, `qkey` BIGINT NOT NULL, `max_space` BIGINT NOT NULL, "
       "`max_inodes` BIGINT NOT NULL, `used_space` BIGINT NOT NULL, `used_inodes` BIGINT NOT "
       "NULL, PRIMARY KEY ( `qtype`,`qkey` )",
       "`qtype` INT NOT NULL, `qkey` BIGINT(20) NOT NULL, `max_space` BIGINT(20) NOT NULL, "
       "`max_inodes` BIGINT(20) NOT NULL, `used_space` BIGINT(20) NOT NULL, `used_inodes` "
       "BIGINT(20) NOT NULL, PRIMARY KEY ( `qtype`,`qkey` )",
       {}},
      {"dir_stats",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `data_length` INTEGER NOT NULL, `used_space` "
       "INTEGER NOT NULL, `used_inodes` INTEGER NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `data_length` BIGINT NOT NULL, `used_space` "
       "BIGINT NOT NULL, `used_inodes` BIGINT NOT NULL",
       "`inode` BIGINT(20) NOT NULL PRIMARY KEY, `data_length` BIGINT(20) NOT NULL, "
       "`used_space` BIGINT(20) NOT NULL, `used_inodes` BIGINT(20) NOT NULL",
       {}},
      {"detached_node",
       "`inode` INTEGER PRIMARY KEY NOT NULL, `added` INTEGER NOT NULL",
       "`inode` BIGINT NOT NULL PRIMARY KEY, `added` BIGINT NOT NULL",
       "`inode` BIGINT(20) NOT NULL PRIMARY KEY, `added` BIGINT(20) NOT NULL",
       {}},
      {"acl",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `owner` INTEGER NULL, `group` INTEGER "
       "NULL, `mask` INTEGER NULL, `other` INTEGER NULL, `named_users` BLOB NULL, `named_groups` "
       "BLOB NULL",
       "`id` SERIAL PRIMARY KEY, `owner` INTEGER NULL, `group` INTEGER NULL, `mask` INTEGER "
       "NULL, `other` INTEGER NULL, `named_users` BYTEA NULL, `named_groups` BYTEA NULL",
       "`id` INT PRIMARY KEY AUTO_INCREMENT NOT NULL, `owner` INT NULL, `group` INT NULL, "
       "`mask` INT NULL, `other` INT NULL, `named_users` BLOB NULL, `named_groups` BLOB NULL",
       {}},
      {"delegation_token",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `token` BLOB NULL",
       "`id` SERIAL PRIMARY KEY, `token` BYTEA NULL",
       "`id` INT PRIMARY KEY AUTO_INCREMENT NOT NULL, `token` BLOB NULL",
       {}},
      {"change_log",
       "`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `entry` TEXT NOT NULL",
       "`id` BIGSERIAL PRIMARY KEY, `entry` TEXT NOT NULL",
       "`id` BIGINT(20) PRIMARY KEY AUTO_INCREMENT NOT NULL, `entry` TEXT NOT NULL",
       {}},
  };
  return kTables;
}

std::vector<std::string> CreateStatements(const Table& t, const std::string& prefix,
                                          SqlDialect dialect) {
  std::string name = prefix + t.name;
  const std::string& columns = dialect == SqlDialect::kPostgres ? t.pg_columns
                               : dialect == SqlDialect::kMysql  ? t.my_columns
                                                                : t.columns;
  std::vector<std::string> out = {"CREATE TABLE IF NOT EXISTS `" + name + "` (" + columns + ")"};
  for (std::string idx : t.indexes) {
    for (size_t at; (at = idx.find("{T}")) != std::string::npos;) idx.replace(at, 3, name);
    out.push_back(idx);
  }
  return out;
}

}  // namespace jfsbr::sql
