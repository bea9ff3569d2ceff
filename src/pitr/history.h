// History compaction that never outruns a log backup (`jfsbr gc compact`).
//
// etcd compaction destroys the revisions a log backup task has not captured
// yet, so the compaction point is the older of: the newest revision seen at
// least `keep` ago, and the oldest checkpoint of any log backup task on the
// engine (running or paused). etcd keeps no revision times, so each run
// records (now, current revision) in a short journal beside the volumes
// (0xFE "jfsbr/revision-times"); run it periodically (cron) and it compacts
// to what an earlier run saw.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tkv/engine.h"

namespace jfsbr {

struct CompactResult {
  uint64_t compacted_to = 0;  // 0: nothing compacted
  uint64_t before = 0;        // the oldest readable revision before
  uint64_t current = 0;
  uint64_t by_keep = 0;    // what `keep` alone allowed
  uint64_t task_hold = 0;  // the oldest task checkpoint + 1 (0: no task)
};

Result<CompactResult> CompactHistory(KvEngine* root, std::chrono::milliseconds keep);

}  // namespace jfsbr
