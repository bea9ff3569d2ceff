// Flag values: integers and durations, each checked against its range.
#include "cli/flags.h"

#include <charconv>
#include <string>

#include "util/clock.h"

namespace jfsbr::cli {
namespace {

Status OutOfRange(std::string_view flag, std::string_view text, const std::string& range) {
  return Status::InvalidArgument("--" + std::string(flag) + " must be " + range + ", not '" +
                                 std::string(text) + "'");
}

}  // namespace

Result<uint64_t> ParseUintFlag(std::string_view flag, std::string_view text, uint64_t min,
                               uint64_t max) {
  uint64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  std::string range = max == UINT64_MAX
                          ? "an integer of at least " + std::to_string(min)
                          : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (text.empty() || r.ptr != text.data() + text.size() || r.ec == std::errc::invalid_argument) {
    return OutOfRange(flag, text, range);
  }
  if (r.ec == std::errc::result_out_of_range || v < min || v > max) {
    return OutOfRange(flag, text, range);
  }
  return v;
}

Result<std::chrono::milliseconds> ParseDurationFlag(std::string_view flag, std::string_view text,
                                                    std::chrono::milliseconds min,
                                                    std::chrono::milliseconds max) {
  std::string range = "a duration from " + DurationText(min) + " to " + DurationText(max) +
                      " (like 30s, 10m, 1h or 1d)";
  auto d = ParseDuration(text);
  if (!d.ok()) return OutOfRange(flag, text, range);
  // Compared as doubles first: a huge value must not wrap when converted.
  double ms = d->count();
  if (ms < static_cast<double>(min.count()) || ms > static_cast<double>(max.count())) {
    return OutOfRange(flag, text, range);
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

std::string DurationText(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms % 86400000 == 0) return std::to_string(ms / 86400000) + "d";
  if (ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace jfsbr::cli
