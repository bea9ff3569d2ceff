// Sealed secrets in the setting: ones `juicefs format` 1.4.2 sealed open to
// what it was given; ours seal and open again.
#include "model/secrets.h"

#include <gtest/gtest.h>

namespace jfsbr {
namespace {

// From `juicefs format sqlite3://... secvol --secret-key my-secret/key
// --session-token TOK` (juicefs 1.4.2): the setting's sealed fields.
VolumeFormat JuicefsSealed() {
  VolumeFormat f;
  f.name = "secvol";
  f.uuid = "f0707ad7-f053-486c-8222-1e9ce4fa3bc3";
  f.access_key = "AK";
  f.secret_key = "5TGQZ6j+vUxweJmz5cJrbKUKPu2Ub5eXx0ZOJTZamjirgynAaZqytsU=";
  f.session_token = "AZ5DZbrIHkJ7YGOoZlFBoBgguK9o9OvpELwLvaOt8A==";
  f.encrypt_algo = "aes256gcm-rsa";
  f.key_encrypted = true;
  return f;
}

TEST(SecretsTest, OpensWhatJuicefsSealed) {
  auto f = OpenSecrets(JuicefsSealed());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->secret_key, "my-secret/key");
  EXPECT_EQ(f->session_token, "TOK");
  EXPECT_EQ(f->access_key, "AK");
  EXPECT_FALSE(f->key_encrypted);
}

TEST(SecretsTest, AnotherUuidDoesNotOpen) {
  VolumeFormat f = JuicefsSealed();
  f.uuid[0] = 'e';
  auto r = OpenSecrets(f);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("UUID"), std::string::npos) << r.status().message();
}

TEST(SecretsTest, SealThenOpen) {
  VolumeFormat f;
  f.uuid = "0a1b2c3d-0000-4000-8000-00000000beef";
  f.secret_key = "s3cr3t";
  f.encrypt_key = "-----BEGIN RSA PRIVATE KEY-----\nxyz\n";
  auto sealed = SealSecrets(f);
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(sealed->key_encrypted);
  EXPECT_NE(sealed->secret_key, f.secret_key);
  EXPECT_EQ(sealed->session_token, "");  // empty stays empty
  // Base64 of a 12-byte nonce, the 6 bytes and a 16-byte tag.
  EXPECT_EQ(sealed->secret_key.size(), 4 * ((12 + 6 + 16 + 2) / 3));
  auto again = SealSecrets(*sealed);  // already sealed: unchanged
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->secret_key, sealed->secret_key);
  auto opened = OpenSecrets(*sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, f);
}

TEST(SecretsTest, NothingToSealAndRemovedSecrets) {
  VolumeFormat f;
  f.uuid = "u";
  auto sealed = SealSecrets(f);
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(sealed->key_encrypted);  // as juicefs: no secret, no flag
  VolumeFormat dumped = JuicefsSealed();
  dumped.secret_key = "removed";  // a dump without secrets
  auto opened = OpenSecrets(dumped);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->secret_key, "removed");
  EXPECT_EQ(opened->session_token, "TOK");
}

TEST(SecretsTest, Sm4IsRefused) {
  VolumeFormat f = JuicefsSealed();
  f.encrypt_algo = "sm4gcm";
  EXPECT_TRUE(OpenSecrets(f).status().Is(Code::kNotSupported));
}

}  // namespace
}  // namespace jfsbr
