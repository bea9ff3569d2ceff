// The log backup capture (`jfsbr log start`): follows the volume's changes
// in etcd from the task's checkpoint and writes them, revision by revision,
// into the log storage (pitr/log_format.h).
//
// One capture at a time holds the task's lease; others wait as standbys and
// take over from the checkpoint when the holder stops renewing it. A flush
// (every flush_interval, or when flush_bytes are buffered) writes the data
// file, then its meta file, then the storage's global checkpoint, then the
// task's checkpoint in etcd (fenced by the lease). A capture that dies
// between these steps leaves files another capture writes again from the
// older checkpoint: restore takes each revision once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "pitr/log_task.h"
#include "store/object_store.h"
#include "tkv/engine.h"

namespace jfsbr {

struct CaptureOptions {
  std::chrono::milliseconds flush_interval{5000};
  uint64_t flush_bytes = 64 << 20;
  std::chrono::milliseconds lease_ttl{10000};
  uint64_t store_id = 1;
  const std::atomic<bool>* stop = nullptr;      // set (e.g. by SIGTERM): flush and return
  std::function<void(const std::string&)> log;  // one line per event worth telling
};

// Runs until *stop, the task is stopped (both OK), or a fatal error (also
// recorded as the task's last error): history compacted past the
// checkpoint, or a storage failing for good.
Status RunLogCapture(KvEngine* root, LogTask* task, ObjectStore* storage,
                     const CaptureOptions& opts);

}  // namespace jfsbr
