// JuiceFS's write rules on a volume it could have written: immutable and
// append-only inodes, what a child inherits, and the refusals for features
// our writes do not keep (quotas, default and access ACLs).
#include "fs/write_rules.h"

#include <gtest/gtest.h>

#include "fs/volume.h"
#include "meta/registry.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

class WriteRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = FreshMetaUrl("memkv", dir_.path());
    auto e = OpenMeta(url_, true);
    ASSERT_TRUE(e.ok());
    FormatOptions o;
    o.name = "rulesvol";
    o.bucket = dir_.Sub("bucket");
    ASSERT_TRUE(FormatVolume(e->get(), o).ok());
    vol_ = std::move(*Volume::Open(std::move(*e)));
    d_ = *vol_->Mkdir(kRootInode, "d", {.mode = 0755});
    f_ = CreateTestFile(vol_.get(), d_, "f", "hello");
  }
  // Writes attr fields as juicefs chattr / setfacl / quota would.
  void Edit(Ino ino, const std::function<void(Attr*)>& change) {
    Attr a = *vol_->GetAttr(ino);
    change(&a);
    RecordBatch b;
    b.Put(RecordKey::Attr(ino), EncodeAttr(a));
    ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<Volume> vol_;
  Ino d_ = 0, f_ = 0;
};

TEST_F(WriteRulesTest, ImmutableFileAndDir) {
  Edit(f_, [](Attr* a) { a->flags |= kFlagImmutable; });
  EXPECT_TRUE(vol_->Write(f_, 0, "x").Is(Code::kPermission));
  EXPECT_TRUE(vol_->Truncate(f_, 0).Is(Code::kPermission));
  EXPECT_TRUE(vol_->Unlink(d_, "f").Is(Code::kPermission));
  EXPECT_TRUE(vol_->Rename(d_, "f", d_, "g").Is(Code::kPermission));
  EXPECT_TRUE(vol_->Link(f_, kRootInode, "l").Is(Code::kPermission));
  EXPECT_TRUE(vol_->SetXattr(f_, "user.k", "v").Is(Code::kPermission));
  Attr m;
  m.mode = 0600;
  EXPECT_TRUE(vol_->SetAttr(f_, kSetMode, m).Is(Code::kPermission));
  Attr cleared;  // the flags alone may change: that is how the flag goes
  EXPECT_TRUE(vol_->SetAttr(f_, kSetFlags, cleared).ok());
  EXPECT_TRUE(vol_->Write(f_, 0, "j").ok());

  Edit(d_, [](Attr* a) { a->flags |= kFlagImmutable; });
  EXPECT_TRUE(vol_->Mkdir(d_, "sub", {}).status().Is(Code::kPermission));
  EXPECT_TRUE(vol_->Unlink(d_, "f").Is(Code::kPermission));
  EXPECT_TRUE(vol_->Rename(kRootInode, "d", kRootInode, "e").Is(Code::kPermission));
  EXPECT_EQ(*vol_->Read(f_, 0, 5), "jello");
}

TEST_F(WriteRulesTest, AppendOnlyFileTakesWritesAtItsEndOnly) {
  Edit(f_, [](Attr* a) { a->flags |= kFlagAppend; });
  EXPECT_TRUE(vol_->Write(f_, 0, "x").Is(Code::kPermission));
  EXPECT_TRUE(vol_->Write(f_, 5, " world").ok());
  EXPECT_TRUE(vol_->Truncate(f_, 1).Is(Code::kPermission));
  EXPECT_TRUE(vol_->Unlink(d_, "f").Is(Code::kPermission));
  EXPECT_EQ(*vol_->Read(f_, 0, 100), "hello world");
  Edit(d_, [](Attr* a) { a->flags |= kFlagAppend; });
  EXPECT_TRUE(vol_->Mkdir(d_, "new", {}).ok());  // an append-only dir takes new entries
  EXPECT_TRUE(vol_->Rmdir(d_, "new").Is(Code::kPermission));
}

TEST_F(WriteRulesTest, ChildrenInheritSetgidSkipTrashAndTier) {
  Edit(d_, [](Attr* a) {
    a->mode |= 02000;
    a->gid = 4242;
    a->flags |= kFlagSkipTrash;
    a->tier = 2;
  });
  auto sub = vol_->Mkdir(d_, "sub", {.mode = 0755, .uid = 7, .gid = 7});
  ASSERT_TRUE(sub.ok());
  Attr s = *vol_->GetAttr(*sub);
  EXPECT_EQ(s.gid, 4242u);
  EXPECT_EQ(s.mode & 07777, 02755);
  EXPECT_EQ(s.uid, 7u);
  EXPECT_NE(s.flags & kFlagSkipTrash, 0);
  EXPECT_EQ(s.tier, 2);
  Ino g = CreateTestFile(vol_.get(), *sub, "g", "data");
  Attr ga = *vol_->GetAttr(g);
  EXPECT_EQ(ga.gid, 4242u);
  EXPECT_EQ(ga.mode & 07777, 0644);  // files do not take the setgid bit
  // Skip-trash: removed for good although the volume has a trash.
  ASSERT_TRUE(vol_->Unlink(*sub, "g").ok());
  EXPECT_TRUE(vol_->GetAttr(g).status().Is(Code::kNotFound));
}

TEST_F(WriteRulesTest, AclsWeDoNotComputeAreRefused) {
  Edit(d_, [](Attr* a) { a->default_acl = 1; });
  auto r = vol_->Mkdir(d_, "sub", {});
  EXPECT_TRUE(r.status().Is(Code::kNotSupported));
  EXPECT_NE(r.status().message().find("default ACL"), std::string::npos);
  EXPECT_TRUE(vol_->Symlink(d_, "s", "target", {}).ok());  // symlinks take no ACL
  Edit(f_, [](Attr* a) { a->access_acl = 3; });
  Attr m;
  m.mode = 0600;
  Status st = vol_->SetAttr(f_, kSetMode, m);
  EXPECT_TRUE(st.Is(Code::kNotSupported)) << st.ToString();
  m.uid = 9;
  EXPECT_TRUE(vol_->SetAttr(f_, kSetUid, m).ok());
}

TEST_F(WriteRulesTest, QuotasRefuseEveryWrite) {
  RecordBatch b;
  b.Put(RecordKey::DirQuota(d_), EncodeQuota({1 << 30, 1000, 0, 0}));
  ASSERT_TRUE(b.CommitTo(vol_->meta()).ok());
  auto e = OpenMeta(url_, false);
  ASSERT_TRUE(e.ok());
  auto vol = Volume::Open(std::move(*e));
  ASSERT_TRUE(vol.ok());
  Volume* v = vol->get();
  auto m = v->Mkdir(kRootInode, "x", {});
  EXPECT_TRUE(m.status().Is(Code::kNotSupported));
  EXPECT_NE(m.status().message().find("quotas"), std::string::npos);
  EXPECT_TRUE(v->Write(f_, 0, "x").Is(Code::kNotSupported));
  EXPECT_TRUE(v->Unlink(d_, "f").Is(Code::kNotSupported));
  EXPECT_TRUE(v->Rename(d_, "f", d_, "g").Is(Code::kNotSupported));
  EXPECT_TRUE(v->Truncate(f_, 0).Is(Code::kNotSupported));
  EXPECT_EQ(*v->Read(f_, 0, 5), "hello");  // reading is fine
  auto objects = ListAll(v->store(), "chunks/");
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 1u);  // the refused write uploaded nothing
}

}  // namespace
}  // namespace jfsbr
