// A log backup task's records in the engine: info, checkpoint, pause, errors.
#include "pitr/log_task.h"

#include <sstream>

#include "tkv/keys.h"
#include "tkv/txn.h"
#include "util/coding.h"
#include "util/json.h"

namespace jfsbr {
namespace {

const std::string kTasksRoot = "\xFEjfsbr/log/";

std::string CheckpointText(const LogCheckpoint& c) {
  return std::to_string(c.revision) + " " + std::to_string(c.time_ms) + " " +
         std::to_string(c.last_data_rev);
}

Result<LogCheckpoint> ParseCheckpointText(const std::string& s) {
  LogCheckpoint c;
  std::istringstream in(s);
  if (!(in >> c.revision >> c.time_ms >> c.last_data_rev)) {
    return Status::Corruption("a log task checkpoint reads '" + s + "'");
  }
  return c;
}

}  // namespace

LogTask::LogTask(KvEngine* root, std::string prefix)
    : root_(root), prefix_(std::move(prefix)), dir_(kTasksRoot + HexString(prefix_) + "/") {
  lease_key_ = dir_ + "lease";
  std::string base = prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1);
  heartbeat_key_ = base + "\xFE" + "jfsbr-heartbeat";
}

KeyRange LogTask::WatchRange() const { return {prefix_, heartbeat_key_ + '\0'}; }

std::string EncodeTaskInfo(const LogTaskInfo& t) {
  std::string out;
  GoObjectWriter o(&out, "  ", 0);
  o.String("volume", t.volume);
  o.String("storage", t.storage);
  o.Uint("start_rev", t.start_rev);
  o.Int("created_ms", t.created_ms);
  o.End();
  return out;
}

Result<LogTaskInfo> DecodeTaskInfo(std::string_view json) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, ParseJson(json));
  LogTaskInfo t;
  JFS_ASSIGN_OR_RETURN(t.volume, StringMember(v, "volume"));
  JFS_ASSIGN_OR_RETURN(t.storage, StringMember(v, "storage"));
  JFS_ASSIGN_OR_RETURN(t.start_rev, UintMember(v, "start_rev"));
  JFS_ASSIGN_OR_RETURN(t.created_ms, IntMember(v, "created_ms"));
  return t;
}

Result<std::optional<LogTaskInfo>> LogTask::Info() {
  JFS_ASSIGN_OR_RETURN(auto v, root_->Get(dir_ + "info"));
  if (!v) return std::optional<LogTaskInfo>();
  JFS_ASSIGN_OR_RETURN(LogTaskInfo t, DecodeTaskInfo(*v));
  return std::optional<LogTaskInfo>(std::move(t));
}

Status LogTask::Register(const LogTaskInfo& info) {
  return RunTxn(root_, [&](Txn& tx) -> Status {
    JFS_ASSIGN_OR_RETURN(auto old, tx.Get(dir_ + "info"));
    if (old) return Status::Exists("this volume already has a log backup task");
    tx.Put(dir_ + "info", EncodeTaskInfo(info));
    tx.Put(dir_ + "checkpoint", CheckpointText({info.start_rev, info.created_ms, info.start_rev}));
    return Status::OK();
  });
}

Result<LogCheckpoint> LogTask::Checkpoint() {
  JFS_ASSIGN_OR_RETURN(auto v, root_->Get(dir_ + "checkpoint"));
  if (!v) return Status::NotFound("no log backup task for this volume");
  return ParseCheckpointText(*v);
}

Status LogTask::SaveCheckpoint(const LogCheckpoint& c, const Lease& lease) {
  return RunTxn(root_, [&](Txn& tx) -> Status {
    JFS_ASSIGN_OR_RETURN(auto held, tx.Get(lease_key_));
    JFS_RETURN_IF_ERROR(lease.CheckHeld(held));
    JFS_ASSIGN_OR_RETURN(auto info, tx.Get(dir_ + "info"));
    if (!info) return Status::NotFound("the log backup task was stopped");
    tx.Put(dir_ + "checkpoint", CheckpointText(c));
    return Status::OK();
  });
}

Result<std::string> LogTask::PauseNote() {
  JFS_ASSIGN_OR_RETURN(auto v, root_->Get(dir_ + "pause"));
  return v.value_or("");
}

Status LogTask::Pause(const std::string& note) {
  WriteBatch b;
  b.Put(dir_ + "pause", note.empty() ? "paused" : note);
  return root_->Commit(b);
}

Status LogTask::Resume() {
  WriteBatch b;
  b.Delete(dir_ + "pause");
  b.Delete(dir_ + "error");
  return root_->Commit(b);
}

Status LogTask::Stop() {
  WriteBatch b;
  JFS_RETURN_IF_ERROR(root_->Scan(dir_, keys::PrefixEnd(dir_), [&](auto k, auto) {
    b.Delete(std::string(k));
    return true;
  }));
  b.Delete(heartbeat_key_);
  return root_->Commit(b);
}

Status LogTask::SetError(const std::string& message) {
  WriteBatch b;
  b.Put(dir_ + "error", message);
  return root_->Commit(b);
}

Result<std::string> LogTask::LastError() {
  JFS_ASSIGN_OR_RETURN(auto v, root_->Get(dir_ + "error"));
  return v.value_or("");
}

Result<std::vector<uint64_t>> AllTaskCheckpoints(KvEngine* root) {
  std::vector<uint64_t> out;
  const std::string suffix = "/checkpoint";
  JFS_RETURN_IF_ERROR(
      ScanChecked(root, kTasksRoot, keys::PrefixEnd(kTasksRoot),
                  [&](std::string_view k, std::string_view v) -> Status {
                    if (k.size() < suffix.size() || k.substr(k.size() - suffix.size()) != suffix) {
                      return Status::OK();
                    }
                    JFS_ASSIGN_OR_RETURN(auto c, ParseCheckpointText(std::string(v)));
                    out.push_back(c.revision);
                    return Status::OK();
                  }));
  return out;
}

}  // namespace jfsbr
