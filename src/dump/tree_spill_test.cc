// The spill gives the same dump as the snapshot walk, also when records are
// filed in the wrong place.
#include "dump/tree_spill.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "dump/json_dump.h"
#include "dump/json_render.h"
#include "fs/bench_gen.h"
#include "fs/volume.h"
#include "meta/registry.h"
#include "testing/test_volume.h"
#include "util/coding.h"
#include "util/io.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

// Every record filed under key, run by run.
std::string Get(const KeySpill& spill, uint64_t key) {
  std::string out;
  for (auto e : spill.Find(key)) {
    size_t at = out.size();
    out.resize(at + e.length);
    EXPECT_TRUE(spill.Read(e.offset, e.length, out.data() + at).ok());
  }
  return out;
}

// Splits a list of [len u32][payload] records.
std::vector<std::string> Records(const std::string& data) {
  std::vector<std::string> out;
  for (size_t at = 0; at + 4 <= data.size();) {
    uint32_t len = GetLE32(data.data() + at);
    out.push_back(data.substr(at + 4, len));
    at += 4 + len;
  }
  return out;
}

TEST(KeySpillTest, RecordsComeBackByKeyWithEachWritersOrderKept) {
  TempDir dir;
  auto spill = KeySpill::Create(dir.path());
  ASSERT_TRUE(spill.ok()) << spill.status().ToString();
  constexpr int kPerWriter = 3000, kKeys = 37;
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; w++) {
    threads.emplace_back([&, w] {
      auto writer = (*spill)->NewWriter(512);  // a run every few records
      for (int i = 0; i < kPerWriter; i++) {
        std::string payload = std::to_string(w) + ":" + std::to_string(i);
        ASSERT_TRUE(writer->Add(static_cast<uint64_t>(i % kKeys) * 1000003, payload).ok());
      }
      ASSERT_TRUE(writer->Flush().ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT((*spill)->runs(), 100u);
  uint64_t records = 0, bytes = 0;
  for (int k = 0; k < kKeys; k++) {
    std::string data = Get(**spill, static_cast<uint64_t>(k) * 1000003);
    int last[2] = {-1, -1};
    for (const std::string& r : Records(data)) {
      int w = r[0] - '0', i = std::stoi(r.substr(2));
      EXPECT_EQ(i % kKeys, k) << r;
      EXPECT_GT(i, last[w]) << "writer " << w << " out of order under key " << k;
      last[w] = i;
      records++;
      bytes += 4 + r.size();
    }
  }
  EXPECT_EQ(records, 2u * kPerWriter);
  EXPECT_EQ(bytes, (*spill)->bytes());
  EXPECT_TRUE((*spill)->Find(42).empty());
}

TEST(KeySpillTest, AMissingDirectoryIsNamed) {
  auto spill = KeySpill::Create("/nonexistent/spill-dir");
  ASSERT_FALSE(spill.ok());
  EXPECT_NE(spill.status().ToString().find("/nonexistent/spill-dir"), std::string::npos)
      << spill.status().ToString();
}

std::string Dump(Meta* e, bool spill, int threads = 2, size_t index_limit = 1 << 20) {
  auto snap = e->Snapshot();
  EXPECT_TRUE(snap.ok());
  std::string out;
  auto sink = StringSink(&out);
  DumpOptions o;
  o.spill = spill;
  o.threads = threads;
  o.spill_index_limit = index_limit;
  auto st = DumpJson(snap->get(), sink.get(), o);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (st.ok() && spill) {
    EXPECT_NE(st->spilled_bytes > 0, st->spill_given_up);
  }
  return out;
}

class SpilledDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = OpenMeta("memkv://spill-" + std::to_string(getpid()) + "-" +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                      true);
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
  }
  std::unique_ptr<Meta> engine_;
};

// Every directory's entries and its children's nodes, as the spill gives
// them back (all in memory, or each child read alone), equal what the
// snapshot holds: the entries listed in key order, the nodes read by seeks.
TEST_F(SpilledDirTest, EntriesAndNodesEqualTheSnapshotsInBothModes) {
  // 50,000 files: a big directory of 5,000 (two entry records), 1,000 leaf
  // directories, hard links into the big directory, symlinks, xattrs.
  ASSERT_TRUE(GenerateBenchVolume(engine_.get(), 50000, 2).ok());
  auto snap = engine_->Snapshot();
  ASSERT_TRUE(snap.ok());
  TempDir dir;
  auto spill = KeySpill::Create(dir.path());
  ASSERT_TRUE(spill.ok());
  ASSERT_TRUE(SpillInodes(snap->get(), 3, 64 << 10, spill->get(), {}).ok());
  EXPECT_GT((*spill)->runs(), 20u);
  AclCache acls(snap->get());
  std::vector<Ino> dirs = {kRootInode};
  size_t checked = 0;
  while (!dirs.empty()) {
    Ino d = dirs.back();
    dirs.pop_back();
    std::vector<std::pair<std::string, Dentry>> want;
    ASSERT_TRUE((*snap)
                    ->Scan(RecordRange::Entries(d),
                           [&](const RecordKey& k, auto v) {
                             want.emplace_back(k.name, *DecodeDentry(v));
                             return true;
                           })
                    .ok());
    for (uint64_t in_memory : {uint64_t{0}, uint64_t{1} << 30}) {
      auto sd = SpilledDir::Read(**spill, d, in_memory);
      ASSERT_TRUE(sd.ok()) << sd.status().ToString();
      std::vector<DirChild> got;
      while (true) {
        auto page = sd->NextChildren(1000);
        ASSERT_TRUE(page.ok());
        if (page->empty()) break;
        for (auto& c : *page) got.push_back(std::move(c));
      }
      ASSERT_EQ(got.size(), want.size()) << "dir " << d;
      std::string scratch;
      for (size_t i = 0; i < got.size(); i++) {
        ASSERT_EQ(got[i].name, want[i].first);
        ASSERT_EQ(got[i].dentry, want[i].second);
        auto rec = sd->Node(got[i].dentry.ino, &scratch);
        ASSERT_TRUE(rec.ok());
        ASSERT_FALSE(rec->empty()) << "inode " << got[i].dentry.ino << " not filed under " << d;
        DumpedNode n;
        n.ino = got[i].dentry.ino;
        std::optional<std::string> attr;
        ASSERT_TRUE(DecodeSpilledNode(*rec, &n, &attr).ok());
        ASSERT_TRUE(FinishNode(&acls, got[i].dentry.type, attr, &n).ok());
        auto read = ReadDumpedNodes(snap->get(), &acls, {{n.ino, got[i].dentry.type}});
        ASSERT_TRUE(read.ok());
        std::string a, b;
        AppendLeafEntry(&a, got[i].name, n, 1);
        AppendLeafEntry(&b, got[i].name, (*read)[0], 1);
        ASSERT_EQ(a, b);
        if (in_memory == 0 && n.attr.IsDir()) dirs.push_back(n.ino);
        checked++;
      }
    }
  }
  EXPECT_GT(checked, 2 * 50000u);
  std::string read = Dump(engine_.get(), false);
  EXPECT_EQ(Dump(engine_.get(), true), read);
  // A spill whose index would grow past its limit is given up: same bytes.
  EXPECT_EQ(Dump(engine_.get(), true, 2, 10), read);
  auto small = KeySpill::Create(dir.path(), 10);
  ASSERT_TRUE(small.ok());
  Status st = SpillInodes(snap->get(), 2, 64 << 10, small->get(), {});
  EXPECT_TRUE(st.Is(Code::kNotSupported)) << st.ToString();
}

// The spill files a child under the parent its attr names; an entry whose
// child says otherwise (a damaged parent field), or that points to no inode,
// is read from the snapshot, so the dump is the same either way.
TEST_F(SpilledDirTest, ChildrenFiledElsewhereOrMissingAreReadFromTheSnapshot) {
  FormatOptions o;
  o.name = "spilltest";
  o.storage = "mem";
  o.bucket = "b";
  ASSERT_TRUE(FormatVolume(engine_.get(), o).ok());
  auto vol = Volume::Open(std::move(engine_));
  ASSERT_TRUE(vol.ok()) << vol.status().ToString();
  Volume* v = vol->get();
  Ino a = *v->Mkdir(kRootInode, "a", {.mode = 0755});
  Ino b = *v->Mkdir(kRootInode, "b", {.mode = 0755});
  Ino f = *v->CreateFile(a, "moved", {.mode = 0644}, 0, {});
  Ino g = *v->CreateFile(a, "linked", {.mode = 0644}, 0, {});
  ASSERT_TRUE(v->Link(g, b, "link").ok());
  ASSERT_TRUE(v->SetXattr(f, "user.k", "v").ok());
  Meta* e = v->meta();
  RecordBatch wb;  // "moved" goes to b, its attr still naming a
  wb.Delete(RecordKey::Entry(a, "moved"));
  wb.Put(RecordKey::Entry(b, "moved"), EncodeDentry({FileType::kFile, f}));
  wb.Put(RecordKey::Entry(b, "ghost"), EncodeDentry({FileType::kFile, 999999}));
  ASSERT_TRUE(wb.CommitTo(e).ok());
  std::string spilled = Dump(e, true), read = Dump(e, false);
  EXPECT_EQ(spilled, read);
  EXPECT_NE(spilled.find("\"moved\": {"), std::string::npos);
  EXPECT_NE(spilled.find("\"inode\":999999"), std::string::npos);
  EXPECT_EQ(Dump(e, true, 1), read);
}

}  // namespace
}  // namespace jfsbr
