// Binary dumps as JuiceFS writes and reads them, where older JuiceFS states
// differ: the 1.4.0 betas' typed quota list, a setting without tiers.
#include <gtest/gtest.h>

#include "binary_format.pb.h"
#include "dump/binary.h"
#include "fs/volume.h"
#include "meta/registry.h"
#include "model/records.h"
#include "testing/test_volume.h"
#include "util/coding.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

// The quota segment of a binary dump rewritten as the betas wrote it: every
// quota in `quotas`, typed; the segment's length and the footer's offsets of
// the segments after it follow.
std::string AsBetaDump(const std::string& dump) {
  size_t pos = 0;
  while (pos + 12 <= dump.size()) {
    uint32_t type = GetBE32(dump.data() + pos);
    if (type == kBinaryMagic) break;
    uint64_t len = GetBE64(dump.data() + pos + 4);
    if (type != 13) {  // not the quota segment
      pos += 12 + len;
      continue;
    }
    pb::Batch b;
    EXPECT_TRUE(b.ParseFromString(dump.substr(pos + 12, len)));
    for (auto& q : *b.mutable_userquotas()) *b.add_quotas() = q;
    for (auto& q : *b.mutable_groupquotas()) *b.add_quotas() = q;
    b.clear_userquotas();
    b.clear_groupquotas();
    std::string body;
    b.SerializeToString(&body);
    std::string out = dump.substr(0, pos + 4);
    PutBE64(&out, body.size());
    out += body;
    const int64_t shift = static_cast<int64_t>(body.size()) - static_cast<int64_t>(len);
    uint64_t flen = GetBE64(dump.data() + dump.size() - 8);
    size_t fpos = dump.size() - 8 - flen;
    out += dump.substr(pos + 12 + len, fpos - (pos + 12 + len));  // the rest and EOS
    pb::Footer f;
    EXPECT_TRUE(f.ParseFromString(dump.substr(fpos, flen)));
    for (auto& [name, info] : *f.mutable_infos()) {
      for (auto& off : *info.mutable_offset()) {
        if (off > pos) off += shift;
      }
    }
    std::string footer;
    f.SerializeToString(&footer);
    out += footer;
    PutBE64(&out, footer.size());
    return out;
  }
  ADD_FAILURE() << "no quota segment";
  return dump;
}

// The binary dump of a volume's engine.
std::string BinaryDump(Meta* e) {
  auto snap = e->Snapshot();
  EXPECT_TRUE(snap.ok());
  std::string dump;
  auto sink = StringSink(&dump);
  EXPECT_TRUE(DumpBinary(snap->get(), sink.get(), {.keep_secret = true}).ok());
  EXPECT_TRUE(sink->Close().ok());
  return dump;
}

TEST(BinaryCompatTest, BetaDumpsKeepUserAndGroupQuotas) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path());
  ASSERT_NE(vol, nullptr);
  Meta* e = vol->meta();
  RecordBatch w;
  w.Put(RecordKey::DirQuota(kRootInode), EncodeQuota({1 << 30, 100, 0, 1}));
  w.Put(RecordKey::UserQuota(501), EncodeQuota({1 << 20, 10, 4096, 1}));
  w.Put(RecordKey::GroupQuota(20), EncodeQuota({-1, -1, 8192, 2}));
  ASSERT_TRUE(w.CommitTo(e).ok());
  std::string dump = BinaryDump(e);
  std::string beta = AsBetaDump(dump);
  ASSERT_NE(beta, dump);

  for (const std::string* input : {&dump, &beta}) {
    auto t = OpenMeta(FreshMetaUrl("memkv", dir.path()), true);
    ASSERT_TRUE(t.ok());
    auto src = StringSource(*input);
    auto r = LoadBinary(src.get(), t->get(), {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const RecordKey& k :
         {RecordKey::DirQuota(kRootInode), RecordKey::UserQuota(501), RecordKey::GroupQuota(20)}) {
      EXPECT_EQ(*(*t)->Get(k), *e->Get(k)) << (input == &beta ? "beta" : "1.4.0");
    }
    EXPECT_FALSE((*t)->Get(RecordKey::DirQuota(501))->has_value())
        << "a user quota became a dir quota";
  }
}

// An older volume's setting has no Tiers; JuiceFS fills in the default tier
// when it reads the setting, so its binary dump shows it (not null).
TEST(BinaryCompatTest, ASettingWithoutTiersDumpsTheDefaultTier) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path());
  ASSERT_NE(vol, nullptr);
  VolumeFormat f = vol->format();
  f.tiers.reset();
  f.storage_class = "STANDARD_IA";
  RecordBatch w;
  w.Put(RecordKey::Setting(), EncodeSetting(f));
  ASSERT_TRUE(w.CommitTo(vol->meta()).ok());
  ASSERT_NE(EncodeSetting(f).find("\"Tiers\": null"), std::string::npos);
  std::string dump = BinaryDump(vol->meta());
  ASSERT_EQ(GetBE32(dump.data()), 1u);  // the format segment comes first
  pb::Format format;
  ASSERT_TRUE(format.ParseFromString(dump.substr(12, GetBE64(dump.data() + 4))));
  EXPECT_NE(format.data().find("\"Tiers\": {\n\"0\": {\n\"ID\": 0,\n\"StorageClass\": "
                               "\"STANDARD_IA\""),
            std::string::npos)
      << format.data();
}

// A record the binary format cannot carry (a dentry of the wrong length) is
// counted and named, and the dump fails: it used to be dropped in silence.
TEST(BinaryCompatTest, DamagedRecordsFailTheDumpNamingTheFirst) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path());
  ASSERT_NE(vol, nullptr);
  ASSERT_TRUE(vol->Mkdir(kRootInode, "fine", {.mode = 0755}).ok());
  RecordBatch b;
  b.Put(RecordKey::Entry(kRootInode, "torn"), "\x01\x02");
  b.Put(RecordKey::Entry(kRootInode, "torn2"), "");
  ASSERT_TRUE(b.CommitTo(vol->meta()).ok());
  auto snap = vol->meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  std::string dump;
  auto sink = StringSink(&dump);
  auto r = DumpBinary(snap->get(), sink.get(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is(Code::kCorruption)) << r.status().ToString();
  EXPECT_NE(r.status().message().find("2 damaged records"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("entry 'torn' of inode 1"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace jfsbr
