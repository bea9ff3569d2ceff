// TaskGroup: runs Status-returning tasks on a fixed set of threads.
//
// Submit blocks while `threads` tasks are already queued or running, so the
// caller's memory stays bounded. After the first task fails, tasks not yet
// started are skipped and Submit returns that error at once. Wait blocks until
// every submitted task has finished and returns the first error. Submit and
// Wait are for one producer thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "util/status.h"

namespace jfsbr {

class TaskGroup {
 public:
  explicit TaskGroup(int threads);
  ~TaskGroup();  // waits for the tasks
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  Status Submit(std::function<Status()> task);
  Status Wait();

 private:
  void Worker();

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::function<Status()>> queue_;
  size_t limit_;
  size_t pending_ = 0;  // queued or running
  bool stop_ = false;
  Status first_error_;
  std::vector<std::thread> threads_;
};

// Calls fn(i) for every i in [0, n) on `threads` threads (i in any order).
// After the first error no new i starts; returns that error.
Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn);

}  // namespace jfsbr
