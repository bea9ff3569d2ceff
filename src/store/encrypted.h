// Client-side encryption of every object, as JuiceFS does it for a volume
// formatted with --encrypt-rsa-key (docs/format/juicefs-blocks.md):
// each object gets a random data key, sealed with RSA-OAEP (SHA-256, label
// "keys") by the volume's key, and its bytes are AES-256-GCM or
// ChaCha20-Poly1305 under that data key:
//
//   BE16 len(wrapped key) | u8 len(nonce) | wrapped key | nonce | ciphertext | tag
//
// Listing, Head and Delete see the stored (encrypted) objects.
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"
#include "util/crypto.h"

namespace jfsbr {

class ObjectCipher {
 public:
  // algo as the setting's EncryptAlgo: "" or "aes256gcm-rsa", "chacha20-rsa".
  static Result<std::shared_ptr<ObjectCipher>> Make(std::shared_ptr<RsaKey> key,
                                                    const std::string& algo);
  Result<std::string> Encrypt(std::string_view plain) const;
  Result<std::string> Decrypt(std::string_view stored) const;
  // Bytes an object grows by when encrypted.
  size_t Overhead() const { return 3 + key_->Bytes() + kAeadNonceBytes + kAeadTagBytes; }

  // Streaming halves: a header (wrapped key, nonce) and a cipher stream.
  Result<std::string> NewHeader(std::string* data_key, std::string* nonce) const;
  // Reads the header at the start of `head`; *used is its length, or 0 when
  // `head` does not hold all of it yet.
  Status ParseHeader(std::string_view head, size_t* used, std::string* data_key,
                     std::string* nonce) const;
  AeadKind kind() const { return kind_; }

 private:
  ObjectCipher(std::shared_ptr<RsaKey> key, AeadKind kind) : key_(std::move(key)), kind_(kind) {}
  std::shared_ptr<RsaKey> key_;
  AeadKind kind_;
};

// `base` with every object encrypted by `cipher`. A null cipher with a
// non-OK `why` gives a store whose reads and writes fail with `why` (listing
// and deleting still work): a volume whose key cannot be opened.
std::unique_ptr<ObjectStore> WithEncryption(std::shared_ptr<ObjectStore> base,
                                            std::shared_ptr<ObjectCipher> cipher,
                                            Status why = Status::OK());

}  // namespace jfsbr
