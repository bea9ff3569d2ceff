// ExternalSorter yields exactly std::sort's order, in memory and through
// many spilled runs, and combines equal keys across runs.
#include "util/external_sorter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "util/test_util.h"

namespace jfsbr {
namespace {

struct Rec {
  uint64_t key;
  uint32_t tag;  // not part of the order: stable sorting is not promised
  uint32_t count;
};
struct ByKey {
  bool operator()(const Rec& a, const Rec& b) const { return a.key < b.key; }
};
struct SumByKey {
  bool operator()(Rec& into, const Rec& r) const {
    if (into.key != r.key) return false;
    into.count += r.count;
    return true;
  }
};

std::vector<uint64_t> Keys(int n, uint64_t range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> keys(n);
  for (auto& k : keys) k = rng() % range;
  return keys;
}

void SortsLikeStdSort(size_t memory, int n, bool expect_spill) {
  TempDir d;
  ExternalSorter<Rec, ByKey> s(memory, d.path());
  auto keys = Keys(n, 1u << 30, n);
  for (uint64_t k : keys) ASSERT_TRUE(s.Add({k, 7, 1}).ok());
  ASSERT_TRUE(s.Finish().ok());
  std::sort(keys.begin(), keys.end());
  Rec r;
  size_t i = 0;
  while (s.Next(&r)) {
    ASSERT_LT(i, keys.size());
    ASSERT_EQ(r.key, keys[i++]);
    ASSERT_EQ(r.tag, 7u);
  }
  ASSERT_TRUE(s.status().ok()) << s.status().ToString();
  EXPECT_EQ(i, keys.size());
  EXPECT_EQ(s.added(), keys.size());
  EXPECT_EQ(s.spilled_bytes() > 0, expect_spill);
}

TEST(ExternalSorterTest, InMemory) { SortsLikeStdSort(16 << 20, 100000, false); }
TEST(ExternalSorterTest, ManyRuns) { SortsLikeStdSort(64 << 10, 200000, true); }

TEST(ExternalSorterTest, Empty) {
  ExternalSorter<Rec, ByKey> s;
  ASSERT_TRUE(s.Finish().ok());
  Rec r;
  EXPECT_FALSE(s.Next(&r));
  EXPECT_TRUE(s.status().ok());
}

TEST(ExternalSorterTest, CombinesAcrossRuns) {
  TempDir d;
  ExternalSorter<Rec, ByKey, SumByKey> s(64 << 10, d.path());
  std::map<uint64_t, uint32_t> want;
  // Few repeats within a buffer: runs are spilled, and equal keys meet only
  // in the merge.
  for (uint64_t k : Keys(300000, 150000, 3)) {
    ASSERT_TRUE(s.Add({k, 0, 1}).ok());
    want[k]++;
  }
  ASSERT_TRUE(s.Finish().ok());
  EXPECT_GT(s.spilled_bytes(), 0u);
  std::map<uint64_t, uint32_t> got;
  Rec r;
  uint64_t last = 0;
  bool first = true;
  while (s.Next(&r)) {
    ASSERT_TRUE(first || r.key > last) << "key " << r.key << " twice or out of order";
    first = false;
    last = r.key;
    got[r.key] = r.count;
  }
  ASSERT_TRUE(s.status().ok());
  EXPECT_EQ(got, want);
}

TEST(ExternalSorterTest, UnwritableDirIsAnError) {
  ExternalSorter<Rec, ByKey> s(1, "/nonexistent/jfsbr-sort");
  Status st;
  for (int i = 0; i < 5000 && st.ok(); i++) st = s.Add({static_cast<uint64_t>(i), 0, 1});
  if (st.ok()) st = s.Finish();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/jfsbr-sort"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace jfsbr
