// The log capture: a watch of the volume's keys, flushed into log files, with
// heartbeats and checkpoints under the task's lease.
#include "pitr/log_capture.h"

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "tkv/txn.h"
#include "util/clock.h"
#include "util/coding.h"
#include "util/lease.h"

namespace jfsbr {
namespace {

using Clock = std::chrono::steady_clock;

std::string NewUuid() {
  std::random_device rd;
  std::string raw;
  for (int i = 0; i < 4; i++) PutBE32(&raw, rd());
  std::string h = HexString(raw);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

// Why a capture session ended without an error.
enum class End { kStop, kTaskGone, kPaused, kLeaseLost };

// One period of holding the lease: heartbeat + watch + flushes.
class Session {
 public:
  Session(KvEngine* root, LogTask* task, ObjectStore* storage, const CaptureOptions& opts,
          Lease* lease)
      : root_(root), task_(task), storage_(storage), opts_(opts), lease_(lease) {}

  Result<End> Run();

 private:
  bool Stopping() const { return (opts_.stop && opts_.stop->load()) || lost_.load(); }
  void Log(const std::string& s) const {
    if (opts_.log) opts_.log(s);
  }
  void Heartbeats();
  bool OnChanges(ChangeSet&& set);
  Status Flush();

  KvEngine* root_;
  LogTask* task_;
  ObjectStore* storage_;
  const CaptureOptions& opts_;
  Lease* lease_;

  std::atomic<bool> lost_{false}, done_{false};
  std::mutex mu_;
  std::condition_variable cv_;

  LogFileBuilder buffer_;
  bool has_data_ = false;
  LogRecord last_mark_;     // the newest heartbeat seen
  uint64_t watermark_ = 0;  // every change up to it is in buffer_ or storage
  LogCheckpoint saved_;     // the last checkpoint written
  Clock::time_point last_flush_ = Clock::now();
  Status flush_error_;
  End end_ = End::kStop;
  uint64_t flushed_files_ = 0, flushed_changes_ = 0;
};

// Writes the heartbeat (fenced by the lease) every tick and renews the
// lease; when stopping, one last unfenced heartbeat wakes the watch.
void Session::Heartbeats() {
  auto tick = std::clamp(opts_.flush_interval / 4, std::chrono::milliseconds(100),
                         std::chrono::milliseconds(1000));
  auto renew_every = opts_.lease_ttl / 3;
  auto next_renew = Clock::now() + renew_every;
  std::unique_lock l(mu_);
  while (!done_) {
    l.unlock();
    if (Clock::now() >= next_renew) {
      auto held = lease_->TryAcquire();
      if (held.ok() && !*held) lost_ = true;
      next_renew = Clock::now() + renew_every;
    }
    if (!Stopping()) {
      Status st = RunTxn(root_, [&](Txn& tx) -> Status {
        JFS_ASSIGN_OR_RETURN(auto held, tx.Get(task_->lease_key()));
        JFS_RETURN_IF_ERROR(lease_->CheckHeld(held));
        tx.Put(task_->heartbeat_key(), std::to_string(UnixMillis()));
        return Status::OK();
      });
      if (st.Is(Code::kPermission)) lost_ = true;
    }
    if (Stopping()) {
      WriteBatch wake;
      wake.Put(task_->heartbeat_key(), std::to_string(UnixMillis()));
      (void)root_->Commit(wake);
    }
    l.lock();
    cv_.wait_for(l, tick, [&] { return done_.load(); });
  }
}

bool Session::OnChanges(ChangeSet&& set) {
  LogRecord rec{set.version, UnixMillis(), {}};
  bool mark = false;
  const std::string& prefix = task_->prefix();
  for (auto& c : set.changes) {
    if (c.key.compare(0, prefix.size(), prefix) == 0) {
      c.key.erase(0, prefix.size());
      rec.changes.push_back(std::move(c));
    } else if (c.key == task_->heartbeat_key() && c.value) {
      mark = true;
      rec.time_ms = strtoll(c.value->c_str(), nullptr, 10);
    }
  }
  if (!rec.changes.empty() || mark) {
    buffer_.Add(rec);
    if (!rec.changes.empty()) {
      has_data_ = true;
    } else {
      last_mark_ = rec;
    }
  }
  watermark_ = set.version;
  if (lost_) {
    end_ = End::kLeaseLost;
    return false;
  }
  bool stop = Stopping();
  if (stop || Clock::now() - last_flush_ >= opts_.flush_interval ||
      buffer_.raw_bytes() >= opts_.flush_bytes) {
    flush_error_ = Flush();
    if (flush_error_.Is(Code::kNotFound)) {
      flush_error_ = Status::OK();
      end_ = End::kTaskGone;
      return false;
    }
    if (flush_error_.Is(Code::kPermission)) {
      flush_error_ = Status::OK();
      end_ = End::kLeaseLost;
      return false;
    }
    if (!flush_error_.ok()) return false;
    auto paused = task_->PauseNote();
    if (paused.ok() && !paused->empty()) {
      end_ = End::kPaused;
      return false;
    }
  }
  return !stop;
}

Status Session::Flush() {
  LogCheckpoint c = saved_;
  if (has_data_) {
    int64_t now = UnixMillis();
    std::string path = logpath::DataFile(opts_.store_id, now, buffer_.min_rev(), NewUuid());
    JFS_ASSIGN_OR_RETURN(LogFileInfo info,
                         buffer_.Upload(storage_, path, saved_.last_data_rev, watermark_));
    LogMeta meta;
    meta.store = opts_.store_id;
    meta.flush_rev = watermark_;
    meta.flush_time_ms = now;
    meta.files.push_back(info);
    JFS_RETURN_IF_ERROR(storage_->Put(logpath::MetaFile(meta), EncodeLogMeta(meta)));
    c.last_data_rev = watermark_;
    flushed_files_++;
    flushed_changes_ += info.changes;
    buffer_ = LogFileBuilder();
    has_data_ = false;
  } else {
    // Only time marks: keep the newest for the next data file.
    buffer_ = LogFileBuilder();
    if (last_mark_.revision > saved_.last_data_rev) buffer_.Add(last_mark_);
  }
  c.revision = watermark_;
  if (last_mark_.revision) c.time_ms = last_mark_.time_ms;
  if (c.revision != saved_.revision || c.last_data_rev != saved_.last_data_rev ||
      c.time_ms != saved_.time_ms) {
    JFS_RETURN_IF_ERROR(storage_->Put(logpath::Checkpoint(opts_.store_id), EncodeCheckpoint(c)));
    JFS_RETURN_IF_ERROR(task_->SaveCheckpoint(c, *lease_));
    saved_ = c;
  }
  last_flush_ = Clock::now();
  return Status::OK();
}

Result<End> Session::Run() {
  JFS_ASSIGN_OR_RETURN(saved_, task_->Checkpoint());
  watermark_ = saved_.revision;
  JFS_ASSIGN_OR_RETURN(uint64_t oldest, root_->OldestVersion());
  if (oldest > saved_.revision + 1) {
    return Status::NotFound(
        "etcd history was compacted to revision " + std::to_string(oldest) +
        ", past this task's checkpoint " + std::to_string(saved_.revision) +
        ": the changes in between are lost to the log backup. Take a new full backup "
        "(jfsbr br backup) and start a new task (jfsbr log stop, then log start)");
  }
  Log("capturing from revision " + std::to_string(saved_.revision + 1));
  std::thread hb([this] { Heartbeats(); });
  Status st = root_->Watch(task_->WatchRange(), saved_.revision,
                           [this](ChangeSet&& set) { return OnChanges(std::move(set)); });
  {
    std::lock_guard l(mu_);
    done_ = true;
  }
  cv_.notify_all();
  hb.join();
  Log("flushed " + std::to_string(flushed_files_) + " data files, " +
      std::to_string(flushed_changes_) + " changes; checkpoint revision " +
      std::to_string(saved_.revision));
  JFS_RETURN_IF_ERROR(flush_error_);
  JFS_RETURN_IF_ERROR(st);
  return end_;
}

bool Sleep(const CaptureOptions& opts, std::chrono::milliseconds d) {
  auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (opts.stop && opts.stop->load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !(opts.stop && opts.stop->load());
}

}  // namespace

Status RunLogCapture(KvEngine* root, LogTask* task, ObjectStore* storage,
                     const CaptureOptions& opts) {
  auto log = [&](const std::string& s) {
    if (opts.log) opts.log(s);
  };
  Lease lease(KvLeaseSlot(root, task->lease_key()), NewHolderId(), opts.lease_ttl);
  std::string said;  // the last waiting message, said once
  auto wait = [&](const std::string& why) {
    if (why != said) log(why);
    said = why;
    return Sleep(opts, std::min(opts.lease_ttl / 3, std::chrono::milliseconds(1000)));
  };
  int failures = 0;
  for (;;) {
    if (opts.stop && opts.stop->load()) return Status::OK();
    JFS_ASSIGN_OR_RETURN(auto info, task->Info());
    if (!info) {
      log("the task was stopped");
      return Status::OK();
    }
    JFS_ASSIGN_OR_RETURN(std::string paused, task->PauseNote());
    if (!paused.empty()) {
      if (!wait("task paused (" + paused + "); waiting for log resume")) return Status::OK();
      continue;
    }
    JFS_ASSIGN_OR_RETURN(bool held, lease.TryAcquire());
    if (!held) {
      auto s = lease.Read();
      if (!wait("standby: the task's lease is held by " + (s.ok() ? s->holder : "?"))) {
        return Status::OK();
      }
      continue;
    }
    said.clear();
    log("holding the task's lease as " + lease.holder());
    auto end = Session(root, task, storage, opts, &lease).Run();
    if (end.ok()) {
      failures = 0;
      if (*end == End::kLeaseLost) {
        log("lost the lease; back to standby");
        continue;
      }
      (void)lease.Release();
      if (*end == End::kStop) return Status::OK();
      if (*end == End::kTaskGone) {
        log("the task was stopped");
        return Status::OK();
      }
      continue;  // paused
    }
    Status st = end.status();
    (void)task->SetError(st.message());
    bool transient = st.Is(Code::kUnavailable) || st.Is(Code::kIOError);
    if (!transient || ++failures > 30) {
      (void)lease.Release();
      return st;
    }
    log("error (attempt " + std::to_string(failures) + " of 30, retrying): " + st.message());
    if (!Sleep(opts, std::chrono::milliseconds(1000))) return Status::OK();
  }
}

}  // namespace jfsbr
