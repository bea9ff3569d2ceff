// RecordRuns: runs merged back in key order, every field and value intact,
// equal keys in the order of their runs, whatever the number of runs.
#include "sql/record_runs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace jfsbr {
namespace {

TEST(RecordRunsTest, MergesRunsInKeyOrderWithEveryField) {
  RecordRuns runs;
  RecordRuns::Records a = {{RecordKey::Attr(1), "a1"},
                           {RecordKey::Attr(7), std::string(100000, 'x')},
                           {RecordKey::Entry(1, "n"), ""}};
  RecordRuns::Records b = {{RecordKey::Attr(3), "b3"},
                           {RecordKey::Attr(7), "b7"},  // equal to a's: after it
                           {RecordKey::Chunk(3, 9), std::string("\0\1", 2)}};
  RecordKey odd = RecordKey::DelFile(5, 4096);
  odd.ts = -2;
  odd.other = 11;
  RecordRuns::Records c = {{odd, "c"}};
  ASSERT_TRUE(runs.AddRun(a).ok());
  ASSERT_TRUE(runs.AddRun(b).ok());
  ASSERT_TRUE(runs.AddRun({}).ok());  // nothing: no run
  ASSERT_TRUE(runs.AddRun(c).ok());
  EXPECT_EQ(runs.runs(), 3u);
  RecordRuns::Records got;
  ASSERT_TRUE(runs.Merge([&](RecordKey&& k, std::string&& v) {
                    got.emplace_back(std::move(k), std::move(v));
                    return Status::OK();
                  })
                  .ok());
  RecordRuns::Records want = {a[0], b[0], a[1], b[1], a[2], b[2], c[0]};
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    const RecordKey &g = got[i].first, &w = want[i].first;
    EXPECT_TRUE(!RecordKeyLess()(g, w) && !RecordKeyLess()(w, g)) << i;
    EXPECT_EQ(std::tie(g.kind, g.ino, g.other, g.name, g.id, g.index, g.ts),
              std::tie(w.kind, w.ino, w.other, w.name, w.id, w.index, w.ts))
        << i;
    EXPECT_EQ(got[i].second, want[i].second) << i;
  }
}

TEST(RecordRunsTest, ThousandsOfRunsMergeWithSmallBuffers) {
  // 5,000 runs: each reader's buffer is at its smallest (4 KiB), smaller
  // than some records.
  RecordRuns runs;
  for (uint64_t r = 0; r < 5000; r++) {
    RecordRuns::Records run;
    for (uint64_t i = 0; i < 4; i++) {
      Ino ino = i * 5000 + (r * 7919) % 5000;  // runs interleave
      run.emplace_back(RecordKey::Attr(ino), std::string(r % 97 == 0 ? 9000 : 10, 'v'));
    }
    ASSERT_TRUE(runs.AddRun(run).ok());
  }
  Ino last = 0;
  size_t n = 0;
  bool ordered = true;
  ASSERT_TRUE(runs.Merge([&](RecordKey&& k, std::string&&) {
                    ordered = ordered && (n == 0 || k.ino > last);
                    last = k.ino;
                    n++;
                    return Status::OK();
                  })
                  .ok());
  EXPECT_TRUE(ordered);
  EXPECT_EQ(n, 20000u);
  EXPECT_EQ(last, 19999u);
}

}  // namespace
}  // namespace jfsbr
