// Golden byte tests for JuiceFS's TKV key schema (tkv/keys.h), written by hand
// from juicefs-formats.md §1.3 (not produced by our own encoders).
#include "tkv/keys.h"

#include <gtest/gtest.h>

#include "util/coding.h"

namespace jfsbr {
namespace {

std::string Hex(const std::string& s) { return HexString(s); }

TEST(KeysTest, GoldenBytes) {
  EXPECT_EQ(keys::Setting(), "setting");
  EXPECT_EQ(Hex(keys::Counter("nextInode")), "436e657874496e6f6465");
  // Inode numbers in keys are little-endian.
  EXPECT_EQ(Hex(keys::Attr(1)),
            "41"
            "0100000000000000"
            "49");
  EXPECT_EQ(Hex(keys::Attr(0x0102030405060708)),
            "41"
            "0807060504030201"
            "49");
  EXPECT_EQ(Hex(keys::Entry(1, "a b")),
            "41"
            "0100000000000000"
            "44"
            "612062");
  EXPECT_EQ(Hex(keys::Parent(2, 3)),
            "41"
            "0200000000000000"
            "50"
            "0300000000000000");
  // Chunk indexes are big-endian.
  EXPECT_EQ(Hex(keys::Chunk(0x0102, 3)),
            "41"
            "0201000000000000"
            "43"
            "00000003");
  EXPECT_EQ(Hex(keys::Symlink(9)),
            "41"
            "0900000000000000"
            "53");
  EXPECT_EQ(Hex(keys::Xattr(9, "k")),
            "41"
            "0900000000000000"
            "58"
            "6b");
  EXPECT_EQ(Hex(keys::DelFile(2, 4096)),
            "44"
            "0200000000000000"
            "0000000000001000");
  EXPECT_EQ(Hex(keys::SliceRef(5, 4096)),
            "4b"
            "0000000000000005"
            "00001000");
  EXPECT_EQ(Hex(keys::DelayedSlices(0x61000000, 7)),
            "4c"
            "0000000061000000"
            "0000000000000007");
  EXPECT_EQ(Hex(keys::DirStat(1)),
            "55"
            "0100000000000000");
  EXPECT_EQ(Hex(keys::DirQuota(1)),
            "5144"
            "0100000000000000");
  // uids and gids are big-endian 64-bit.
  EXPECT_EQ(Hex(keys::UserQuota(501)),
            "5155"
            "00000000000001f5");
  EXPECT_EQ(Hex(keys::GroupQuota(20)),
            "5147"
            "0000000000000014");
  EXPECT_EQ(Hex(keys::AclRule(1)),
            "52"
            "00000001");
  EXPECT_EQ(Hex(keys::SessionExpire(3)),
            "5345"
            "0000000000000003");
  EXPECT_EQ(Hex(keys::Sustained(3, 4)),
            "5353"
            "0000000000000003"
            "0400000000000000");
  EXPECT_EQ(Hex(keys::Detached(4)),
            "4e"
            "0400000000000000");
}

TEST(KeysTest, ParseRoundTrip) {
  using K = RecordKind;
  auto p = keys::Parse(keys::Chunk(77, 2));
  EXPECT_EQ(p.kind, K::kChunk);
  EXPECT_EQ(p.ino, 77u);
  EXPECT_EQ(p.index, 2u);
  p = keys::Parse(keys::Entry(1, std::string("\xff\x00z", 3)));
  EXPECT_EQ(p.kind, K::kEntry);
  EXPECT_EQ(p.name, std::string("\xff\x00z", 3));
  p = keys::Parse(keys::Parent(5, 6));
  EXPECT_EQ(p.kind, K::kParent);
  EXPECT_EQ(p.other, 6u);
  p = keys::Parse(keys::SliceRef(9, 100));
  EXPECT_EQ(p.kind, K::kSliceRef);
  EXPECT_EQ(p.id, 9u);
  EXPECT_EQ(p.index, 100u);
  p = keys::Parse(keys::UserQuota(501));
  EXPECT_EQ(p.kind, K::kUserQuota);
  EXPECT_EQ(p.id, 501u);
  EXPECT_EQ(keys::Parse("Cfoo").kind, K::kCounter);
  EXPECT_EQ(keys::Parse("K123").kind, K::kUnknown);  // wrong length is not a K key
}

TEST(KeysTest, PrefixEnd) {
  EXPECT_EQ(keys::PrefixEnd("A"), "B");
  EXPECT_EQ(keys::PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(keys::PrefixEnd(std::string("\xff\xff", 2)), "");
}

TEST(KeysTest, EveryRecordKindRoundTrips) {
  const RecordKey all[] = {
      RecordKey::Setting(),
      RecordKey::Counter("nextInode"),
      RecordKey::Attr(7),
      RecordKey::Entry(1, "a"),
      RecordKey::Parent(7, 3),
      RecordKey::Chunk(7, 9),
      RecordKey::Symlink(7),
      RecordKey::Xattr(7, "user.x"),
      RecordKey::DelFile(7, 4096),
      RecordKey::SliceRef(11, 12),
      RecordKey::DelayedSlices(1700000000, 13),
      RecordKey::DirStat(7),
      RecordKey::DirQuota(7),
      RecordKey::UserQuota(501),
      RecordKey::GroupQuota(20),
      RecordKey::AclRule(3),
      RecordKey::SessionExpire(4),
      RecordKey::SessionInfo(4),
      RecordKey::Sustained(4, 7),
      RecordKey::Detached(7),
      RecordKey::Tool("backup-lease"),
  };
  for (const RecordKey& k : all) {
    std::string encoded = keys::Encode(k);
    EXPECT_FALSE(encoded.empty()) << Describe(k);
    EXPECT_EQ(keys::Parse(encoded), k) << Describe(k);
  }
  EXPECT_EQ(keys::Encode(RecordKey::Tool("backup-lease")), "jfsbr/backup-lease");
}

}  // namespace
}  // namespace jfsbr
