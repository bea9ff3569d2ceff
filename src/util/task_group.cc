// Running Status-returning tasks on a fixed set of threads.
#include "util/task_group.h"

#include <algorithm>
#include <atomic>

namespace jfsbr {

TaskGroup::TaskGroup(int threads) : limit_(threads < 1 ? 1 : static_cast<size_t>(threads)) {
  for (size_t i = 0; i < limit_; i++) threads_.emplace_back([this] { Worker(); });
}

TaskGroup::~TaskGroup() {
  (void)Wait();
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

Status TaskGroup::Submit(std::function<Status()> task) {
  std::unique_lock l(mu_);
  done_cv_.wait(l, [&] { return pending_ < limit_ || !first_error_.ok(); });
  if (!first_error_.ok()) return first_error_;
  queue_.push_back(std::move(task));
  pending_++;
  work_cv_.notify_one();
  return Status::OK();
}

Status TaskGroup::Wait() {
  std::unique_lock l(mu_);
  done_cv_.wait(l, [&] { return pending_ == 0; });
  return first_error_;
}

void TaskGroup::Worker() {
  std::unique_lock l(mu_);
  while (true) {
    work_cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    auto task = std::move(queue_.front());
    queue_.pop_front();
    bool skip = !first_error_.ok();
    l.unlock();
    Status st = skip ? Status::OK() : task();
    l.lock();
    if (!st.ok() && first_error_.ok()) first_error_ = st;
    pending_--;
    done_cv_.notify_all();
  }
}

Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first;
  std::vector<std::thread> workers;
  size_t count = std::min<size_t>(n, static_cast<size_t>(std::max(threads, 1)));
  for (size_t t = 0; t < count; t++) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < n && !failed; i = next++) {
        Status st = fn(i);
        if (!st.ok()) {
          std::lock_guard l(mu);
          if (first.ok()) first = st;
          failed = true;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return first;
}

}  // namespace jfsbr
