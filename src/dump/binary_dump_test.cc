// A binary dump that reads the second half of a TKV engine's inode keys on a
// thread (and replays them after the first) writes the same bytes as one
// that reads them in one scan, segment boundaries included.
#include <gtest/gtest.h>

#include "dump/binary.h"
#include "fs/volume.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

std::string Dump(MetaSnapshot* snap, int threads) {
  std::string out;
  auto sink = StringSink(&out);
  auto r = DumpBinary(snap, sink.get(), {.threads = threads});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(sink->Close().ok());
  return out;
}

TEST(BinaryDumpTest, TwoRangesAtOnceGiveTheSameBytes) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path());
  ASSERT_NE(vol, nullptr);
  // More than a segment (10,000 records) of nodes and entries, spread over
  // both halves of the key space (an inode key starts with its lowest byte).
  auto d = vol->Mkdir(kRootInode, "d", {.mode = 0755});
  ASSERT_TRUE(d.ok());
  for (int i = 0; i < 10500; i++) {
    auto f = vol->CreateFile(*d, "f" + std::to_string(i), {.mode = 0644}, 0, {});
    ASSERT_TRUE(f.ok());
    if (i % 500 == 0) {
      ASSERT_TRUE(vol->Write(*f, 0, "x").ok());
      ASSERT_TRUE(vol->SetXattr(*f, "user.k", "v").ok());
      ASSERT_TRUE(vol->Link(*f, kRootInode, "l" + std::to_string(i)).ok());
      ASSERT_TRUE(vol->Link(*f, kRootInode, "m" + std::to_string(i)).ok());
    }
  }
  ASSERT_TRUE(vol->Symlink(kRootInode, "s", "d/f1", {}).ok());
  auto snap = vol->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE((*snap)->ShardsConcatenate());  // else both dumps read one range
  std::string one = Dump(snap->get(), 1), two = Dump(snap->get(), 4);
  EXPECT_GT(one.size(), 500000u);
  EXPECT_TRUE(one == two) << "sizes " << one.size() << " and " << two.size();
}

}  // namespace
}  // namespace jfsbr
