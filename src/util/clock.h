// Wall-clock time: now as unix seconds or milliseconds, and strftime on a
// unix time (UTC or local).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace jfsbr {

int64_t UnixSeconds();
int64_t UnixMillis();
// strftime(fmt) of unix time `sec`, in UTC or in the local zone.
std::string FormatTime(int64_t sec, const char* fmt, bool utc);

// Unix milliseconds as "2026-11-21 10:42:17 +0800" (local zone), for messages.
std::string LocalTimeText(int64_t unix_ms);

// A time as people give it: "2026-11-21 10:42:17" (local), RFC 3339
// ("2026-11-21T10:42:17Z", "...+08:00"), or "@1763721737" (unix seconds).
// Returns unix milliseconds (the end of the given second).
Result<int64_t> ParseTime(const std::string& text);

// A duration: a decimal number and a unit (ms, s, m, h, d), e.g. "500ms",
// "2.5s", "1d". kInvalidArgument otherwise; no range check (callers have one).
Result<std::chrono::duration<double, std::milli>> ParseDuration(std::string_view text);

}  // namespace jfsbr
