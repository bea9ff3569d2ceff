// A connection that asks a Redis primary for a full synchronisation, as a
// replica does (PSYNC ? -1): the primary forks, writes one RDB snapshot of
// that moment and streams it here, while its clients go on writing. This is
// how jfsbr reads a Redis volume at one point in time without pausing
// anyone: the primary's cost is a BGSAVE.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "redis/rdb.h"
#include "redis/redis_url.h"
#include "redis/resp.h"
#include "util/result.h"

namespace jfsbr {

class ReplicaLink {
 public:
  // Connects to `at` and authenticates as url says.
  static Result<std::unique_ptr<ReplicaLink>> Open(const RedisUrl& url, const RedisAddress& at);
  ~ReplicaLink();

  struct FullSync {
    std::string replid;
    uint64_t offset = 0;  // the primary's replication offset of the snapshot
    uint64_t rdb_bytes = 0;
  };
  // Asks for a full sync; after it, rdb() reads the snapshot's bytes.
  // rdb_only: the primary may drop the link after the snapshot (Redis 7+).
  Result<FullSync> StartFullSync(bool rdb_only);
  // Asks to go on from `offset` of the history `replid` (a capture that
  // stopped): true when the primary continues the stream from there, false
  // when it no longer can (its backlog moved on) and would send a snapshot.
  Result<bool> ContinueFrom(const std::string& replid, uint64_t offset);
  Source* rdb();

  // After the snapshot (a full sync that was not rdb_only): the next write
  // command of the replication stream, in the protocol's form (what a
  // replica executes; its size advances the replication offset). Empty
  // when none arrived within wait_ms.
  Result<std::string> NextCommand(int wait_ms);
  // Tells the primary how far this replica has read (it drops a replica
  // that stays silent for its repl-timeout).
  Status Ack(uint64_t offset);

 private:
  class Socket;
  class RdbSource;
  explicit ReplicaLink(std::unique_ptr<Socket> s, std::string where);
  Status Send(const std::vector<std::string>& args);
  Result<std::string> Line();
  std::string stream_;  // bytes of the command stream read but not yet taken
  std::unique_ptr<Socket> sock_;
  std::unique_ptr<RdbSource> rdb_;
  std::string where_;
};

}  // namespace jfsbr
