// The Redis protocol's command form (RESP arrays of bulk strings), as the
// replication stream carries commands and the log backup stores them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace jfsbr {

// Parses one command at the start of buf into *args (views into buf): the
// bytes it took, 0 if buf holds only part of one. A malformed one is
// kCorruption.
Result<size_t> ParseRespCommand(std::string_view buf, std::vector<std::string_view>* args);

// Upper-case of a command's name, for comparisons.
std::string CommandName(std::string_view arg0);

}  // namespace jfsbr
