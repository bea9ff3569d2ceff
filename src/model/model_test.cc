// Golden byte tests for the record value codecs, written by hand from
// juicefs-formats.md §1 and §2.3 (not produced by our own encoders).
#include <gtest/gtest.h>

#include "model/attr.h"
#include "model/block.h"
#include "model/records.h"
#include "util/coding.h"

namespace jfsbr {
namespace {

std::string Hex(const std::string& s) { return HexString(s); }

TEST(AttrTest, GoldenPlainFile) {
  Attr a;
  a.type = FileType::kFile;
  a.mode = 0644;
  a.uid = 1000;
  a.gid = 1000;
  a.atime = 1, a.atimensec = 2, a.mtime = 3, a.mtimensec = 4, a.ctime = 5, a.ctimensec = 6;
  a.nlink = 1;
  a.length = 4096;
  a.parent = 1;
  std::string want =
      "00"
      "11a4"
      "000003e8"
      "000003e8"
      "0000000000000001"
      "00000002"
      "0000000000000003"
      "00000004"
      "0000000000000005"
      "00000006"
      "00000001"
      "0000000000001000"
      "00000000"
      "0000000000000001"
      "00";
  std::string v = EncodeAttr(a);
  EXPECT_EQ(v.size(), 72u);
  EXPECT_EQ(Hex(v), want);
  auto back = DecodeAttr(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a);
}

TEST(AttrTest, AclAndTierVariants) {
  Attr a;
  a.type = FileType::kDirectory;
  a.mode = 01777;
  a.flags = kFlagImmutable;
  a.nlink = 2;
  a.access_acl = 1;
  a.default_acl = 2;
  std::string v = EncodeAttr(a);
  ASSERT_EQ(v.size(), 80u);
  EXPECT_EQ(Hex(v.substr(0, 3)), "0123ff");
  EXPECT_EQ(Hex(v.substr(71)),
            "0000000100000002"
            "00");
  a.tier = 3;
  v = EncodeAttr(a);
  ASSERT_EQ(v.size(), 81u);
  EXPECT_EQ(Hex(v.substr(79)), "0300");
  a.access_acl = a.default_acl = 0;
  v = EncodeAttr(a);
  ASSERT_EQ(v.size(), 73u);
  EXPECT_EQ(Hex(v.substr(71)), "0300");
  auto back = DecodeAttr(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a);
}

TEST(AttrTest, LegacyAndCorrupt) {
  Attr a;
  a.type = FileType::kSymlink;
  a.mode = 0777;
  a.length = 5;
  std::string v = EncodeAttr(a).substr(0, 63);  // pre-Parent layout
  auto back = DecodeAttr(v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->length, 5u);
  EXPECT_EQ(back->parent, 0u);
  EXPECT_FALSE(DecodeAttr(v.substr(0, 62)).ok());
  std::string bad = EncodeAttr(a);
  bad[1] = 0;  // type 0
  EXPECT_TRUE(DecodeAttr(bad).status().Is(Code::kCorruption));
}

TEST(RecordsTest, Dentry) {
  std::string v = EncodeDentry({FileType::kDirectory, 0x0102});
  EXPECT_EQ(Hex(v),
            "02"
            "0000000000000102");  // child inode big-endian in values
  auto d = DecodeDentry(v);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ino, 0x0102u);
  EXPECT_FALSE(DecodeDentry(v.substr(1)).ok());
}

TEST(RecordsTest, SliceRecords) {
  std::string v;
  AppendSliceRecord(&v, {1, 2, 3, 4, 5});
  AppendSliceRecord(&v, {0x10, 0x1122334455667788, 0x400000, 0, 0x400000});
  EXPECT_EQ(Hex(v),
            "00000001"
            "0000000000000002"
            "00000003"
            "00000004"
            "00000005"
            "00000010"
            "1122334455667788"
            "00400000"
            "00000000"
            "00400000");
  auto s = DecodeChunk(v);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[1].id, 0x1122334455667788u);
  EXPECT_TRUE(DecodeChunk(v.substr(0, 25)).status().Is(Code::kCorruption));
}

TEST(RecordsTest, CountersBothOrders) {
  EXPECT_EQ(Hex(EncodeCounterLE(1026)), "0204000000000000");
  EXPECT_EQ(Hex(EncodeCounterBE(1026)), "0000000000000402");
  EXPECT_EQ(*DecodeCounterLE(EncodeCounterLE(-3)), -3);
  EXPECT_EQ(*DecodeCounterBE(EncodeCounterBE(1637664458)), 1637664458);
  EXPECT_TRUE(IsTimestampCounter("lastCleanupTrash"));
  EXPECT_FALSE(IsTimestampCounter("nextInode"));
}

TEST(RecordsTest, DirStatQuotaDelayedDelFile) {
  EXPECT_EQ(Hex(EncodeDirStat({5, 4096, 1})),
            "0000000000000005"
            "0000000000001000"
            "0000000000000001");
  EXPECT_EQ(*DecodeDirStat(EncodeDirStat({-1, 2, 3})), (DirStat{-1, 2, 3}));
  EXPECT_EQ(Hex(EncodeQuota({1, -1, 3, 4})),
            "0000000000000001"
            "ffffffffffffffff"
            "0000000000000003"
            "0000000000000004");
  EXPECT_EQ(*DecodeQuota(EncodeQuota({1, 2, 3, 4})), (Quota{1, 2, 3, 4}));
  EXPECT_EQ(Hex(EncodeDelayedSlices({{7, 4096}, {8, 1}})),
            "0000000000000007"
            "00001000"
            "0000000000000008"
            "00000001");
  EXPECT_EQ(DecodeDelayedSlices(EncodeDelayedSlices({{7, 4096}}))->at(0), (SliceId{7, 4096}));
  EXPECT_EQ(Hex(EncodeDelFileTime(1637664458)), "00000000619cc6ca");
}

TEST(RecordsTest, AclRule) {
  AclRule r;
  r.owner = 7, r.group = 5, r.mask = 5, r.other = 4;
  r.users = {{1000, 6}};
  r.groups = {};
  std::string v = EncodeAclRule(r);
  EXPECT_EQ(Hex(v),
            "0007"
            "0005"
            "0005"
            "0004"
            "00000001"
            "000003e8"
            "0006"
            "00000000");
  EXPECT_EQ(v.size(), 16u + 6u);
  EXPECT_EQ(*DecodeAclRule(v), r);
  EXPECT_FALSE(DecodeAclRule(v.substr(0, 20)).ok());
}

TEST(BlockTest, ObjectNames) {
  EXPECT_EQ(BlockKey(1, 0, 4194304, false), "chunks/0/0/1_0_4194304");
  EXPECT_EQ(BlockKey(1234567, 2, 2097152, false), "chunks/1/1234/1234567_2_2097152");
  EXPECT_EQ(BlockKey(1234567, 2, 100, true), "chunks/87/1/1234567_2_100");
  EXPECT_EQ(BlockKey(10, 0, 5, true), "chunks/0A/0/10_0_5");
  const uint64_t bs = 4 << 20;
  EXPECT_EQ(BlockCount(10 << 20, bs), 3u);
  EXPECT_EQ(BlockLen(10 << 20, 2, bs), 2u << 20);
  EXPECT_EQ(BlockLen(10 << 20, 1, bs), bs);
  EXPECT_EQ(BlockCount(0, bs), 0u);
}

}  // namespace
}  // namespace jfsbr
