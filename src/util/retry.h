// Running an optimistic transaction again while it conflicts: one loop for
// every kind of transaction (Meta::Transact, the TKV family's RunTxn).
#pragma once

#include <functional>

#include "util/status.h"

namespace jfsbr {

// Calls attempt until it returns anything but kConflict, up to max_attempts
// times, sleeping a short randomized and growing while between tries (two
// operations that keep colliding drift apart instead of retrying in step).
Status RetryOnConflict(const std::function<Status()>& attempt, int max_attempts);

}  // namespace jfsbr
