#include "util/clock.h"

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

}  // namespace jfsbr
