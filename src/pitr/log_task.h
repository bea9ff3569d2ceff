// A log backup task, kept in the volume's etcd beside (not inside) the
// volume's keys, so restoring the volume never restores the task:
//
//   0xFE "jfsbr/log/" hex(volume prefix) "/" {info, checkpoint, pause, lease, error}
//   <volume prefix without 0xFD> 0xFE "jfsbr-heartbeat"
//
// The heartbeat key sorts right after the volume's keys, so one etcd watch
// sees both in revision order: a heartbeat seen at revision R proves every
// change of the volume up to R has been delivered (etcd's own progress
// notices cannot be trusted before 3.4.24/3.5.8), and its value, the writer's
// clock, maps revisions to wall-clock time. Every task's checkpoint is
// under one prefix so `gc compact` finds them all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pitr/log_format.h"
#include "tkv/engine.h"
#include "util/lease.h"

namespace jfsbr {

struct LogTaskInfo {
  std::string volume;
  std::string storage;     // the storage URL as given
  uint64_t start_rev = 0;  // changes after it are captured
  int64_t created_ms = 0;
};

class LogTask {
 public:
  // root: the unprefixed engine; prefix: the volume's (non-empty).
  LogTask(KvEngine* root, std::string prefix);

  Result<std::optional<LogTaskInfo>> Info();
  // Creates the task with its first checkpoint; kExists if there is one.
  Status Register(const LogTaskInfo& info);
  Result<LogCheckpoint> Checkpoint();
  // Writes the checkpoint if lease (on lease_key()) is still held
  // (kPermission if not, kNotFound if the task was stopped).
  Status SaveCheckpoint(const LogCheckpoint& c, const Lease& lease);
  // The pause record ("" when running).
  Result<std::string> PauseNote();
  Status Pause(const std::string& note);
  Status Resume();
  // Removes every key of the task (and so its hold on compaction).
  Status Stop();
  Status SetError(const std::string& message);
  Result<std::string> LastError();

  const std::string& lease_key() const { return lease_key_; }
  const std::string& heartbeat_key() const { return heartbeat_key_; }
  const std::string& prefix() const { return prefix_; }
  // The volume's keys and the heartbeat.
  KeyRange WatchRange() const;

 private:
  KvEngine* root_;
  std::string prefix_, dir_, lease_key_, heartbeat_key_;
};

// The checkpoint revision of every task on the engine (any volume).
Result<std::vector<uint64_t>> AllTaskCheckpoints(KvEngine* root);

std::string EncodeTaskInfo(const LogTaskInfo& t);
Result<LogTaskInfo> DecodeTaskInfo(std::string_view json);

}  // namespace jfsbr
