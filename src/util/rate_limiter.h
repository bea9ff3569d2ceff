// A byte-rate limit shared by threads: Acquire(n) waits until n more bytes
// fit under the rate (bytes per second; 0 means no limit).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

namespace jfsbr {

class RateLimiter {
 public:
  explicit RateLimiter(double bytes_per_second) : rate_(bytes_per_second) {}

  void Acquire(uint64_t n) {
    if (rate_ <= 0) return;
    using Clock = std::chrono::steady_clock;
    Clock::time_point at;
    {
      std::lock_guard l(mu_);
      auto now = Clock::now();
      if (next_ < now) next_ = now;
      at = next_;
      next_ +=
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / rate_));
    }
    std::this_thread::sleep_until(at);
  }

 private:
  double rate_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace jfsbr
