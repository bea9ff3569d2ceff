// Which backups JuiceFS's rotation rule keeps, day by day.
#include "backup/retention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace jfsbr {
namespace {

constexpr int64_t kDay = 86400;

int64_t Utc(int y, int mon, int d, int h = 0, int mi = 0, int s = 0) {
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return timegm(&tm);
}

TEST(RetentionTest, NamesAndTimes) {
  EXPECT_EQ(BackupNameTime("dump-2021-11-23-102954.json.gz"), Utc(2021, 11, 23, 10, 29, 54));
  EXPECT_EQ(BackupNameTime("dump-2021-11-23-102954.bin.zst"), Utc(2021, 11, 23, 10, 29, 54));
  EXPECT_EQ(BackupNameStem(Utc(2026, 1, 2, 3, 4, 5)), "dump-2026-01-02-030405");
  for (const char* bad : {"dump-2021-11-23-102954.json", "dump-2021-13-23-102954.json.gz",
                          "dump-2021-11-23-1029xx.json.gz", "dunp-2021-11-23-102954.json.gz",
                          "dump-2021-11-23-102954.json.gz.tmp"}) {
    EXPECT_FALSE(BackupNameTime(bad).has_value()) << bad;
  }
}

// The rule restated as buckets: [now-2d, now] keeps everything; bucket k is
// [now-e(k+1), now-e(k)) over the edges e = 2,3,...,14,21,...,63,93,123,...
// days, keeping its oldest backup; nothing before now minus two years.
std::set<std::string> Kept(const std::vector<std::pair<int64_t, std::string>>& all, int64_t now,
                           int64_t two_years_ago) {
  std::vector<int64_t> edges;  // in days
  for (int d = 2; d <= 800; d += d < 14 ? 1 : d < 60 ? 7 : 30) edges.push_back(d);
  std::set<std::string> kept;
  for (const auto& [t, name] : all) {
    if (t >= now - 2 * kDay && t >= two_years_ago) kept.insert(name);
  }
  for (size_t k = 0; k + 1 < edges.size(); k++) {
    int64_t hi = now - edges[k] * kDay, lo = now - edges[k + 1] * kDay;
    const std::pair<int64_t, std::string>* oldest = nullptr;
    for (const auto& b : all) {
      if (b.first >= lo && b.first < hi && b.first >= two_years_ago &&
          (!oldest || b.first < oldest->first)) {
        oldest = &b;
      }
    }
    if (oldest) kept.insert(oldest->second);
  }
  return kept;
}

TEST(RetentionTest, ThreeYearsOfBackupsKeepExactlyWhatTheRuleSays) {
  const int64_t now = Utc(2026, 11, 21, 12, 0, 0);
  std::vector<std::pair<int64_t, std::string>> all;
  std::mt19937 rng(7);
  // Every 6 hours (with jitter) for three years, plus bursts, JSON and binary.
  for (int64_t t = now - 3 * 366 * kDay; t <= now; t += 6 * 3600) {
    int64_t at = t + static_cast<int64_t>(rng() % 600);
    if (at > now) break;
    all.emplace_back(at, BackupNameStem(at) + (rng() % 4 ? ".json.gz" : ".bin.zst"));
  }
  for (int i = 0; i < 50; i++) {
    int64_t at = now - static_cast<int64_t>(rng() % (40 * kDay));
    all.emplace_back(at, BackupNameStem(at) + ".json.gz");
  }
  std::vector<std::string> names;
  for (const auto& b : all) names.push_back(b.second);
  names.push_back("dump-latest.json.gz");  // not a backup's name: never deleted
  names.push_back("README");
  std::shuffle(names.begin(), names.end(), rng);

  std::vector<std::string> expired = ExpiredBackups(names, now);
  std::set<std::string> expired_set(expired.begin(), expired.end());
  EXPECT_EQ(expired_set.size(), expired.size()) << "a name deleted twice";
  std::set<std::string> kept = Kept(all, now, Utc(2024, 11, 21, 12, 0, 0));
  for (const auto& [t, name] : all) {
    EXPECT_NE(kept.count(name), expired_set.count(name))
        << name << (kept.count(name) ? " should be kept" : " should be deleted");
  }
  EXPECT_EQ(expired_set.count("dump-latest.json.gz") + expired_set.count("README"), 0u);
  // By hand: the 2-day window holds ~8 backups plus the bursts in it; then
  // 12 daily, 7 weekly and (730-63)/30 = 22 monthly buckets, one backup each
  // (the last monthly bucket is cut by the two-year limit but not empty).
  size_t recent = 0;
  for (const auto& [t, name] : all) recent += t >= now - 2 * kDay;
  EXPECT_EQ(kept.size(), recent + 12 + 7 + 23);
}

TEST(RetentionTest, EdgeCases) {
  const int64_t now = Utc(2026, 3, 1, 0, 0, 0);
  auto name = [](int64_t t) { return BackupNameStem(t) + ".json.gz"; };
  EXPECT_TRUE(ExpiredBackups({}, now).empty());
  // Exactly two calendar years old (2024-03-01) stays; a second older goes.
  int64_t limit = Utc(2024, 3, 1, 0, 0, 0);
  auto e = ExpiredBackups({name(limit), name(limit - 1)}, now);
  EXPECT_EQ(e, std::vector<std::string>{name(limit - 1)});
  // Within one daily bucket the oldest stays.
  int64_t day3 = now - 2 * kDay - 3600;
  e = ExpiredBackups({name(day3), name(day3 - 60), name(day3 - 7200)}, now);
  std::sort(e.begin(), e.end());
  EXPECT_EQ(e, (std::vector<std::string>{name(day3 - 60), name(day3)}));
  // Everything in the last two days stays, however many.
  std::vector<std::string> recent;
  for (int i = 0; i < 100; i++) recent.push_back(name(now - i * 1000));
  EXPECT_TRUE(ExpiredBackups(recent, now).empty());
}

}  // namespace
}  // namespace jfsbr
