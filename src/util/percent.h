// URL percent-decoding (%XX), as Go's url and database drivers apply it to
// the user and password of a META-URL.
#pragma once

#include <string>
#include <string_view>

namespace jfsbr {

// s with every %XX (two hex digits) replaced by its byte; anything else as is.
std::string PercentDecoded(std::string_view s);

}  // namespace jfsbr
