// Reading records from a live Redis volume on one connection (the
// connection pool's, or a transaction's after its WATCH): a record's places
// (redis/schema.h) fetched and composed, and the scans of the shapes
// meta/record.h names, but the full walks (every record, inode shards),
// which read a snapshot (redis/snapshot.h) instead.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "meta/meta.h"
#include "redis/client.h"

namespace jfsbr {

// The value of k (nullopt: absent).
Result<std::optional<std::string>> GetRecord(RedisClient* c, const std::string& prefix,
                                             const RecordKey& k);
// The value of each key, in order, in one pipelined round trip.
Result<std::vector<std::optional<std::string>>> GetRecords(RedisClient* c,
                                                           const std::string& prefix,
                                                           std::span<const RecordKey> keys);
// Every record of r (a kind, an inode, a node, one kind of one inode), in
// the orders meta/record.h promises; kAll and kInodeShard are refused.
Status ScanRecords(RedisClient* c, const std::string& prefix, const RecordRange& r,
                   const RecordFn& fn);
// Calls fn for each key matching pattern (fn false: stop); SCAN may name a
// key twice.
Status ScanKeyNames(RedisClient* c, const std::string& pattern,
                    const std::function<bool(std::string_view)>& fn);

}  // namespace jfsbr
