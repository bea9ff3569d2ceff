// Waiting for an etcd log backup task's checkpoint in end-to-end tests.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "pitr/log_task.h"

namespace jfsbr {

// The task's checkpoint once it reaches rev (up to 60 s), or 0.
inline uint64_t WaitForCheckpoint(KvEngine* root, const std::string& prefix, uint64_t rev) {
  LogTask task(root, prefix);
  for (int i = 0; i < 600; i++) {
    auto c = task.Checkpoint();
    if (c.ok() && c->revision >= rev) return c->revision;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

}  // namespace jfsbr
