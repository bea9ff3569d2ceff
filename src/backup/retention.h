// Which metadata backups to keep: JuiceFS's rotation rule
// (juicefs-formats.md §2.5), so that jfsbr and JuiceFS clients sharing a
// volume agree on what stays.
//
//   every backup of the last 2 days is kept; then the oldest one of each day
//   up to 14 days back, of each 7 days up to ~2 months, of each 30 days
//   beyond; nothing older than 2 years (calendar years, UTC).
//
// Only names of JuiceFS's shape count: "dump-YYYY-MM-DD-HHMMSS" + a 8-byte
// suffix (".json.gz"; jfsbr's binary backups are ".bin.zst"), 30 bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jfsbr {

// The UTC time (unix seconds) a backup name carries, or nullopt if the name
// is not a backup's.
std::optional<int64_t> BackupNameTime(std::string_view name);
// "dump-YYYY-MM-DD-HHMMSS" for a UTC unix time.
std::string BackupNameStem(int64_t unix_seconds);
// The names (of those given) the rule deletes at time now; names that are
// not a backup's are never returned.
std::vector<std::string> ExpiredBackups(std::vector<std::string> names, int64_t now);

}  // namespace jfsbr
