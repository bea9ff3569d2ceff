// Load refuses bad input without leaving anything that passes for a volume,
// and a dump taken while the volume changes reflects one moment.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "dump/binary.h"
#include "dump/json_dump.h"
#include "dump/json_load.h"
#include "fs/check.h"
#include "fs/volume.h"
#include "kv/registry.h"
#include "model/keys.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

std::string Golden() {
  std::ifstream f(std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::unique_ptr<KvEngine> MemEngine() {
  static std::atomic<int> n{0};
  return std::move(*OpenEngine("memkv://safety-" + std::to_string(n++), true));
}

Status LoadString(const std::string& dump, KvEngine* e) {
  auto src = StringSource(dump);
  return LoadJson(src.get(), e, {}).status();
}

// A volume is there only if it has a setting and passes check.
bool LooksLikeAVolume(KvEngine* e) {
  auto snap = e->Snapshot();
  auto r = CheckVolume(snap->get());
  return r.ok() && r->ok();
}

TEST(LoadSafetyTest, TruncatedInputIsRefusedAtEveryOffset) {
  std::string golden = Golden();
  ASSERT_GT(golden.size(), 1000u);
  std::mt19937 rng(1);
  for (int i = 0; i < 300; i++) {
    size_t cut = i < 10 ? static_cast<size_t>(i) : rng() % (golden.size() - 1);
    auto e = MemEngine();
    Status st = LoadString(golden.substr(0, cut), e.get());
    ASSERT_FALSE(st.ok()) << "cut at " << cut;
    EXPECT_TRUE(st.Is(Code::kCorruption)) << st.ToString();
    EXPECT_NE(st.message().find("byte"), std::string::npos) << st.ToString();
    EXPECT_EQ(st.ToString().find('\n'), std::string::npos);
    EXPECT_FALSE(e->Get(keys::Setting())->has_value()) << "cut at " << cut;
    EXPECT_FALSE(LooksLikeAVolume(e.get()));
  }
}

TEST(LoadSafetyTest, FlippedBytesFailCleanlyOrLoadAConsistentVolume) {
  std::string golden = Golden();
  std::mt19937 rng(2);
  int refused = 0;
  int flips = getenv("JFSBR_FLIPS") ? atoi(getenv("JFSBR_FLIPS")) : 1500;  // more: a long run
  for (int i = 0; i < flips; i++) {
    std::string bad = golden;
    size_t at = rng() % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    auto e = MemEngine();
    Status st = LoadString(bad, e.get());
    if (!st.ok()) {
      refused++;
      EXPECT_EQ(st.ToString().find('\n'), std::string::npos);
      EXPECT_FALSE(e->Get(keys::Setting())->has_value());
    } else {
      // JSON carries no checksum: a flip inside a name or a number can make
      // another valid dump, which must then load into a consistent volume.
      EXPECT_TRUE(LooksLikeAVolume(e.get())) << "flip at " << at;
    }
  }
  EXPECT_GT(refused, 500);
}

std::string GoldenBinary() {
  auto e = MemEngine();
  EXPECT_TRUE(LoadString(Golden(), e.get()).ok());
  auto snap = e->Snapshot();
  std::string bin;
  auto sink = StringSink(&bin);
  EXPECT_TRUE(DumpBinary(snap->get(), sink.get(), {}).ok());
  return bin;
}

Status LoadBinaryString(const std::string& dump, KvEngine* e) {
  auto src = StringSource(dump);
  return LoadBinary(src.get(), e, {}).status();
}

TEST(LoadSafetyTest, BinaryTruncatedOrFlippedIsRefusedOrConsistent) {
  std::string bin = GoldenBinary();
  ASSERT_GT(bin.size(), 500u);
  std::mt19937 rng(4);
  for (int i = 0; i < 300; i++) {
    size_t cut = rng() % bin.size();
    auto e = MemEngine();
    Status st = LoadBinaryString(bin.substr(0, cut), e.get());
    ASSERT_FALSE(st.ok()) << "cut at " << cut;
    EXPECT_TRUE(st.Is(Code::kCorruption)) << st.ToString();
    EXPECT_FALSE(e->Get(keys::Setting())->has_value());
  }
  int refused = 0;
  int flips = getenv("JFSBR_FLIPS") ? atoi(getenv("JFSBR_FLIPS")) : 300;  // more: a long run
  for (int i = 0; i < flips; i++) {
    std::string bad = bin;
    size_t at = rng() % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    auto e = MemEngine();
    Status st = LoadBinaryString(bad, e.get());
    if (!st.ok()) {
      refused++;
      EXPECT_EQ(st.ToString().find('\n'), std::string::npos);
      EXPECT_FALSE(e->Get(keys::Setting())->has_value()) << st.ToString();
    } else {
      EXPECT_TRUE(LooksLikeAVolume(e.get())) << "flip at " << at;
    }
  }
  EXPECT_GT(refused, 100);
  auto e = MemEngine();
  EXPECT_FALSE(LoadBinaryString(Golden(), e.get()).ok());  // JSON is not a binary dump
  EXPECT_FALSE(LoadString(bin, e.get()).ok());             // nor the reverse
}

TEST(LoadSafetyTest, WrongFormatsAreRefused) {
  for (std::string input : {std::string(), std::string("[]"), std::string("{}"),
                            std::string("\x1f\x8b\x08\x00gzip", 8), std::string("{\"Setting\": 1}"),
                            std::string("{\"Counters\": {}, \"FSTree\": {\"entries\": {}}}"),
                            std::string("not json at all")}) {
    auto e = MemEngine();
    Status st = LoadString(input, e.get());
    EXPECT_FALSE(st.ok()) << input;
    EXPECT_FALSE(e->Get(keys::Setting())->has_value());
  }
}

TEST(LoadSafetyTest, NonEmptyTargetIsRefusedUntilCleared) {
  auto e = MemEngine();
  ASSERT_TRUE(LoadString(Golden(), e.get()).ok());
  Status again = LoadString(Golden(), e.get());
  EXPECT_TRUE(again.Is(Code::kExists));
  EXPECT_NE(again.message().find("not empty"), std::string::npos);
  ASSERT_TRUE(ClearEngine(e.get()).ok());
  ASSERT_TRUE(LoadString(Golden(), e.get()).ok());
  EXPECT_TRUE(LooksLikeAVolume(e.get()));
}

TEST(DumpConsistencyTest, DumpsWhileWritingEachShowOneMoment) {
  // A writer moves kFiles files between two directories (the count of files
  // in them is conserved at every moment) and creates/removes others.
  for (const char* kind : {"memkv", "rocksdb"}) {
    TempDir dir;
    auto e = OpenEngine(
        std::string(kind) == "rocksdb" ? "rocksdb://" + dir.Sub("db") : "memkv://consistency",
        true);
    ASSERT_TRUE(e.ok());
    KvEngine* engine = e->get();
    FormatOptions o;
    o.name = "moving";
    o.bucket = dir.Sub("bucket");
    o.trash_days = 0;
    ASSERT_TRUE(FormatVolume(engine, o).ok());
    auto vol = std::move(*Volume::Open(std::move(*e)));
    const int kFiles = 40;
    Ino a = *vol->Mkdir(kRootInode, "a", {.mode = 0755});
    Ino b = *vol->Mkdir(kRootInode, "b", {.mode = 0755});
    Ino scratch = *vol->Mkdir(kRootInode, "scratch", {.mode = 0755});
    for (int i = 0; i < kFiles; i++) {
      Ino f = *vol->CreateFile(a, "f" + std::to_string(i), {.mode = 0644}, 0, {});
      ASSERT_TRUE(vol->Write(f, 0, "file " + std::to_string(i)).ok());
    }
    std::atomic<bool> stop{false};
    std::atomic<int> moves{0};
    std::thread writer([&] {
      std::mt19937 rng(3);
      for (int step = 0; !stop; step++) {
        std::string name = "f" + std::to_string(rng() % kFiles);
        bool in_a = vol->Lookup(a, name).ok();
        Status st = vol->Rename(in_a ? a : b, name, in_a ? b : a, name);
        if (st.ok()) moves++;
        std::string tmp = "t" + std::to_string(step % 7);
        if (vol->Lookup(scratch, tmp).ok()) {
          (void)vol->Unlink(scratch, tmp);
        } else if (auto f = vol->CreateFile(scratch, tmp, {.mode = 0644}, 0, {}); f.ok()) {
          (void)vol->Write(*f, 0, "scratch");
        }
      }
    });
    for (int d = 0; d < 10; d++) {
      auto snap = vol->engine()->Snapshot();
      std::string dump;
      auto sink = StringSink(&dump);
      ASSERT_TRUE(DumpJson(snap->get(), sink.get(), {}).ok());
      auto target = MemEngine();
      ASSERT_TRUE(LoadString(dump, target.get()).ok()) << kind << " dump " << d;
      EXPECT_TRUE(LooksLikeAVolume(target.get())) << kind << " dump " << d;
      auto loaded = Volume::Open(std::move(target));
      ASSERT_TRUE(loaded.ok());
      size_t in_a = (*loaded)->ReadDir(*(*loaded)->Resolve("/a"))->size();
      size_t in_b = (*loaded)->ReadDir(*(*loaded)->Resolve("/b"))->size();
      EXPECT_EQ(in_a + in_b, static_cast<size_t>(kFiles)) << kind << " dump " << d;
    }
    stop = true;
    writer.join();
    EXPECT_GT(moves.load(), 10) << "the writer hardly ran during the dumps";
  }
}

}  // namespace
}  // namespace jfsbr
