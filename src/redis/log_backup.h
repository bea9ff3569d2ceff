// Log backup and point-in-time restore of a Redis volume
// (docs/format/redis-log-backup.md): a capture follows the primary as a
// replica does — the snapshot of a full sync is its base, then every write
// command of the replication stream is kept with its offset and arrival
// time, a transaction (MULTI ... EXEC) as one frame — and a restore loads
// the base and replays the frames up to an offset or a moment.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "redis/redis_url.h"
#include "store/object_store.h"
#include "util/result.h"

namespace jfsbr {

struct RedisLogOptions {
  double flush_interval = 1;                   // seconds between data files
  std::chrono::milliseconds lease_ttl{10000};  // a dead capture's lease frees after this
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> log;  // one line per event
};

// Captures the volume of url into store until *stop: the base, then data
// files and the checkpoint after each. On a storage that holds a capture
// already, goes on from its checkpoint (PSYNC from that offset) if the
// primary's backlog still holds the stream from there; else a one-line
// error (a new capture needs a new storage). One capture of a volume runs at
// a time, holding a lease in the volume's database; another stands by and
// takes over from the checkpoint when the holder dies.
Status RunRedisLogCapture(const std::string& url, ObjectStore* store, const RedisLogOptions& o);

// True when store holds a Redis log backup.
bool IsRedisLogBackup(ObjectStore* store);

struct RedisPointOptions {
  std::optional<uint64_t> offset;          // a replication offset
  std::optional<int64_t> time_ms;          // or the last frame received at or before it
  std::function<void(uint64_t)> progress;  // frames replayed so far
};
struct RedisPointResult {
  uint64_t base_offset = 0, target_offset = 0, frames = 0, commands = 0;
};

// Restores the volume as it was at the point into target_url, an empty
// Redis database: the base's records, then the frames, the setting last.
Result<RedisPointResult> RestoreRedisPoint(ObjectStore* store, const std::string& target_url,
                                           const RedisPointOptions& o);

}  // namespace jfsbr
