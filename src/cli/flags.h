// The one parser of numeric and duration flag values: range-checked, with a
// one-line error naming the flag (never an exception, never a wrapped value).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "util/result.h"

namespace jfsbr::cli {

// Ten years: the longest duration any flag takes.
inline constexpr std::chrono::milliseconds kMaxDuration{int64_t{3650} * 86400 * 1000};

// A decimal integer in [min, max].
Result<uint64_t> ParseUintFlag(std::string_view flag, std::string_view text, uint64_t min,
                               uint64_t max);
// 500ms, 30s, 10m, 1h, 1d (a decimal number and a unit) in [min, max].
Result<std::chrono::milliseconds> ParseDurationFlag(std::string_view flag, std::string_view text,
                                                    std::chrono::milliseconds min,
                                                    std::chrono::milliseconds max);
// "1s", "10m", "2d": the shortest exact way to write d, for messages.
std::string DurationText(std::chrono::milliseconds d);

}  // namespace jfsbr::cli
