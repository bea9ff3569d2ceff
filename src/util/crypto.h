// The few primitives JuiceFS's encryption needs, over OpenSSL's EVP API:
// AEAD ciphers (AES-GCM, ChaCha20-Poly1305), one-shot and streaming, RSA-OAEP
// (SHA-256) private keys from PEM, MD5 and random bytes. OpenSSL's errors
// become Status values; nothing else of OpenSSL leaks out of crypto.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace jfsbr {

enum class AeadKind { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };
inline constexpr size_t kAeadNonceBytes = 12;  // all three use 96-bit nonces
inline constexpr size_t kAeadTagBytes = 16;
size_t AeadKeyBytes(AeadKind kind);

// ciphertext || tag.
Result<std::string> AeadSeal(AeadKind kind, std::string_view key, std::string_view nonce,
                             std::string_view plaintext);
// The plaintext of ciphertext || tag; a wrong key or altered bytes fail.
Result<std::string> AeadOpen(AeadKind kind, std::string_view key, std::string_view nonce,
                             std::string_view sealed);

// The same cipher over a stream: Update as the data comes, Finish gives the
// tag (sealing) or checks it (opening). Bytes an opening stream returned are
// not authentic until Finish succeeds.
class AeadStream {
 public:
  static Result<std::unique_ptr<AeadStream>> Begin(AeadKind kind, bool seal, std::string_view key,
                                                   std::string_view nonce);
  virtual ~AeadStream() = default;
  virtual Status Update(std::string_view in, std::string* out) = 0;  // appends to out
  virtual Result<std::string> FinishSeal() = 0;                      // the tag
  virtual Status FinishOpen(std::string_view tag) = 0;
};

// An RSA private key (PEM: PKCS#1 or PKCS#8, encrypted with passphrase or
// not), used with OAEP, SHA-256 and a label, as JuiceFS wraps data keys.
class RsaKey {
 public:
  static Result<std::shared_ptr<RsaKey>> FromPem(std::string_view pem, std::string_view passphrase);
  virtual ~RsaKey() = default;
  virtual size_t Bytes() const = 0;  // modulus size: the size of every OAEP ciphertext
  virtual Result<std::string> EncryptOaep(std::string_view plain, std::string_view label) const = 0;
  virtual Result<std::string> DecryptOaep(std::string_view cipher,
                                          std::string_view label) const = 0;
};

std::string Md5(std::string_view data);  // 16 raw bytes
Status RandomBytes(char* out, size_t n);

std::string Base64Encode(std::string_view data);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace jfsbr
