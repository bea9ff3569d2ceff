// Opening and sealing the setting's secrets as juicefs format does.
#include "model/secrets.h"

#include "util/crypto.h"

namespace jfsbr {
namespace {

constexpr const char* kRemoved = "removed";

Result<std::string> SettingKey(const VolumeFormat& f) {
  if (f.encrypt_algo == "sm4gcm") {
    return Status::NotSupported("secrets sealed with SM4 (EncryptAlgo sm4gcm) are not supported");
  }
  return Md5(f.uuid);
}

}  // namespace

Result<VolumeFormat> OpenSecrets(VolumeFormat f) {
  if (!f.key_encrypted) return f;
  JFS_ASSIGN_OR_RETURN(std::string key, SettingKey(f));
  std::string* fields[] = {&f.secret_key, &f.session_token, &f.encrypt_key};
  for (std::string* s : fields) {
    if (s->empty() || *s == kRemoved) continue;
    auto raw = Base64Decode(*s);
    if (!raw.ok() || raw->size() < kAeadNonceBytes + kAeadTagBytes) {
      return Status::Corruption("a sealed secret in the volume setting is not valid");
    }
    auto plain = AeadOpen(AeadKind::kAes128Gcm, key, raw->substr(0, kAeadNonceBytes),
                          std::string_view(*raw).substr(kAeadNonceBytes));
    if (!plain.ok()) {
      return Status::Corruption(
          "cannot open the secrets sealed in the volume setting (does the UUID match?)");
    }
    *s = std::move(*plain);
  }
  f.key_encrypted = false;
  return f;
}

Result<VolumeFormat> SealSecrets(VolumeFormat f) {
  if (f.key_encrypted ||
      (f.secret_key.empty() && f.session_token.empty() && f.encrypt_key.empty())) {
    return f;
  }
  JFS_ASSIGN_OR_RETURN(std::string key, SettingKey(f));
  std::string* fields[] = {&f.secret_key, &f.session_token, &f.encrypt_key};
  for (std::string* s : fields) {
    if (s->empty()) continue;
    std::string nonce(kAeadNonceBytes, '\0');
    JFS_RETURN_IF_ERROR(RandomBytes(nonce.data(), nonce.size()));
    JFS_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(AeadKind::kAes128Gcm, key, nonce, *s));
    *s = Base64Encode(nonce + sealed);
  }
  f.key_encrypted = true;
  return f;
}

}  // namespace jfsbr
