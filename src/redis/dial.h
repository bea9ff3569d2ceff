// Opening the socket under a Redis connection that hiredis does not make
// (the replication link, TLS): TCP with no delay, or a unix socket.
#pragma once

#include <string>

#include "redis/redis_url.h"
#include "util/result.h"

namespace jfsbr {

// A connected socket to `at` (its descriptor, which the caller closes); a
// failure is kUnavailable naming the address.
Result<int> DialRedis(const RedisAddress& at);

}  // namespace jfsbr
