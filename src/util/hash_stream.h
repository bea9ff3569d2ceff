// Streams that count and SHA-256 the bytes passing through them: an object
// being written (its digest goes into a manifest) or read back (checked
// against one).
#pragma once

#include <memory>
#include <string>

#include "util/io.h"
#include "util/sha256.h"

namespace jfsbr {

class HashingSink final : public Sink {
 public:
  explicit HashingSink(std::unique_ptr<Sink> base) : base_(std::move(base)) {}
  Status Write(std::string_view data) override {
    hash_.Update(data);
    bytes_ += data.size();
    return base_->Write(data);
  }
  Status Close() override { return base_->Close(); }
  uint64_t bytes() const { return bytes_; }
  std::string Digest() { return hash_.HexDigest(); }

 private:
  std::unique_ptr<Sink> base_;
  Sha256 hash_;
  uint64_t bytes_ = 0;
};

class HashingSource final : public Source {
 public:
  explicit HashingSource(std::unique_ptr<Source> base) : base_(std::move(base)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    JFS_ASSIGN_OR_RETURN(size_t got, base_->Read(buf, n));
    hash_.Update(std::string_view(buf, got));
    bytes_ += got;
    return got;
  }
  uint64_t bytes() const { return bytes_; }
  std::string Digest() { return hash_.HexDigest(); }

 private:
  std::unique_ptr<Source> base_;
  Sha256 hash_;
  uint64_t bytes_ = 0;
};

// A sink that hands its writes on without taking ownership.
class BorrowedSink final : public Sink {
 public:
  explicit BorrowedSink(Sink* base) : base_(base) {}
  Status Write(std::string_view data) override { return base_->Write(data); }
  Status Close() override { return base_->Close(); }

 private:
  Sink* base_;
};

// A source read without taking ownership.
class BorrowedSource final : public Source {
 public:
  explicit BorrowedSource(Source* base) : base_(base) {}
  Result<size_t> Read(char* buf, size_t n) override { return base_->Read(buf, n); }

 private:
  Source* base_;
};

}  // namespace jfsbr
