// The backup daemon's loop: renew the lease, back up when due, apply retention,
// keep the metrics.
#include "backup/daemon.h"

#include <cstring>
#include <ctime>
#include <thread>

#include "backup/retention.h"
#include "meta/lease.h"
#include "model/setting.h"
#include "util/clock.h"

namespace jfsbr {
namespace {}  // namespace

std::string PrometheusText(const DaemonMetrics& m, const std::string& volume) {
  std::string out;
  std::string labels = "{volume=\"" + volume + "\"}";
  auto gauge = [&](const char* name, const char* help, double v, const char* type = "gauge") {
    char line[64];
    snprintf(line, sizeof(line), "%.17g", v);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + labels + " " + line + "\n";
  };
  gauge("jfsbr_backup_last_success_timestamp_seconds", "Unix time of the last good backup.",
        static_cast<double>(m.last_success));
  gauge("jfsbr_backup_last_duration_seconds", "How long the last good backup took.",
        m.last_duration);
  gauge("jfsbr_backup_last_size_bytes", "Compressed size of the last good backup.",
        static_cast<double>(m.last_size));
  gauge("jfsbr_backup_last_entries", "Entries in the last good backup.",
        static_cast<double>(m.last_entries));
  gauge("jfsbr_backup_success_total", "Backups made by this daemon.",
        static_cast<double>(m.backups), "counter");
  gauge("jfsbr_backup_failures_total", "Backups that failed.", static_cast<double>(m.failures),
        "counter");
  gauge("jfsbr_backup_retention_deleted_total", "Old backups deleted by the retention rule.",
        static_cast<double>(m.deleted), "counter");
  gauge("jfsbr_backup_lease_held", "1 if this daemon is the volume's backup runner.",
        m.lease_held ? 1 : 0);
  // The names JuiceFS's clients export, for existing dashboards.
  gauge("juicefs_last_successful_backup", "Last successful backup (unix seconds).",
        static_cast<double>(m.last_success));
  gauge("juicefs_last_backup_duration", "Last backup duration (seconds).", m.last_duration);
  return out;
}

BackupDaemon::BackupDaemon(Meta* meta, ObjectStore* store, DaemonOptions opts,
                           std::function<void(const std::string&)> log)
    : meta_(meta),
      store_(store),
      opts_(std::move(opts)),
      log_(std::move(log)),
      lease_(LeaseSlotIn(meta, kBackupLeaseName),
             opts_.holder.empty() ? NewHolderId() : opts_.holder, opts_.lease_ttl) {}

DaemonMetrics BackupDaemon::metrics() const {
  std::lock_guard l(mu_);
  return m_;
}

Result<int64_t> BackupDaemon::LastBackupTime() {
  int64_t last = 0;
  JFS_ASSIGN_OR_RETURN(auto all, ListBackups(store_));
  for (const auto& b : all) last = std::max(last, b.time);
  return last;
}

void BackupDaemon::BackupOnce(int64_t now) {
  BackupOptions o = opts_.backup;
  o.now = now;
  o.fence = [&](MetaTxn& tx) -> Status {
    JFS_ASSIGN_OR_RETURN(auto held, tx.Get(RecordKey::Tool(kBackupLeaseName)));
    return lease_.CheckHeld(held);
  };
  auto start = std::chrono::steady_clock::now();
  log_("backup started");
  auto m = RunBackup(meta_, store_, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard l(mu_);
  if (!m.ok()) {
    m_.failures++;
    m_.last_error = m.status().ToString();
    log_("backup failed after " + std::to_string(static_cast<int>(secs)) + " s: " + m_.last_error);
    return;
  }
  m_.backups++;
  m_.last_success = m->time;
  m_.last_duration = secs;
  m_.last_size = m->object_bytes;
  m_.last_entries = m->entries;
  m_.last_error.clear();
  char line[256];
  snprintf(line, sizeof(line), "backup meta/%s: %llu entries, %llu bytes, version %llu, %.1f s",
           m->name.c_str(), static_cast<unsigned long long>(m->entries),
           static_cast<unsigned long long>(m->object_bytes),
           static_cast<unsigned long long>(m->version), secs);
  log_(line);
  if (secs > static_cast<double>(opts_.interval.count())) {
    log_("warning: the backup took longer than the interval (" +
         std::to_string(opts_.interval.count()) + " s); consider a longer --interval");
  }
}

void BackupDaemon::Retain(int64_t now) {
  auto all = ListBackups(store_);
  if (!all.ok()) {
    log_("retention: " + all.status().ToString());
    return;
  }
  std::vector<std::string> names;
  for (const auto& b : *all) names.push_back(b.name);
  for (const auto& name : ExpiredBackups(names, now)) {
    Status st = DeleteBackup(store_, name);
    log_(st.ok() ? "retention: deleted meta/" + name
                 : "retention: delete meta/" + name + ": " + st.ToString());
    if (st.ok()) {
      std::lock_guard l(mu_);
      m_.deleted++;
    }
  }
}

void BackupDaemon::Renew() {
  auto held = lease_.TryAcquire();
  std::lock_guard l(mu_);
  bool now_held = held.ok() && *held;
  if (now_held != m_.lease_held) {
    log_(now_held ? "took the backup lease as " + lease_.holder()
                  : "not the backup runner" +
                        (held.ok() ? std::string() : ": " + held.status().ToString()));
  }
  m_.lease_held = now_held;
}

Status BackupDaemon::Run(const std::atomic<bool>& stop) {
  JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(meta_));
  volume_ = f.name;
  // The lease is renewed every third of its ttl, backups or not.
  std::atomic<bool> done{false};
  auto renew_every = opts_.lease_ttl / 3;
  Renew();
  std::thread renewer([&] {
    auto next = std::chrono::steady_clock::now() + renew_every;
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (std::chrono::steady_clock::now() < next) continue;
      Renew();
      next = std::chrono::steady_clock::now() + renew_every;
    }
  });
  auto tick = std::clamp<std::chrono::milliseconds>(
      opts_.interval / 10, std::chrono::milliseconds(200), std::chrono::milliseconds(60000));
  while (!stop) {
    if (metrics().lease_held) {
      auto last = LastBackupTime();
      int64_t now = UnixSeconds();
      if (!last.ok()) {
        log_("cannot tell when the last backup was: " + last.status().ToString());
      } else if (now - *last >= opts_.interval.count()) {
        BackupOnce(now);
        Retain(now);
      }
    }
    auto until = std::chrono::steady_clock::now() + tick;
    while (!stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  done = true;
  renewer.join();
  (void)lease_.Release();
  return Status::OK();
}

}  // namespace jfsbr
