// Chunk resolution against hand-worked cases: newest wins, holes explicit.
#include "model/chunk.h"

#include <gtest/gtest.h>

namespace jfsbr {
namespace {

TEST(ResolveChunkTest, NewestWinsAndHolesAreExplicit) {
  // A 100-byte slice, then a 10-byte overwrite at 20, then a write at 200.
  std::vector<SliceRecord> recs = {{0, 1, 100, 0, 100}, {20, 2, 10, 0, 10}, {200, 3, 5, 0, 5}};
  std::vector<ChunkSegment> want = {{0, 20, 1, 100, 0},
                                    {20, 10, 2, 10, 0},
                                    {30, 70, 1, 100, 30},
                                    {100, 100, 0, 0, 0},
                                    {200, 5, 3, 5, 0}};
  EXPECT_EQ(ResolveChunk(recs), want);
}

TEST(ResolveChunkTest, FullOverwriteAndTruncateZeroSlice) {
  std::vector<SliceRecord> recs = {{0, 1, 50, 0, 50}, {0, 2, 60, 0, 60}, {10, 0, 0, 0, 50}};
  std::vector<ChunkSegment> want = {{0, 10, 2, 60, 0}, {10, 50, 0, 0, 0}};
  EXPECT_EQ(ResolveChunk(recs), want);
  EXPECT_TRUE(ResolveChunk({}).empty());
}

}  // namespace
}  // namespace jfsbr
