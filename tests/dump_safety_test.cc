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
#include "meta/registry.h"
#include "store/registry.h"
#include "testing/test_volume.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

std::string Golden() {
  return ReadFileOrEmpty(std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json");
}

std::unique_ptr<Meta> MemEngine() {
  static std::atomic<int> n{0};
  return std::move(*OpenMeta("memkv://safety-" + std::to_string(n++), true));
}

Status LoadString(const std::string& dump, Meta* e) {
  auto src = StringSource(dump);
  return LoadJson(src.get(), e, {}).status();
}

// A volume is there only if it has a setting and passes check.
bool LooksLikeAVolume(Meta* e) {
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
    EXPECT_FALSE(e->Get(RecordKey::Setting())->has_value()) << "cut at " << cut;
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
      EXPECT_FALSE(e->Get(RecordKey::Setting())->has_value());
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

Status LoadBinaryString(const std::string& dump, Meta* e) {
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
    EXPECT_FALSE(e->Get(RecordKey::Setting())->has_value());
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
      EXPECT_FALSE(e->Get(RecordKey::Setting())->has_value()) << st.ToString();
    } else {
      EXPECT_TRUE(LooksLikeAVolume(e.get())) << "flip at " << at;
    }
  }
  EXPECT_GT(refused, 100);
  auto e = MemEngine();
  EXPECT_FALSE(LoadBinaryString(Golden(), e.get()).ok());  // JSON is not a binary dump
  EXPECT_FALSE(LoadString(bin, e.get()).ok());             // nor the reverse
}

// The same on Redis, where a snapshot would copy the whole server: the load
// checks what it sends as it streams. A damaged dump is refused before the
// setting is written, or loads as a consistent volume.
TEST(LoadSafetyTest, BinaryFlippedIntoRedisIsRefusedOrConsistent) {
  std::string bin = GoldenBinary();
  std::mt19937 rng(5);
  int refused = 0;
  for (int i = 0; i < 40; i++) {
    std::string bad = bin;
    size_t at = rng() % bad.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    auto e = OpenMeta(FreshMetaUrl("redis", ""), true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    Status st = LoadBinaryString(bad, e->get());
    if (!st.ok()) {
      refused++;
      EXPECT_FALSE((*e)->Get(RecordKey::Setting())->has_value()) << st.ToString();
    } else {
      EXPECT_TRUE(LooksLikeAVolume(e->get())) << "flip at " << at;
    }
  }
  EXPECT_GT(refused, 10);
}

TEST(LoadSafetyTest, WrongFormatsAreRefused) {
  for (std::string input : {std::string(), std::string("[]"), std::string("{}"),
                            std::string("\x1f\x8b\x08\x00gzip", 8), std::string("{\"Setting\": 1}"),
                            std::string("{\"Counters\": {}, \"FSTree\": {\"entries\": {}}}"),
                            std::string("not json at all")}) {
    auto e = MemEngine();
    Status st = LoadString(input, e.get());
    EXPECT_FALSE(st.ok()) << input;
    EXPECT_FALSE(e->Get(RecordKey::Setting())->has_value());
  }
}

TEST(LoadSafetyTest, NonEmptyTargetIsRefusedUntilCleared) {
  auto e = MemEngine();
  ASSERT_TRUE(LoadString(Golden(), e.get()).ok());
  Status again = LoadString(Golden(), e.get());
  EXPECT_TRUE(again.Is(Code::kExists));
  EXPECT_NE(again.message().find("not empty"), std::string::npos);
  ASSERT_TRUE(e->Clear().ok());
  ASSERT_TRUE(LoadString(Golden(), e.get()).ok());
  EXPECT_TRUE(LooksLikeAVolume(e.get()));
}

// A volume with a writer that moves kFiles files between /a and /b (their
// count is conserved at every moment) and creates/removes others in /scratch.
class MovingVolume {
 public:
  static constexpr int kFiles = 40;

  explicit MovingVolume(const std::string& kind) {
    auto e = OpenMeta(FreshMetaUrl(EngineKind(kind), dir_.path()), true);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    FormatOptions o;
    o.name = "moving";
    UseFreshStore(StoreKind(kind), dir_.path(), &o);
    o.trash_days = 0;
    EXPECT_TRUE(FormatVolume(e->get(), o).ok());
    vol_ = std::move(*Volume::Open(std::move(*e)));
    a_ = *vol_->Mkdir(kRootInode, "a", {.mode = 0755});
    b_ = *vol_->Mkdir(kRootInode, "b", {.mode = 0755});
    scratch_ = *vol_->Mkdir(kRootInode, "scratch", {.mode = 0755});
    for (int i = 0; i < kFiles; i++) {
      Ino f = *vol_->CreateFile(a_, "f" + std::to_string(i), {.mode = 0644}, 0, {});
      EXPECT_TRUE(vol_->Write(f, 0, "file " + std::to_string(i)).ok());
    }
    writer_ = std::thread([this] { Write(); });
  }
  ~MovingVolume() {
    stop_ = true;
    writer_.join();
  }
  Meta* meta() { return vol_->meta(); }
  int moves() const { return moves_; }

  // Dumps snap, loads it into a fresh engine and checks it: a volume that
  // passes check with all kFiles in /a and /b. Returns the dump.
  static std::string DumpAndVerify(MetaSnapshot* snap, const std::string& what) {
    std::string dump;
    auto sink = StringSink(&dump);
    auto st = DumpJson(snap, sink.get(), {});
    EXPECT_TRUE(st.ok()) << what << ": " << st.status().ToString();
    auto target = MemEngine();
    EXPECT_TRUE(LoadString(dump, target.get()).ok()) << what;
    EXPECT_TRUE(LooksLikeAVolume(target.get())) << what;
    // Metadata only: the dump's secret key is "removed", so no real store.
    auto loaded = Volume::Open(std::move(target), WithPrefix(*OpenStore("mem", "unused"), ""));
    EXPECT_TRUE(loaded.ok()) << what << ": " << loaded.status().ToString();
    if (!loaded.ok()) return dump;
    size_t in_a = (*loaded)->ReadDir(*(*loaded)->Resolve("/a"))->size();
    size_t in_b = (*loaded)->ReadDir(*(*loaded)->Resolve("/b"))->size();
    EXPECT_EQ(in_a + in_b, static_cast<size_t>(kFiles)) << what;
    return dump;
  }

 private:
  void Write() {
    std::mt19937 rng(3);
    for (int step = 0; !stop_; step++) {
      std::string name = "f" + std::to_string(rng() % kFiles);
      bool in_a = vol_->Lookup(a_, name).ok();
      Status st = vol_->Rename(in_a ? a_ : b_, name, in_a ? b_ : a_, name);
      if (st.ok()) moves_++;
      std::string tmp = "t" + std::to_string(step % 7);
      if (vol_->Lookup(scratch_, tmp).ok()) {
        (void)vol_->Unlink(scratch_, tmp);
      } else if (auto f = vol_->CreateFile(scratch_, tmp, {.mode = 0644}, 0, {}); f.ok()) {
        (void)vol_->Write(*f, 0, "scratch");
      }
    }
  }

  TempDir dir_;
  std::unique_ptr<Volume> vol_;
  Ino a_ = 0, b_ = 0, scratch_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> moves_{0};
  std::thread writer_;
};

TEST(DumpConsistencyTest, DumpsWhileWritingEachShowOneMoment) {
  for (const char* kind :
       {"memkv", "rocksdb", "etcd", "sqlite3", "postgres", "mariadb", "redis", "rocksdb+s3"}) {
    MovingVolume v(kind);
    for (int d = 0; d < 10; d++) {
      // Let the writer move something between dumps (a dump can be quicker).
      int before = v.moves();
      for (int i = 0; i < 500 && v.moves() < before + 2; i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      auto snap = v.meta()->Snapshot();
      ASSERT_TRUE(snap.ok());
      MovingVolume::DumpAndVerify(snap->get(), std::string(kind) + " dump " + std::to_string(d));
    }
    EXPECT_GT(v.moves(), 10) << kind << ": the writer hardly ran during the dumps";
  }
}

// On etcd a dump can be repeated later at the same revision, byte for byte,
// while the volume keeps changing.
TEST(DumpConsistencyTest, EtcdDumpPinnedToARevisionIsRepeatable) {
  MovingVolume v("etcd");
  auto snap = v.meta()->Snapshot();
  ASSERT_TRUE(snap.ok());
  uint64_t rev = (*snap)->version();
  std::string first = MovingVolume::DumpAndVerify(snap->get(), "at the revision");
  int moves_before = v.moves();
  while (v.moves() < moves_before + 20) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto later = v.meta()->SnapshotAt(rev);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  std::string second = MovingVolume::DumpAndVerify(later->get(), "pinned later");
  EXPECT_EQ(first, second);
  auto now = v.meta()->Snapshot();
  EXPECT_NE(MovingVolume::DumpAndVerify(now->get(), "now"), first);  // it did move on
}

}  // namespace
}  // namespace jfsbr
