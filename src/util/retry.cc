// The retry loop of optimistic transactions.
#include "util/retry.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <thread>

namespace jfsbr {

Status RetryOnConflict(const std::function<Status()>& attempt, int max_attempts) {
  thread_local std::mt19937 rng(std::random_device{}());
  Status st;
  for (int i = 0; i < max_attempts; i++) {
    st = attempt();
    if (!st.Is(Code::kConflict)) return st;
    int cap_ms = std::min(1 << std::min(i, 7), 100);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (cap_ms * 1000 + 1)));
  }
  return st.Annotate("gave up after " + std::to_string(max_attempts) + " conflicting attempts");
}

}  // namespace jfsbr
