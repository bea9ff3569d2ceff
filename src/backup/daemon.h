// The backup daemon: a backup of the volume every `interval`, by exactly one
// runner among any number of daemons on any hosts.
//
// Runners share a Lease (a record beside the volume's); only its holder backs up, and it renews the
// lease on a thread of its own while a backup runs. A backup is due when the
// newest listed backup (ours or a JuiceFS client's) is `interval` old, so a
// runner taking over keeps the schedule. Each backup is fenced by the lease
// (BackupOptions::fence): a runner that lost it writes nothing. After each
// backup, JuiceFS's retention rule runs.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "backup/backup.h"
#include "meta/meta.h"
#include "util/lease.h"

namespace jfsbr {

struct DaemonOptions {
  std::chrono::seconds interval{3600};
  std::chrono::milliseconds lease_ttl{30000};
  BackupOptions backup;
  std::string holder;  // empty: NewHolderId()
};

struct DaemonMetrics {
  int64_t last_success = 0;  // unix seconds of the last good backup (0: none yet)
  double last_duration = 0;
  uint64_t last_size = 0;
  uint64_t last_entries = 0;
  uint64_t backups = 0;
  uint64_t failures = 0;
  uint64_t deleted = 0;  // by retention
  bool lease_held = false;
  std::string last_error;
};

// Prometheus text exposition of m (with JuiceFS's two backup gauges too).
std::string PrometheusText(const DaemonMetrics& m, const std::string& volume);

class BackupDaemon {
 public:
  // log receives one line per event (the CLI prints them).
  BackupDaemon(Meta* meta, ObjectStore* store, DaemonOptions opts,
               std::function<void(const std::string&)> log);
  // Runs until stop becomes true; returns only then (or on a setup error).
  Status Run(const std::atomic<bool>& stop);
  DaemonMetrics metrics() const;
  const std::string& volume() const { return volume_; }

 private:
  Result<int64_t> LastBackupTime();
  void BackupOnce(int64_t now);
  void Retain(int64_t now);
  void Renew();

  Meta* meta_;
  ObjectStore* store_;
  DaemonOptions opts_;
  std::function<void(const std::string&)> log_;
  Lease lease_;
  std::string volume_;
  mutable std::mutex mu_;
  DaemonMetrics m_;
};

}  // namespace jfsbr
