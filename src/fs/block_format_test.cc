// Volumes whose blocks are compressed, encrypted or spread over shards, as
// JuiceFS formats them: writes, reads, compaction, import/export and fsck all
// go through the volume's block format; a format we cannot read is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fs/fsck.h"
#include "fs/tree.h"
#include "fs/volume.h"
#include "meta/registry.h"
#include "store/sharded.h"
#include "testing/test_keys.h"
#include "testing/test_volume.h"

namespace jfsbr {
namespace {

struct Variant {
  std::string name, compression, algo;  // algo empty: not encrypted
  bool passphrase = false;
  int shards = 0;
};
void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

std::string Text(size_t n) {
  std::string s;
  while (s.size() < n) s += "line " + std::to_string(s.size() % 1000) + " of the test file\n";
  s.resize(n);
  return s;
}

class BlockFormatTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    const Variant& v = GetParam();
    if (v.passphrase) setenv("JFS_RSA_PASSPHRASE", "sesame", 1);
    auto e = OpenMeta(FreshMetaUrl("memkv", dir_.path()), true);
    ASSERT_TRUE(e.ok());
    FormatOptions o;
    o.name = "fmtvol";
    o.bucket = dir_.Sub("bucket");
    o.compression = v.compression;
    o.trash_days = 0;
    if (!v.algo.empty()) {
      o.encrypt_key_pem = MakeTestRsaKey(dir_, "key.pem", v.passphrase ? "sesame" : "");
      o.encrypt_algo = v.algo;
    }
    auto f = FormatVolume(e->get(), o);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    if (v.shards > 0) {  // as juicefs format --shards N --bucket DIR/b-%d
      f->shards = v.shards;
      f->bucket = dir_.Sub("b-%d");
      RecordBatch b;
      b.Put(RecordKey::Setting(), EncodeSetting(*f));
      ASSERT_TRUE(b.CommitTo(e->get()).ok());
    }
    auto vol = Volume::Open(std::move(*e));
    ASSERT_TRUE(vol.ok()) << vol.status().ToString();
    vol_ = std::move(*vol);
  }
  void TearDown() override { unsetenv("JFS_RSA_PASSPHRASE"); }

  // Every stored object's bytes, from the bucket directories.
  std::string AllStoredBytes() {
    std::string all;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (e.is_regular_file() && e.path().string().find("/chunks/") != std::string::npos) {
        all += ReadFileOrEmpty(e.path().string());
      }
    }
    return all;
  }

  TempDir dir_;
  std::unique_ptr<Volume> vol_;
};

TEST_P(BlockFormatTest, WriteReadCompactAndCheck) {
  const Variant& v = GetParam();
  std::string data = Text(9 << 20);  // three blocks
  Ino ino = CreateTestFile(vol_.get(), kRootInode, "f", data);
  ASSERT_NE(ino, 0u);
  std::string patch = Text(70000);
  ASSERT_TRUE(vol_->Write(ino, 4000000, patch).ok());  // across a block boundary
  data.replace(4000000, patch.size(), patch);
  auto got = vol_->Read(ino, 0, data.size());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(*vol_->Read(ino, 4194000, 1000), data.substr(4194000, 1000));

  std::string stored = AllStoredBytes();
  if (v.compression != "none" || !v.algo.empty()) {
    EXPECT_EQ(stored.find(data.substr(5000000, 200)), std::string::npos)
        << "blocks stored as plain data";
  }
  if (v.compression != "none" && v.algo.empty()) {
    EXPECT_LT(stored.size(), data.size() / 4);
  }
  if (v.shards > 0) {  // each object in bucket FNV-1a(key) mod N
    int objects = 0;
    for (int i = 0; i < v.shards; i++) {
      std::string root = dir_.Sub("b-" + std::to_string(i)) + "/";
      if (!std::filesystem::exists(root)) continue;
      for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
        if (!e.is_regular_file()) continue;
        std::string key = e.path().string().substr(root.size());
        EXPECT_EQ(Fnv1a32(key) % v.shards, static_cast<uint32_t>(i)) << key;
        objects++;
      }
    }
    EXPECT_EQ(objects, 4);  // three blocks and the patch (juicefs_uuid predates the shards)
  }

  auto c = vol_->CompactChunk(ino, 0);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->changed);
  got = vol_->Read(ino, 0, data.size());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data) << "compaction changed the file";

  auto r = Fsck(vol_.get(), {.threads = 2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok()) << (r->damaged_examples.empty() ? "" : r->damaged_examples[0]);
  EXPECT_EQ(r->blocks, 3u);
}

TEST_P(BlockFormatTest, ImportExportRoundTrip) {
  std::string src = dir_.Sub("src"), out = dir_.Sub("out");
  std::filesystem::create_directories(src + "/d");
  std::ofstream(src + "/d/a") << Text(5 << 20);
  std::ofstream(src + "/b") << "small";
  std::ofstream(src + "/empty");
  ASSERT_TRUE(ImportTree(vol_.get(), src, {}).ok());
  ASSERT_TRUE(ExportTree(vol_.get(), out, {}).ok());
  for (const char* f : {"/d/a", "/b", "/empty"}) {
    EXPECT_EQ(ReadFileOrEmpty(out + f), ReadFileOrEmpty(src + f)) << f;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, BlockFormatTest,
                         ::testing::Values(Variant{"lz4", "lz4", ""}, Variant{"zstd", "zstd", ""},
                                           Variant{"aes", "none", "aes256gcm-rsa"},
                                           Variant{"chacha_passphrase", "none", "chacha20-rsa",
                                                   true},
                                           Variant{"zstd_aes", "zstd", "aes256gcm-rsa"},
                                           Variant{"sharded_lz4", "lz4", "", false, 3}),
                         [](const auto& info) { return info.param.name; });

// A block format we cannot read or write: metadata commands still work,
// reads and writes refuse in one line naming what is missing.
TEST(BlockFormatRefusal, MissingPassphraseAndUnknownCompression) {
  TempDir dir;
  const std::string url = FreshMetaUrl("memkv", dir.path());
  auto e = OpenMeta(url, true);
  ASSERT_TRUE(e.ok());
  FormatOptions o;
  o.name = "oddvol";
  o.bucket = dir.Sub("bucket");
  o.encrypt_key_pem = MakeTestRsaKey(dir, "key.pem", "sesame");
  setenv("JFS_RSA_PASSPHRASE", "sesame", 1);
  auto f = FormatVolume(e->get(), o);
  unsetenv("JFS_RSA_PASSPHRASE");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->key_encrypted);  // the key is sealed in the setting
  EXPECT_EQ(f->encrypt_key.find("PRIVATE KEY"), std::string::npos);
  auto vol = Volume::Open(std::move(*e));
  ASSERT_TRUE(vol.ok()) << vol.status().ToString();
  EXPECT_TRUE((*vol)->Mkdir(kRootInode, "d", {.mode = 0755}).ok());
  SliceWriter w(vol->get(), 0);
  Status st = w.Append(std::string(100, 'x'));
  if (st.ok()) st = w.Finish().status();
  EXPECT_NE(st.message().find("JFS_RSA_PASSPHRASE"), std::string::npos) << st.ToString();

  VolumeFormat odd = (*vol)->format();
  odd.encrypt_key.clear();
  odd.compression = "brotli";
  RecordBatch b;
  b.Put(RecordKey::Setting(), EncodeSetting(odd));
  ASSERT_TRUE(b.CommitTo((*vol)->meta()).ok());
  auto e2 = OpenMeta(url, false);
  ASSERT_TRUE(e2.ok());
  auto vol2 = Volume::Open(std::move(*e2));
  ASSERT_TRUE(vol2.ok()) << vol2.status().ToString();
  EXPECT_TRUE((*vol2)->ReadDir(kRootInode).ok());
  SliceWriter w2(vol2->get(), 0);
  st = w2.Append(std::string(100, 'x'));
  if (st.ok()) st = w2.Finish().status();
  EXPECT_TRUE(st.Is(Code::kNotSupported)) << st.ToString();
  EXPECT_NE(st.message().find("brotli"), std::string::npos);
}

}  // namespace
}  // namespace jfsbr
