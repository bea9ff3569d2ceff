// The OpenSSL calls behind util/crypto.h; OpenSSL errors become Status.
#include "util/crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>

namespace jfsbr {
namespace {

// The reason of the last OpenSSL error, for a one-line message.
Status SslError(const std::string& what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  return Status::Corruption(what + ": " + buf);
}

const EVP_CIPHER* CipherOf(AeadKind kind) {
  switch (kind) {
    case AeadKind::kAes128Gcm:
      return EVP_aes_128_gcm();
    case AeadKind::kAes256Gcm:
      return EVP_aes_256_gcm();
    case AeadKind::kChaCha20Poly1305:
      return EVP_chacha20_poly1305();
  }
  return nullptr;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

class EvpAead final : public AeadStream {
 public:
  explicit EvpAead(bool seal) : ctx_(EVP_CIPHER_CTX_new()), seal_(seal) {}
  ~EvpAead() override { EVP_CIPHER_CTX_free(ctx_); }

  Status Init(AeadKind kind, std::string_view key, std::string_view nonce) {
    if (ctx_ == nullptr) return SslError("cipher context");
    if (key.size() != AeadKeyBytes(kind) || nonce.size() != kAeadNonceBytes) {
      return Status::InvalidArgument("cipher key or nonce of the wrong size");
    }
    const EVP_CIPHER* c = CipherOf(kind);
    if (EVP_CipherInit_ex(ctx_, c, nullptr, nullptr, nullptr, seal_) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_IVLEN, kAeadNonceBytes, nullptr) != 1 ||
        EVP_CipherInit_ex(ctx_, nullptr, nullptr, U(key), U(nonce), seal_) != 1) {
      return SslError("cipher init");
    }
    return Status::OK();
  }

  Status Update(std::string_view in, std::string* out) override {
    size_t at = out->size();
    out->resize(at + in.size() + 32);
    size_t done = 0;
    while (done < in.size()) {  // EVP lengths are ints
      int n = static_cast<int>(std::min<size_t>(in.size() - done, 1 << 30));
      int got = 0;
      if (EVP_CipherUpdate(ctx_, reinterpret_cast<unsigned char*>(out->data() + at), &got,
                           U(in.substr(done)), n) != 1) {
        return SslError("cipher");
      }
      at += static_cast<size_t>(got);
      done += static_cast<size_t>(n);
    }
    out->resize(at);
    return Status::OK();
  }

  Result<std::string> FinishSeal() override {
    unsigned char tail[32];
    int n = 0;
    if (EVP_CipherFinal_ex(ctx_, tail, &n) != 1) return SslError("cipher final");
    std::string tag(kAeadTagBytes, '\0');
    if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kAeadTagBytes, tag.data()) != 1) {
      return SslError("cipher tag");
    }
    return tag;
  }

  Status FinishOpen(std::string_view tag) override {
    if (tag.size() != kAeadTagBytes) return Status::Corruption("encrypted data is truncated");
    std::string t(tag);
    unsigned char tail[32];
    int n = 0;
    if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kAeadTagBytes, t.data()) != 1 ||
        EVP_CipherFinal_ex(ctx_, tail, &n) != 1) {
      ERR_clear_error();
      return Status::Corruption(
          "encrypted data does not authenticate (wrong key, or altered or truncated data)");
    }
    return Status::OK();
  }

 private:
  EVP_CIPHER_CTX* ctx_;
  bool seal_;
};

class EvpRsaKey final : public RsaKey {
 public:
  explicit EvpRsaKey(EVP_PKEY* k) : key_(k) {}
  ~EvpRsaKey() override { EVP_PKEY_free(key_); }

  size_t Bytes() const override { return static_cast<size_t>(EVP_PKEY_get_size(key_)); }

  Result<std::string> EncryptOaep(std::string_view plain, std::string_view label) const override {
    return Run(true, plain, label);
  }
  Result<std::string> DecryptOaep(std::string_view cipher, std::string_view label) const override {
    return Run(false, cipher, label);
  }

 private:
  Result<std::string> Run(bool encrypt, std::string_view in, std::string_view label) const {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key_, nullptr);
    if (ctx == nullptr) return SslError("rsa context");
    // OpenSSL takes ownership of the label buffer.
    auto* l = static_cast<unsigned char*>(OPENSSL_malloc(label.size() + 1));
    memcpy(l, label.data(), label.size());
    bool ok = (encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
              EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
              EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, static_cast<int>(label.size())) == 1;
    if (!ok) OPENSSL_free(l);
    std::string out;
    size_t n = 0;
    auto op = encrypt ? EVP_PKEY_encrypt : EVP_PKEY_decrypt;
    if (ok) ok = op(ctx, nullptr, &n, U(in), in.size()) == 1;
    if (ok) {
      out.resize(n);
      ok = op(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, U(in), in.size()) == 1;
      out.resize(n);
    }
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return SslError(encrypt ? "rsa encrypt" : "rsa decrypt (wrong key?)");
    return out;
  }

  EVP_PKEY* key_;
};

int PassphraseCallback(char* buf, int size, int, void* u) {
  auto* p = static_cast<std::string_view*>(u);
  if (p->empty()) return -1;  // no passphrase: fail instead of prompting
  int n = static_cast<int>(std::min<size_t>(p->size(), static_cast<size_t>(size)));
  memcpy(buf, p->data(), static_cast<size_t>(n));
  return n;
}

}  // namespace

size_t AeadKeyBytes(AeadKind kind) { return kind == AeadKind::kAes128Gcm ? 16 : 32; }

Result<std::unique_ptr<AeadStream>> AeadStream::Begin(AeadKind kind, bool seal,
                                                      std::string_view key,
                                                      std::string_view nonce) {
  auto s = std::make_unique<EvpAead>(seal);
  JFS_RETURN_IF_ERROR(s->Init(kind, key, nonce));
  return std::unique_ptr<AeadStream>(std::move(s));
}

Result<std::string> AeadSeal(AeadKind kind, std::string_view key, std::string_view nonce,
                             std::string_view plaintext) {
  JFS_ASSIGN_OR_RETURN(auto s, AeadStream::Begin(kind, true, key, nonce));
  std::string out;
  out.reserve(plaintext.size() + kAeadTagBytes);
  JFS_RETURN_IF_ERROR(s->Update(plaintext, &out));
  JFS_ASSIGN_OR_RETURN(std::string tag, s->FinishSeal());
  return out + tag;
}

Result<std::string> AeadOpen(AeadKind kind, std::string_view key, std::string_view nonce,
                             std::string_view sealed) {
  if (sealed.size() < kAeadTagBytes) return Status::Corruption("encrypted data is truncated");
  JFS_ASSIGN_OR_RETURN(auto s, AeadStream::Begin(kind, false, key, nonce));
  std::string out;
  JFS_RETURN_IF_ERROR(s->Update(sealed.substr(0, sealed.size() - kAeadTagBytes), &out));
  JFS_RETURN_IF_ERROR(s->FinishOpen(sealed.substr(sealed.size() - kAeadTagBytes)));
  return out;
}

Result<std::shared_ptr<RsaKey>> RsaKey::FromPem(std::string_view pem, std::string_view passphrase) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return SslError("pem");
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, PassphraseCallback, &passphrase);
  BIO_free(bio);
  if (k == nullptr) {
    bool encrypted = pem.find("ENCRYPTED") != std::string_view::npos;
    ERR_clear_error();
    if (encrypted && passphrase.empty()) {
      return Status::InvalidArgument(
          "the volume's encryption key is protected by a passphrase: set JFS_RSA_PASSPHRASE");
    }
    return Status::InvalidArgument(encrypted ? "cannot read the volume's encryption key: wrong "
                                               "JFS_RSA_PASSPHRASE?"
                                             : "cannot read the volume's encryption key (PEM)");
  }
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
    EVP_PKEY_free(k);
    return Status::NotSupported(
        "the volume's encryption key is not an RSA key (SM2 keys are not "
        "supported)");
  }
  return std::shared_ptr<RsaKey>(new EvpRsaKey(k));
}

std::string Md5(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

Status RandomBytes(char* out, size_t n) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return SslError("random bytes");
  }
  return Status::OK();
}

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), U(data),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::Corruption("not base64");
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), U(text),
                          static_cast<int>(text.size()));
  if (n < 0) return Status::Corruption("not base64");
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') len--;
  if (text.size() > 1 && text[text.size() - 2] == '=') len--;
  out.resize(len);
  return out;
}

}  // namespace jfsbr
