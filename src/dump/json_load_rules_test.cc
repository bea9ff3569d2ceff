// What a JSON load rebuilds as JuiceFS 1.4's load does (each seen with the
// real juicefs load of such a dump, giving the same records).
//
// User/group quota usage (QU/QG): files
// count their aligned length, directories 4 KiB, one inode each; symlinks
// and special files count nothing but get their owner a record; hard links
// count once; the trash counts on a volume with trash days.
#include <gtest/gtest.h>

#include "dump/json_dump.h"
#include "dump/json_load.h"
#include "fs/volume.h"
#include "meta/registry.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

// A fresh engine holding the JSON dump of `from`, loaded.
std::unique_ptr<Meta> DumpAndLoad(Meta* from, const std::string& dir) {
  auto snap = from->Snapshot();
  EXPECT_TRUE(snap.ok());
  std::string dump;
  auto sink = StringSink(&dump);
  EXPECT_TRUE(DumpJson(snap->get(), sink.get(), {}).ok());
  EXPECT_TRUE(sink->Close().ok());
  auto t = OpenMeta(FreshMetaUrl("memkv", dir), true);
  EXPECT_TRUE(t.ok());
  auto src = StringSource(dump);
  auto r = LoadJson(src.get(), t->get(), {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(*t);
}

Quota QuotaAt(Meta* e, const RecordKey& key) {
  auto v = e->Get(key);
  EXPECT_TRUE(v.ok() && v->has_value()) << "no quota record";
  if (!v.ok() || !v->has_value()) return {};
  return *DecodeQuota(**v);
}

TEST(JsonLoadRulesTest, OwnerUsageAsJuicefsRebuildsIt) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path(), {.trash_days = 1});
  ASSERT_NE(vol, nullptr);
  Ino ud = *vol->Mkdir(kRootInode, "ud", {.mode = 0755, .uid = 1234, .gid = 4321});
  SliceWriter w(vol.get(), 0);
  ASSERT_TRUE(w.Append("hello").ok());
  ASSERT_TRUE(
      vol->CreateFile(ud, "f", {.mode = 0644, .uid = 1234, .gid = 4321}, 5, *w.Finish()).ok());
  ASSERT_TRUE(vol->Symlink(ud, "s", "x", {.mode = 0777, .uid = 1234, .gid = 777}).ok());
  ASSERT_TRUE(vol->Mknod(kRootInode, "p", FileType::kFifo, {.mode = 0644}).ok());
  Ino a = CreateTestFile(vol.get(), kRootInode, "a", std::string(10000, 'a'));
  ASSERT_TRUE(vol->Link(a, kRootInode, "a2").ok());
  SliceWriter g(vol.get(), 0);
  ASSERT_TRUE(g.Append("bye").ok());
  ASSERT_TRUE(vol->CreateFile(kRootInode, "gone", {.uid = 55, .gid = 56}, 3, *g.Finish()).ok());
  ASSERT_TRUE(vol->Unlink(kRootInode, "gone").ok());  // into the trash
  RecordBatch q;
  q.Put(RecordKey::UserQuota(1234), EncodeQuota({1 << 30, -1, 0, 0}));
  ASSERT_TRUE(q.CommitTo(vol->meta()).ok());

  auto loaded = DumpAndLoad(vol->meta(), dir.path());
  Meta* out = loaded.get();
  EXPECT_EQ(QuotaAt(out, RecordKey::UserQuota(1234)), (Quota{1 << 30, -1, 8192, 2}));  // ud, f
  EXPECT_EQ(QuotaAt(out, RecordKey::GroupQuota(4321)), (Quota{-1, -1, 8192, 2}));
  EXPECT_EQ(QuotaAt(out, RecordKey::GroupQuota(777)), (Quota{-1, -1, 0, 0}));  // a symlink's
  // a (once for its two links), the fifo (nothing), the trash's hour dir.
  EXPECT_EQ(QuotaAt(out, RecordKey::UserQuota(0)), (Quota{-1, -1, 12288 + 4096, 2}));
  EXPECT_EQ(QuotaAt(out, RecordKey::UserQuota(55)), (Quota{-1, -1, 4096, 1}));  // in the trash
}

// ACL ids: identical rules share one; ids go out as an entry ends, after its
// children, the access rule before the default rule.
TEST(JsonLoadRulesTest, AclIdsInJuicefsOrder) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path());
  ASSERT_NE(vol, nullptr);
  Ino d = *vol->Mkdir(kRootInode, "d", {.mode = 0755});
  Ino f = CreateTestFile(vol.get(), d, "f", "x");
  Ino g = CreateTestFile(vol.get(), d, "g", "y");
  AclRule dir_access{7, 5, 5, 5, {{1000, 5}}, {}}, dir_default{7, 5, 7, 5, {}, {{50, 7}}};
  AclRule file_access{6, 4, 6, 4, {{3000, 6}}, {}};
  RecordBatch b;
  b.Put(RecordKey::AclRule(1), EncodeAclRule(dir_access));
  b.Put(RecordKey::AclRule(2), EncodeAclRule(dir_default));
  b.Put(RecordKey::AclRule(3), EncodeAclRule(file_access));
  auto set = [&](Ino ino, uint32_t access, uint32_t dflt) {
    Attr a = *vol->GetAttr(ino);
    a.access_acl = access;
    a.default_acl = dflt;
    b.Put(RecordKey::Attr(ino), EncodeAttr(a));
  };
  set(d, 1, 2);
  set(f, 3, 0);
  set(g, 3, 0);  // the same rule: one id
  ASSERT_TRUE(b.CommitTo(vol->meta()).ok());

  auto t = DumpAndLoad(vol->meta(), dir.path());
  auto attr = [&](Ino ino) { return *DecodeAttr(*t->Get(RecordKey::Attr(ino)).value()); };
  EXPECT_EQ(attr(f).access_acl, 1u);
  EXPECT_EQ(attr(g).access_acl, 1u);
  EXPECT_EQ(attr(d).access_acl, 2u);
  EXPECT_EQ(attr(d).default_acl, 3u);
  EXPECT_EQ(*t->Get(RecordKey::AclRule(1)).value(), EncodeAclRule(file_access));
  EXPECT_EQ(*t->Get(RecordKey::AclRule(3)).value(), EncodeAclRule(dir_default));
}

}  // namespace
}  // namespace jfsbr

namespace jfsbr {
namespace {

// The JSON dump of a volume, as a string.
std::string JsonDumpOf(Volume* vol) {
  std::string dump;
  auto snap = vol->meta()->Snapshot();
  EXPECT_TRUE(snap.ok());
  if (!snap.ok()) return dump;
  auto sink = StringSink(&dump);
  EXPECT_TRUE(DumpJson(snap->get(), sink.get(), {}).ok());
  EXPECT_TRUE(sink->Close().ok());
  return dump;
}

// A damaged dump that gives two different entries one inode is refused
// before the setting is written (counted on disk by a RefCounter).
TEST(JsonLoadRulesTest, AnInodeGivenToTwoEntriesIsRefused) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path(), {});
  ASSERT_NE(vol, nullptr);
  Ino x = CreateTestFile(vol.get(), kRootInode, "x", "one");
  Ino y = CreateTestFile(vol.get(), kRootInode, "y", "two");
  std::string dump = JsonDumpOf(vol.get());
  std::string from = "\"inode\":" + std::to_string(y), to = "\"inode\":" + std::to_string(x);
  auto at = dump.find(from);
  ASSERT_NE(at, std::string::npos) << dump;
  dump.replace(at, from.size(), to);
  auto t = OpenMeta(FreshMetaUrl("memkv", dir.path()), true);
  ASSERT_TRUE(t.ok());
  auto src = StringSource(dump);
  auto r = LoadJson(src.get(), t->get(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is(Code::kCorruption)) << r.status().ToString();
  EXPECT_NE(r.status().message().find("inode " + std::to_string(x) + " to two"), std::string::npos)
      << r.status().ToString();
  auto setting = (*t)->Get(RecordKey::Setting());
  ASSERT_TRUE(setting.ok());
  EXPECT_FALSE(setting->has_value()) << "a refused load left a setting";
}

// Hard links: the links of an inode are counted over the whole dump, per
// directory, and a second occurrence that disagrees with the first is
// refused.
TEST(JsonLoadRulesTest, HardLinksAreCountedAndMustAgree) {
  TempDir dir;
  auto vol = NewMemVolume(dir.path(), {});
  ASSERT_NE(vol, nullptr);
  Ino x = CreateTestFile(vol.get(), kRootInode, "x", "one");
  auto d = vol->Mkdir(kRootInode, "d", {.mode = 0755});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(vol->Link(x, *d, "x1").ok());
  ASSERT_TRUE(vol->Link(x, *d, "x2").ok());
  std::string dump = JsonDumpOf(vol.get());

  auto t = OpenMeta(FreshMetaUrl("memkv", dir.path()), true);
  ASSERT_TRUE(t.ok());
  auto src = StringSource(dump);
  ASSERT_TRUE(LoadJson(src.get(), t->get(), {}).ok());
  auto a = (*t)->Get(RecordKey::Attr(x));
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ(DecodeAttr(**a)->nlink, 3u);
  EXPECT_EQ(DecodeAttr(**a)->parent, 0u);
  auto in_d = (*t)->Get(RecordKey::Parent(x, *d));
  ASSERT_TRUE(in_d.ok() && in_d->has_value());
  EXPECT_EQ(*DecodeCounterLE(**in_d), 2);

  // The second occurrence says another mtime.
  std::string inode = "\"inode\":" + std::to_string(x) + ",", mtime = "\"mtime\":";
  auto at = dump.find(inode, dump.find(inode) + 1);
  ASSERT_NE(at, std::string::npos) << dump;
  at = dump.find(mtime, at);
  ASSERT_NE(at, std::string::npos);
  dump.insert(at + mtime.size(), "1");
  auto t2 = OpenMeta(FreshMetaUrl("memkv", dir.path()), true);
  ASSERT_TRUE(t2.ok());
  auto src2 = StringSource(dump);
  auto r = LoadJson(src2.get(), t2->get(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dumped again with other attributes"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace jfsbr
