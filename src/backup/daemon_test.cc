// The daemon's lastBackup value and its Prometheus text.
#include "backup/daemon.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace jfsbr {
namespace {

TEST(DaemonTest, LastBackupIsRfc3339InLocalTimeAsJuiceFsWritesIt) {
  const char* old = getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(LastBackupValue(1637663394), "2021-11-23T10:29:54Z");
  setenv("TZ", "CST-8", 1);  // UTC+8, no zone files needed
  tzset();
  EXPECT_EQ(LastBackupValue(1637663394), "2021-11-23T18:29:54+08:00");
  setenv("TZ", "EST+5", 1);
  tzset();
  EXPECT_EQ(LastBackupValue(1637663394), "2021-11-23T05:29:54-05:00");
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST(DaemonTest, PrometheusTextNamesTheVolume) {
  DaemonMetrics m;
  m.last_success = 1637663394;
  m.backups = 3;
  m.lease_held = true;
  std::string t = PrometheusText(m, "myjfs");
  EXPECT_NE(t.find("jfsbr_backup_last_success_timestamp_seconds{volume=\"myjfs\"} 1637663394\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("# TYPE jfsbr_backup_success_total counter\n"), std::string::npos);
  EXPECT_NE(t.find("jfsbr_backup_lease_held{volume=\"myjfs\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace jfsbr
