// Encrypted objects: the layout JuiceFS writes, whole and streamed, both
// ciphers, and what a wrong key, altered bytes or a cut-off object give.
#include "store/encrypted.h"

#include <gtest/gtest.h>

#include "store/registry.h"
#include "testing/test_keys.h"
#include "testing/test_volume.h"

namespace jfsbr {
namespace {

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>((i * 7919) >> 3);
  return s;
}

class EncryptedStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto base = OpenStore("mem", "enc-" + UniqueTestId());
    ASSERT_TRUE(base.ok());
    base_ = *base;
    auto key = RsaKey::FromPem(MakeTestRsaKey(dir_, "k.pem", "pw"), "pw");
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    auto cipher = ObjectCipher::Make(*key, GetParam());
    ASSERT_TRUE(cipher.ok());
    cipher_ = *cipher;
    store_ = WithEncryption(base_, cipher_);
  }
  std::string ReadAll(const std::string& key) {
    auto src = OpenObject(store_.get(), key, 100000);
    EXPECT_TRUE(src.ok()) << src.status().ToString();
    if (!src.ok()) return "";
    std::string out, buf(65536, '\0');
    while (true) {
      auto n = (*src)->Read(buf.data(), buf.size());
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) break;
      out.append(buf.data(), *n);
    }
    return out;
  }

  TempDir dir_;
  std::shared_ptr<ObjectStore> base_;
  std::shared_ptr<ObjectCipher> cipher_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(EncryptedStoreTest, PutGetAndTheStoredLayout) {
  const std::string data = Pattern(300000);
  ASSERT_TRUE(store_->Put("chunks/0/0/1_0_300000", data).ok());
  auto stored = base_->Get("chunks/0/0/1_0_300000");
  ASSERT_TRUE(stored.ok());
  // BE16 wrapped-key length (256 for RSA-2048), nonce length 12, key, nonce,
  // ciphertext, tag.
  ASSERT_EQ(stored->size(), data.size() + cipher_->Overhead());
  EXPECT_EQ(static_cast<uint8_t>((*stored)[0]), 1);
  EXPECT_EQ(static_cast<uint8_t>((*stored)[1]), 0);
  EXPECT_EQ(static_cast<uint8_t>((*stored)[2]), 12);
  EXPECT_EQ(stored->find(data.substr(1000, 64)), std::string::npos);
  EXPECT_EQ(*store_->Get("chunks/0/0/1_0_300000"), data);
  EXPECT_EQ(*store_->Get("chunks/0/0/1_0_300000", 1000, 5000), data.substr(1000, 5000));
  EXPECT_EQ(*store_->Get("chunks/0/0/1_0_300000", 299990, -1), data.substr(299990));
  EXPECT_EQ(ReadAll("chunks/0/0/1_0_300000"), data);
  // Each object has a key of its own: the same data stores differently.
  ASSERT_TRUE(store_->Put("again", data).ok());
  EXPECT_NE(*base_->Get("again"), *stored);
}

TEST_P(EncryptedStoreTest, StreamedObjectsReadBothWays) {
  const std::string data = Pattern(3 << 20);
  auto sink = store_->Create("meta/dump.json.gz");
  ASSERT_TRUE(sink.ok());
  for (size_t off = 0; off < data.size(); off += 100003) {
    ASSERT_TRUE((*sink)->Write(std::string_view(data).substr(off, 100003)).ok());
  }
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(*store_->Get("meta/dump.json.gz"), data);
  EXPECT_EQ(ReadAll("meta/dump.json.gz"), data);
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  EXPECT_EQ(ReadAll("empty"), "");
}

TEST_P(EncryptedStoreTest, AlteredTruncatedOrForeignObjectsFail) {
  const std::string data = Pattern(200000);
  ASSERT_TRUE(store_->Put("x", data).ok());
  std::string stored = *base_->Get("x");
  std::string altered = stored;
  altered[stored.size() / 2] ^= 1;
  ASSERT_TRUE(base_->Put("altered", altered).ok());
  ASSERT_TRUE(base_->Put("cut", stored.substr(0, stored.size() - 5)).ok());
  ASSERT_TRUE(base_->Put("plain", data).ok());
  for (const char* key : {"altered", "cut", "plain"}) {
    auto got = store_->Get(key);
    EXPECT_FALSE(got.ok()) << key;
    auto src = OpenObject(store_.get(), key);
    if (!src.ok()) continue;
    std::string buf(1 << 20, '\0');
    Status st;
    while (true) {
      auto n = (*src)->Read(buf.data(), buf.size());
      if (!n.ok()) st = n.status();
      if (!n.ok() || *n == 0) break;
    }
    EXPECT_FALSE(st.ok()) << key << ": a stream must fail at its end";
  }
  // Another key of the same kind opens nothing.
  auto other = RsaKey::FromPem(MakeTestRsaKey(dir_, "other.pem"), "");
  ASSERT_TRUE(other.ok());
  auto store2 = WithEncryption(base_, *ObjectCipher::Make(*other, GetParam()));
  EXPECT_FALSE(store2->Get("x").ok());
}

TEST_P(EncryptedStoreTest, AStoreWithoutItsKeyStillListsAndDeletes) {
  ASSERT_TRUE(store_->Put("a", "data").ok());
  auto blind = WithEncryption(base_, nullptr, Status::InvalidArgument("no key"));
  EXPECT_EQ(blind->Get("a").status().message(), "no key");
  EXPECT_EQ(blind->Put("b", "x").message(), "no key");
  auto all = ListAll(blind.get(), "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  EXPECT_TRUE(blind->Delete("a").ok());
}

INSTANTIATE_TEST_SUITE_P(Ciphers, EncryptedStoreTest,
                         ::testing::Values("aes256gcm-rsa", "chacha20-rsa"), [](const auto& info) {
                           return info.param == "aes256gcm-rsa" ? std::string("aes")
                                                                : std::string("chacha");
                         });

TEST(RsaKeyTest, PassphrasesAndUnsupportedCiphers) {
  TempDir dir;
  std::string pem = MakeTestRsaKey(dir, "p.pem", "sesame");
  auto none = RsaKey::FromPem(pem, "");
  EXPECT_NE(none.status().message().find("JFS_RSA_PASSPHRASE"), std::string::npos);
  EXPECT_FALSE(RsaKey::FromPem(pem, "wrong").ok());
  auto key = RsaKey::FromPem(pem, "sesame");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)->Bytes(), 256u);
  EXPECT_TRUE(ObjectCipher::Make(*key, "sm4gcm").status().Is(Code::kNotSupported));
  EXPECT_FALSE(RsaKey::FromPem("not a key", "").ok());
}

}  // namespace
}  // namespace jfsbr
