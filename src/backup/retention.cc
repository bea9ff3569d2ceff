// JuiceFS's rotation rule for metadata backups, and the deletion of the rest.
#include "backup/retention.h"

#include <algorithm>
#include <ctime>

#include "util/clock.h"

namespace jfsbr {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kNameLen = 30;  // "dump-2006-01-02-150405.json.gz"

// now minus two calendar years (Feb 29 normalizes to Mar 1, as Go's AddDate).
int64_t TwoYearsBefore(int64_t now) {
  time_t t = static_cast<time_t>(now);
  struct tm tm;
  gmtime_r(&t, &tm);
  tm.tm_year -= 2;
  return timegm(&tm);
}

}  // namespace

std::optional<int64_t> BackupNameTime(std::string_view name) {
  if (name.size() != kNameLen || name.substr(0, 5) != "dump-") return std::nullopt;
  std::string stamp(name.substr(5, 17));  // 2006-01-02-150405
  struct tm tm = {};
  const char* end = strptime(stamp.c_str(), "%Y-%m-%d-%H%M%S", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return timegm(&tm);
}

std::string BackupNameStem(int64_t unix_seconds) {
  return FormatTime(unix_seconds, "dump-%Y-%m-%d-%H%M%S", /*utc=*/true);
}

std::vector<std::string> ExpiredBackups(std::vector<std::string> names, int64_t now) {
  std::vector<std::pair<int64_t, std::string>> backups;  // newest first
  for (auto& n : names) {
    if (auto t = BackupNameTime(n)) backups.emplace_back(*t, std::move(n));
  }
  std::sort(backups.begin(), backups.end(), std::greater<>());
  const int64_t cutoff = TwoYearsBefore(now);
  int days = 2;                   // the current bucket ends `days` days before now
  int64_t edge = now - 2 * kDay;  // ... at this time (exclusive)
  auto widen = [&] {
    int step = days < 14 ? 1 : days < 60 ? 7 : 30;
    days += step;
    edge -= step * kDay;
  };
  std::vector<std::string> expired;
  std::vector<std::string> bucket;  // newest first; its last one is kept
  auto close_bucket = [&] {
    if (!bucket.empty()) expired.insert(expired.end(), bucket.begin(), bucket.end() - 1);
    bucket.clear();
  };
  for (size_t i = 0; i < backups.size(); i++) {
    const auto& [t, name] = backups[i];
    if (t < cutoff) {
      for (size_t j = i; j < backups.size(); j++) expired.push_back(backups[j].second);
      break;
    }
    if (t < edge) {
      close_bucket();
      do widen();
      while (t < edge);
      bucket.push_back(name);
    } else if (days > 2) {
      bucket.push_back(name);
    }
  }
  close_bucket();
  return expired;
}

}  // namespace jfsbr
