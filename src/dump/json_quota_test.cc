// User/group quota usage after a JSON load, as JuiceFS 1.4 rebuilds it (seen
// with the real juicefs load of such a dump: same QU/QG records): files
// count their aligned length, directories 4 KiB, one inode each; symlinks
// and special files count nothing but get their owner a record; hard links
// count once; the trash counts on a volume with trash days.
#include <gtest/gtest.h>

#include "dump/json_dump.h"
#include "dump/json_load.h"
#include "fs/volume.h"
#include "kv/registry.h"
#include "model/keys.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

Quota QuotaAt(KvEngine* e, const std::string& key) {
  auto v = e->Get(key);
  EXPECT_TRUE(v.ok() && v->has_value()) << "no quota record";
  if (!v.ok() || !v->has_value()) return {};
  return *DecodeQuota(**v);
}

TEST(JsonQuotaTest, OwnerUsageIsRebuiltAsJuicefsDoes) {
  TempDir dir;
  auto e = OpenEngine(FreshMetaUrl("memkv", dir.path()), true);
  ASSERT_TRUE(e.ok());
  FormatOptions o;
  o.name = "ugvol";
  o.bucket = dir.Sub("bucket");
  o.trash_days = 1;
  ASSERT_TRUE(FormatVolume(e->get(), o).ok());
  auto vol = std::move(*Volume::Open(std::move(*e)));
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
  WriteBatch q;
  q.Put(keys::UserQuota(1234), EncodeQuota({1 << 30, -1, 0, 0}));
  ASSERT_TRUE(vol->engine()->Commit(q).ok());

  auto snap = vol->engine()->Snapshot();
  ASSERT_TRUE(snap.ok());
  std::string dump;
  auto sink = StringSink(&dump);
  ASSERT_TRUE(DumpJson(snap->get(), sink.get(), {}).ok());
  ASSERT_TRUE(sink->Close().ok());
  auto t = OpenEngine(FreshMetaUrl("memkv", dir.path()), true);
  ASSERT_TRUE(t.ok());
  auto src = StringSource(dump);
  auto r = LoadJson(src.get(), t->get(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  KvEngine* out = t->get();
  EXPECT_EQ(QuotaAt(out, keys::UserQuota(1234)), (Quota{1 << 30, -1, 8192, 2}));  // ud, f
  EXPECT_EQ(QuotaAt(out, keys::GroupQuota(4321)), (Quota{-1, -1, 8192, 2}));
  EXPECT_EQ(QuotaAt(out, keys::GroupQuota(777)), (Quota{-1, -1, 0, 0}));  // a symlink's
  // a (once for its two links), the fifo (nothing), the trash's hour dir.
  EXPECT_EQ(QuotaAt(out, keys::UserQuota(0)), (Quota{-1, -1, 12288 + 4096, 2}));
  EXPECT_EQ(QuotaAt(out, keys::UserQuota(55)), (Quota{-1, -1, 4096, 1}));  // in the trash
}

}  // namespace
}  // namespace jfsbr
