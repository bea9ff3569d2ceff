// ThreadPool: a fixed set of threads running queued jobs in FIFO order.
// Submit returns a future of the job's result. The destructor finishes the
// queued jobs first. Callers bound the queue themselves (e.g. by waiting on
// the futures of a window of jobs).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace jfsbr {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 0; i < (threads < 1 ? 1 : threads); i++) {
      workers_.emplace_back([this] { Run(); });
    }
  }
  ~ThreadPool() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  template <typename F>
  auto Submit(F&& f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::forward<F>(f));
    auto fut = task->get_future();
    {
      std::lock_guard l(mu_);
      jobs_.emplace_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return fut;
  }

 private:
  void Run() {
    std::unique_lock l(mu_);
    while (true) {
      cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      l.unlock();
      job();
      l.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace jfsbr
