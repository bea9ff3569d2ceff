// Wall-clock time, its text forms, and durations.
#include "util/clock.h"

#include <charconv>
#include <chrono>
#include <ctime>

namespace jfsbr {

int64_t UnixSeconds() { return UnixMillis() / 1000; }

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatTime(int64_t sec, const char* fmt, bool utc) {
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  if (utc) {
    gmtime_r(&t, &tm);
  } else {
    localtime_r(&t, &tm);
  }
  char buf[128];
  size_t n = strftime(buf, sizeof(buf), fmt, &tm);
  return std::string(buf, n);
}

std::string LocalTimeText(int64_t unix_ms) {
  return FormatTime(unix_ms / 1000, "%Y-%m-%d %H:%M:%S %z", false);
}

Result<int64_t> ParseTime(const std::string& text) {
  auto bad = [&] {
    return Status::InvalidArgument("cannot read the time '" + text +
                                   "' (use \"2026-11-21 10:42:17\", RFC 3339 or @UNIXSECONDS)");
  };
  if (!text.empty() && text[0] == '@') {
    char* end = nullptr;
    long long v = strtoll(text.c_str() + 1, &end, 10);
    if (!end || *end || end == text.c_str() + 1) return bad();
    return static_cast<int64_t>(v) * 1000 + 999;
  }
  struct tm tm = {};
  const char* rest = strptime(text.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  if (!rest) rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return bad();
  time_t t;
  std::string zone(rest);
  if (zone.empty()) {
    tm.tm_isdst = -1;
    t = mktime(&tm);
  } else if (zone == "Z") {
    t = timegm(&tm);
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int off = (std::stoi(zone.substr(1, 2)) * 60 + std::stoi(zone.substr(4, 2))) * 60;
    t = timegm(&tm) - (zone[0] == '+' ? off : -off);
  } else {
    return bad();
  }
  return static_cast<int64_t>(t) * 1000 + 999;
}

Result<std::chrono::duration<double, std::milli>> ParseDuration(std::string_view text) {
  size_t digits = text.find_first_not_of("0123456789.");
  std::string_view number = text.substr(0, digits);
  std::string_view unit = digits == std::string_view::npos ? "" : text.substr(digits);
  double per = unit == "ms"  ? 1
               : unit == "s" ? 1e3
               : unit == "m" ? 6e4
               : unit == "h" ? 3.6e6
               : unit == "d" ? 8.64e7
                             : -1;
  double v = 0;
  auto r = std::from_chars(number.data(), number.data() + number.size(), v);
  if (number.empty() || per < 0 || r.ec != std::errc() || r.ptr != number.data() + number.size()) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration (like 500ms, 30s, 10m, 1h or 1d)");
  }
  return std::chrono::duration<double, std::milli>(v * per);
}

}  // namespace jfsbr
