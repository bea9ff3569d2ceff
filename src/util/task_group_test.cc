// TaskGroup and ParallelFor: bounded concurrency, the first error stops the rest.
#include "util/task_group.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace jfsbr {
namespace {

TEST(TaskGroupTest, RunsEverythingWithBoundedConcurrency) {
  std::atomic<int> running{0}, peak{0}, done{0};
  {
    TaskGroup g(3);
    for (int i = 0; i < 50; i++) {
      ASSERT_TRUE(g.Submit([&] {
                     int now = ++running;
                     int p = peak.load();
                     while (now > p && !peak.compare_exchange_weak(p, now)) {
                     }
                     std::this_thread::sleep_for(std::chrono::milliseconds(1));
                     running--;
                     done++;
                     return Status::OK();
                   }).ok());
    }
    EXPECT_TRUE(g.Wait().ok());
    EXPECT_EQ(done.load(), 50);
  }
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST(TaskGroupTest, FirstErrorStopsTheRest) {
  TaskGroup g(2);
  std::atomic<int> ran{0};
  Status submit;
  for (int i = 0; i < 100 && submit.ok(); i++) {
    submit = g.Submit([&, i] {
      ran++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return i == 3 ? Status::IOError("task 3 failed") : Status::OK();
    });
  }
  Status st = g.Wait();
  EXPECT_TRUE(st.Is(Code::kIOError));
  EXPECT_EQ(st.message(), "task 3 failed");
  EXPECT_LT(ran.load(), 100);
}

TEST(ParallelForTest, EveryIndexOnceAndTheFirstErrorStopsTheRest) {
  std::vector<std::atomic<int>> hits(1000);
  ASSERT_TRUE(ParallelFor(hits.size(), 4, [&](size_t i) {
                hits[i]++;
                return Status::OK();
              }).ok());
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
  std::atomic<int> ran{0};
  Status st = ParallelFor(1000, 3, [&](size_t i) {
    ran++;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return i == 5 ? Status::IOError("index 5") : Status::OK();
  });
  EXPECT_EQ(st.message(), "index 5");
  EXPECT_LT(ran.load(), 1000);
  EXPECT_TRUE(ParallelFor(0, 4, [](size_t) { return Status::IOError("never"); }).ok());
}

}  // namespace
}  // namespace jfsbr
