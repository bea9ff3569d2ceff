// BatchWriter: streams key/value pairs into an engine in large batches
// committed by several threads at once (no read conditions: for loading into
// an empty engine). Memory: `threads` batches in flight plus the one filling.
#pragma once

#include <string>

#include "tkv/engine.h"
#include "util/task_group.h"

namespace jfsbr {

class BatchWriter {
 public:
  BatchWriter(KvEngine* engine, int threads, size_t max_pairs = 10240, size_t max_bytes = 5 << 20)
      : engine_(engine), group_(threads), max_pairs_(max_pairs), max_bytes_(max_bytes) {}

  Status Put(std::string key, std::string value) {
    bytes_ += key.size() + value.size();
    batch_.Put(std::move(key), std::move(value));
    pairs_written_++;
    if (batch_.ops.size() >= max_pairs_ || bytes_ >= max_bytes_) return Flush();
    return Status::OK();
  }
  // Commits what is buffered and waits for every batch; the first error.
  Status Finish() {
    JFS_RETURN_IF_ERROR(Flush());
    return group_.Wait();
  }
  uint64_t pairs() const { return pairs_written_; }

 private:
  Status Flush() {
    if (batch_.empty()) return Status::OK();
    auto b = std::make_shared<WriteBatch>(std::move(batch_));
    b->atomic = false;  // an empty target: parts may land separately
    batch_ = WriteBatch();
    bytes_ = 0;
    return group_.Submit([this, b] { return engine_->Commit(*b); });
  }

  KvEngine* engine_;
  TaskGroup group_;
  size_t max_pairs_, max_bytes_;
  WriteBatch batch_;
  size_t bytes_ = 0;
  uint64_t pairs_written_ = 0;
};

}  // namespace jfsbr
