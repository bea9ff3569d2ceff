// Point-in-time restore from hand-made log files: a revision that two files
// (a takeover's overlap) hold must be the same bytes in both.
#include "pitr/restore_point.h"

#include <gtest/gtest.h>

#include "br/full_backup.h"
#include "fs/volume.h"
#include "pitr/log_task.h"
#include "store/registry.h"
#include "testing/test_volume.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"
#include "util/clock.h"

namespace jfsbr {
namespace {

LogRecord Put(uint64_t rev, const std::string& key, const std::string& value) {
  return {rev, UnixMillis(), {{key, value}}};
}

class RestorePointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = OpenEngine("memkv://rp-src-" + UniqueTestId(), true);
    ASSERT_TRUE(e.ok());
    src_ = std::move(*e);
    FormatOptions o;
    o.name = "rpvol";
    o.storage = o.bucket = "mem";
    ASSERT_TRUE(FormatVolume(NewTkvMeta(BorrowEngine(src_.get())).get(), o).ok());
    full_ = *OpenStoreUrl("mem://rp-full-" + UniqueTestId());
    logs_ = *OpenStoreUrl("mem://rp-log-" + UniqueTestId());
    auto meta = RunFullBackup(src_.get(), full_.get(), {});
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    v_ = meta->revision;
    ASSERT_TRUE(logs_->Put(logpath::kTask, EncodeTaskInfo({"rpvol", "mem://", v_, 1})).ok());
  }

  // One data file of revisions (from, to] and its meta file.
  void File(const std::string& name, uint64_t from, uint64_t to,
            const std::vector<LogRecord>& records) {
    LogFileBuilder b;
    for (const auto& r : records) b.Add(r);
    auto info = b.Upload(logs_.get(), "v1/20261121/10/1/" + name + ".log", from, to);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    LogMeta m;
    m.flush_rev = to;
    m.flush_time_ms = UnixMillis();
    m.files.push_back(*info);
    ASSERT_TRUE(logs_->Put(logpath::MetaFile(m), EncodeLogMeta(m)).ok());
  }

  Result<PointRestoreResult> Restore(uint64_t rev, KvEngine* target) {
    EXPECT_TRUE(
        logs_->Put(logpath::Checkpoint(1), EncodeCheckpoint({rev, UnixMillis(), rev})).ok());
    PointRestoreOptions o;
    o.revision = rev;
    JFS_ASSIGN_OR_RETURN(auto plan, PlanPointRestore(full_.get(), logs_.get(), o));
    return RestoreToPoint(plan, full_.get(), logs_.get(), target, o);
  }

  std::unique_ptr<KvEngine> src_;
  std::shared_ptr<ObjectStore> full_, logs_;
  uint64_t v_ = 0;
};

TEST_F(RestorePointTest, AnOverlapWithTheSameBytesIsAppliedOnce) {
  File("a", v_, v_ + 3, {Put(v_ + 1, "x", "1"), Put(v_ + 2, "y", "2"), Put(v_ + 3, "z", "3")});
  File("b", v_ + 2, v_ + 4, {Put(v_ + 3, "z", "3"), Put(v_ + 4, "w", "4")});
  auto target = *OpenEngine("memkv://rp-t-" + UniqueTestId(), true);
  auto r = Restore(v_ + 4, target.get());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->revisions, 4u);
  EXPECT_EQ(r->changes, 4u);
  EXPECT_EQ(**target->Get("z"), "3");
  EXPECT_EQ(**target->Get("w"), "4");
}

TEST_F(RestorePointTest, AnOverlapThatDisagreesFailsNamingTheFile) {
  File("a", v_, v_ + 3, {Put(v_ + 1, "x", "1"), Put(v_ + 2, "y", "2"), Put(v_ + 3, "z", "3")});
  File("b", v_ + 2, v_ + 4, {Put(v_ + 3, "z", "THREE"), Put(v_ + 4, "w", "4")});
  auto target = *OpenEngine("memkv://rp-t-" + UniqueTestId(), true);
  auto r = Restore(v_ + 4, target.get());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is(Code::kCorruption)) << r.status().ToString();
  EXPECT_NE(r.status().ToString().find("b.log"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().ToString().find("revision " + std::to_string(v_ + 3)), std::string::npos);
}

}  // namespace
}  // namespace jfsbr
