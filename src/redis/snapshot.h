// A Redis volume at one moment: the RDB snapshot a primary hands a replica
// (redis/replica.h), turned into records and filed in a scratch RocksDB in
// a temporary directory, which then serves every read of the snapshot in
// the orders meta/record.h promises. Memory stays bounded: the RDB is
// streamed element by element; only directory stats and quotas, kept in
// three hashes each, are merged in memory (32 bytes per directory with
// stats or quota) before they are filed.
#pragma once

#include <memory>
#include <string>

#include "meta/meta.h"
#include "redis/rdb.h"
#include "redis/redis_url.h"

namespace jfsbr {

// The records of database `db` (keys under `prefix` in a cluster) in the
// RDB stream from source, as a snapshot whose version() is `version`.
// scratch_dir: where the temporary directory goes ("" = $TMPDIR or /tmp).
Result<std::unique_ptr<MetaSnapshot>> SnapshotFromRdb(Source* source, int db,
                                                      const std::string& prefix, uint64_t version,
                                                      const std::string& scratch_dir = "");

class RedisClient;
// The primary's replication offset now (INFO replication).
Result<uint64_t> ReplicationOffset(RedisClient* c);

// Asks the primary of url for a full sync and reads its snapshot: one of a
// moment after the call began.
Result<std::unique_ptr<MetaSnapshot>> RedisSnapshot(const RedisUrl& url,
                                                    const RedisAddress& primary);

}  // namespace jfsbr
