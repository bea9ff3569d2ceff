// RefCounter finds exactly the shared slices and their counts, in memory
// and through many spilled runs.
#include "dump/ref_counter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "util/test_util.h"

namespace jfsbr {
namespace {

using Counts = std::map<std::pair<uint64_t, uint32_t>, uint32_t>;

Counts Shared(RefCounter* c) {
  Counts out;
  std::pair<uint64_t, uint32_t> last{0, 0};
  EXPECT_TRUE(c->ForEachShared([&](uint64_t id, uint32_t size, uint32_t n) {
                 EXPECT_LT(last, std::make_pair(id, size)) << "not in order";
                 last = {id, size};
                 out[{id, size}] = n;
               }).ok());
  return out;
}

void Check(size_t memory, int refs, uint64_t distinct, bool expect_spill) {
  TempDir d;
  RefCounter c(d.path(), memory);
  Counts all;
  std::mt19937_64 rng(static_cast<uint64_t>(refs) * 7 + distinct);
  for (int i = 0; i < refs; i++) {
    uint64_t id = 1 + rng() % distinct;  // 0 is a hole: never counted
    uint32_t size = static_cast<uint32_t>(id % 3 == 0 ? 4096 : 65536);
    if (i % 97 == 0) size = 123;  // the same id with another size is another slice
    ASSERT_TRUE(c.Add(id, size).ok());
    all[{id, size}]++;
  }
  ASSERT_TRUE(c.Add(0, 100).ok());
  Counts want;
  for (const auto& [k, n] : all) {
    if (n > 1) want[k] = n;
  }
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(Shared(&c), want);
  EXPECT_EQ(c.spilled_bytes() > 0, expect_spill);
}

TEST(RefCounterTest, InMemory) { Check(16 << 20, 50000, 30000, false); }

TEST(RefCounterTest, ThroughManyRuns) {
  Check(16 << 10, 200000, 150000, true);  // 1,024 entries a run: ~200 runs
}

TEST(RefCounterTest, MostlyDuplicatesStayInMemory) {
  Check(16 << 10, 200000, 200, false);  // compaction keeps the buffer small
}

}  // namespace
}  // namespace jfsbr
