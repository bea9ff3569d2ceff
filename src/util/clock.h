// Wall-clock time: now as unix seconds or milliseconds, and strftime on a
// unix time (UTC or local).
#pragma once

#include <cstdint>
#include <string>

namespace jfsbr {

int64_t UnixSeconds();
int64_t UnixMillis();
// strftime(fmt) of unix time `sec`, in UTC or in the local zone.
std::string FormatTime(int64_t sec, const char* fmt, bool utc);

}  // namespace jfsbr
