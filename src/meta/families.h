// The factories of the engine families. Private to meta/registry.cc and the
// family that defines each factory.
#pragma once

#include <memory>
#include <string_view>

#include "meta/meta.h"

namespace jfsbr {

// tkv/tkv_meta.cc: rocksdb://, memkv://, etcd://.
Result<std::unique_ptr<Meta>> OpenTkvMeta(std::string_view url, bool create);

// sql/sql_meta.cc: sqlite3://, postgres:// (and postgresql://), mysql://.
Result<std::unique_ptr<Meta>> OpenSqliteMeta(std::string_view url, bool create);
Result<std::unique_ptr<Meta>> OpenPostgresMeta(std::string_view url, bool create);
Result<std::unique_ptr<Meta>> OpenMysqlMeta(std::string_view url, bool create);

// redis/redis_meta.cc: redis://, rediss://, unix://.
Result<std::unique_ptr<Meta>> OpenRedisMeta(std::string_view url, bool create);

}  // namespace jfsbr
