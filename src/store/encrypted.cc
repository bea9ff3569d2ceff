// Encrypting every object of a volume (AES-256-GCM or ChaCha20 under an RSA
// key), whole or streamed.
#include "store/encrypted.h"

#include <cstring>

namespace jfsbr {
namespace {

constexpr std::string_view kOaepLabel = "keys";

class EncryptingSink final : public Sink {
 public:
  EncryptingSink(std::unique_ptr<Sink> base, std::unique_ptr<AeadStream> aead)
      : base_(std::move(base)), aead_(std::move(aead)) {}
  Status Write(std::string_view data) override {
    buf_.clear();
    JFS_RETURN_IF_ERROR(aead_->Update(data, &buf_));
    return base_->Write(buf_);
  }
  Status Close() override {
    JFS_ASSIGN_OR_RETURN(std::string tag, aead_->FinishSeal());
    JFS_RETURN_IF_ERROR(base_->Write(tag));
    return base_->Close();
  }

 private:
  std::unique_ptr<Sink> base_;
  std::unique_ptr<AeadStream> aead_;
  std::string buf_;
};

// Decrypts a stream, holding back the last 16 bytes (the tag) until the end;
// the end is an error unless the tag authenticates everything returned.
class DecryptingSource final : public Source {
 public:
  DecryptingSource(std::unique_ptr<Source> base, const ObjectCipher* cipher, std::string key)
      : base_(std::move(base)), cipher_(cipher), key_(std::move(key)) {}

  Result<size_t> Read(char* buf, size_t n) override {
    while (pos_ == out_.size()) {
      if (done_) return size_t{0};
      JFS_RETURN_IF_ERROR(Fill());
    }
    size_t k = std::min(n, out_.size() - pos_);
    memcpy(buf, out_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  Status Fill() {
    out_.clear();
    pos_ = 0;
    std::string chunk(1 << 20, '\0');
    JFS_ASSIGN_OR_RETURN(size_t got, base_->Read(chunk.data(), chunk.size()));
    chunk.resize(got);
    pending_ += chunk;
    if (aead_ == nullptr) {
      size_t used = 0;
      std::string data_key, nonce;
      JFS_RETURN_IF_ERROR(
          cipher_->ParseHeader(pending_, &used, &data_key, &nonce).Annotate("object " + key_));
      if (used == 0) {
        if (got == 0) return Status::Corruption("object " + key_ + ": encrypted header truncated");
        return Status::OK();
      }
      JFS_ASSIGN_OR_RETURN(aead_, AeadStream::Begin(cipher_->kind(), false, data_key, nonce));
      pending_.erase(0, used);
    }
    if (got == 0) {
      done_ = true;
      return aead_->FinishOpen(pending_).Annotate("object " + key_);
    }
    if (pending_.size() > kAeadTagBytes) {
      size_t n = pending_.size() - kAeadTagBytes;
      JFS_RETURN_IF_ERROR(aead_->Update(std::string_view(pending_).substr(0, n), &out_));
      pending_.erase(0, n);
    }
    return Status::OK();
  }

  std::unique_ptr<Source> base_;
  const ObjectCipher* cipher_;
  std::string key_;
  std::unique_ptr<AeadStream> aead_;
  std::string pending_;  // read, not yet decrypted (at least the tag's length)
  std::string out_;
  size_t pos_ = 0;
  bool done_ = false;
};

class EncryptedStore final : public ObjectStore {
 public:
  EncryptedStore(std::shared_ptr<ObjectStore> base, std::shared_ptr<ObjectCipher> cipher,
                 Status why)
      : base_(std::move(base)), cipher_(std::move(cipher)), why_(std::move(why)) {}

  Status Put(const std::string& key, std::string_view data) override {
    JFS_RETURN_IF_ERROR(why_);
    JFS_ASSIGN_OR_RETURN(std::string stored, cipher_->Encrypt(data));
    return base_->Put(key, stored);
  }
  Result<std::unique_ptr<Sink>> Create(const std::string& key) override {
    JFS_RETURN_IF_ERROR(why_);
    std::string data_key, nonce;
    JFS_ASSIGN_OR_RETURN(std::string header, cipher_->NewHeader(&data_key, &nonce));
    JFS_ASSIGN_OR_RETURN(auto aead, AeadStream::Begin(cipher_->kind(), true, data_key, nonce));
    JFS_ASSIGN_OR_RETURN(auto sink, base_->Create(key));
    JFS_RETURN_IF_ERROR(sink->Write(header));
    return std::unique_ptr<Sink>(new EncryptingSink(std::move(sink), std::move(aead)));
  }
  // The whole object is read and authenticated, then cut to the range.
  Result<std::string> Get(const std::string& key, uint64_t off, int64_t len) override {
    JFS_RETURN_IF_ERROR(why_);
    JFS_ASSIGN_OR_RETURN(std::string stored, base_->Get(key, 0, -1));
    auto plain = cipher_->Decrypt(stored);
    if (!plain.ok()) return plain.status().Annotate("object " + key);
    if (off >= plain->size()) return std::string();
    size_t n = len < 0 ? plain->size() - off : std::min<size_t>(len, plain->size() - off);
    if (off == 0 && n == plain->size()) return std::move(*plain);
    return plain->substr(off, n);
  }
  Result<std::unique_ptr<Source>> Open(const std::string& key, size_t piece) override {
    JFS_RETURN_IF_ERROR(why_);
    JFS_ASSIGN_OR_RETURN(auto src, base_->Open(key, piece));
    return std::unique_ptr<Source>(new DecryptingSource(std::move(src), cipher_.get(), key));
  }
  Result<ObjectInfo> Head(const std::string& key) override { return base_->Head(key); }
  Result<ListPage> List(const std::string& prefix, const std::string& start_after,
                        size_t limit) override {
    return base_->List(prefix, start_after, limit);
  }
  Status Delete(const std::string& key) override { return base_->Delete(key); }
  std::string Describe() const override { return base_->Describe() + " (encrypted)"; }

 private:
  std::shared_ptr<ObjectStore> base_;
  std::shared_ptr<ObjectCipher> cipher_;
  Status why_;
};

}  // namespace

Result<std::shared_ptr<ObjectCipher>> ObjectCipher::Make(std::shared_ptr<RsaKey> key,
                                                         const std::string& algo) {
  AeadKind kind;
  if (algo.empty() || algo == "aes256gcm-rsa") {
    kind = AeadKind::kAes256Gcm;
  } else if (algo == "chacha20-rsa") {
    kind = AeadKind::kChaCha20Poly1305;
  } else {
    return Status::NotSupported("objects encrypted with '" + algo +
                                "' are not supported (aes256gcm-rsa and chacha20-rsa are)");
  }
  return std::shared_ptr<ObjectCipher>(new ObjectCipher(std::move(key), kind));
}

Result<std::string> ObjectCipher::NewHeader(std::string* data_key, std::string* nonce) const {
  data_key->assign(AeadKeyBytes(kind_), '\0');
  nonce->assign(kAeadNonceBytes, '\0');
  JFS_RETURN_IF_ERROR(RandomBytes(data_key->data(), data_key->size()));
  JFS_RETURN_IF_ERROR(RandomBytes(nonce->data(), nonce->size()));
  JFS_ASSIGN_OR_RETURN(std::string wrapped, key_->EncryptOaep(*data_key, kOaepLabel));
  std::string h;
  h.push_back(static_cast<char>(wrapped.size() >> 8));
  h.push_back(static_cast<char>(wrapped.size() & 0xff));
  h.push_back(static_cast<char>(nonce->size()));
  return h + wrapped + *nonce;
}

Status ObjectCipher::ParseHeader(std::string_view head, size_t* used, std::string* data_key,
                                 std::string* nonce) const {
  *used = 0;
  if (head.size() < 3) return Status::OK();
  size_t klen = (static_cast<uint8_t>(head[0]) << 8) | static_cast<uint8_t>(head[1]);
  size_t nlen = static_cast<uint8_t>(head[2]);
  if (nlen != kAeadNonceBytes) {
    return Status::Corruption("not an encrypted object of this volume (nonce of " +
                              std::to_string(nlen) + " bytes)");
  }
  if (head.size() < 3 + klen + nlen) return Status::OK();
  auto k = key_->DecryptOaep(head.substr(3, klen), kOaepLabel);
  if (!k.ok() || k->size() != AeadKeyBytes(kind_)) {
    return Status::Corruption("its data key does not open with the volume's key");
  }
  *data_key = std::move(*k);
  nonce->assign(head.substr(3 + klen, nlen));
  *used = 3 + klen + nlen;
  return Status::OK();
}

Result<std::string> ObjectCipher::Encrypt(std::string_view plain) const {
  std::string data_key, nonce;
  JFS_ASSIGN_OR_RETURN(std::string header, NewHeader(&data_key, &nonce));
  JFS_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(kind_, data_key, nonce, plain));
  return header + sealed;
}

Result<std::string> ObjectCipher::Decrypt(std::string_view stored) const {
  size_t used = 0;
  std::string data_key, nonce;
  JFS_RETURN_IF_ERROR(ParseHeader(stored, &used, &data_key, &nonce));
  if (used == 0) return Status::Corruption("encrypted object truncated");
  return AeadOpen(kind_, data_key, nonce, stored.substr(used));
}

std::unique_ptr<ObjectStore> WithEncryption(std::shared_ptr<ObjectStore> base,
                                            std::shared_ptr<ObjectCipher> cipher, Status why) {
  return std::unique_ptr<ObjectStore>(
      new EncryptedStore(std::move(base), std::move(cipher), std::move(why)));
}

}  // namespace jfsbr
