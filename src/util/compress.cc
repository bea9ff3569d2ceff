// gzip and zstd streams over Sink/Source.
#include "util/compress.h"

#include <zlib.h>
#include <zstd.h>

namespace jfsbr {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr size_t kChunk = 256 << 10;

class GzipSink final : public Sink {
 public:
  GzipSink(std::unique_ptr<Sink> base, int level) : base_(std::move(base)), out_(kChunk, '\0') {
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipSink() override { deflateEnd(&z_); }
  Status Write(std::string_view data) override { return Deflate(data, Z_NO_FLUSH); }
  Status Close() override {
    JFS_RETURN_IF_ERROR(Deflate({}, Z_FINISH));
    return base_->Close();
  }

 private:
  Status Deflate(std::string_view data, int flush) {
    if (!ok_) return Status::IOError("gzip: cannot initialise the compressor");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    int rc;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return Status::IOError("gzip: compression failed");
      size_t n = out_.size() - z_.avail_out;
      if (n > 0) JFS_RETURN_IF_ERROR(base_->Write(std::string_view(out_.data(), n)));
    } while (z_.avail_in > 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return Status::OK();
  }

  std::unique_ptr<Sink> base_;
  z_stream z_{};
  std::string out_;
  bool ok_ = false;
};

class GzipSource final : public Source {
 public:
  explicit GzipSource(std::unique_ptr<Source> base) : base_(std::move(base)), in_(kChunk, '\0') {
    ok_ = inflateInit2(&z_, 15 + 16) == Z_OK;
  }
  ~GzipSource() override { inflateEnd(&z_); }
  Result<size_t> Read(char* buf, size_t n) override {
    if (!ok_) return Status::IOError("gzip: cannot initialise the decompressor");
    if (done_) return size_t{0};
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out == n) {
      if (z_.avail_in == 0) {
        JFS_ASSIGN_OR_RETURN(size_t got, base_->Read(in_.data(), in_.size()));
        if (got == 0) return Status::Corruption("gzip: the stream ends early (truncated file?)");
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(got);
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        done_ = true;
        break;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Status::Corruption(std::string("gzip: ") + (z_.msg ? z_.msg : "corrupt data"));
      }
    }
    return n - z_.avail_out;
  }

 private:
  std::unique_ptr<Source> base_;
  z_stream z_{};
  std::string in_;
  bool ok_ = false, done_ = false;
};

class ZstdSink final : public Sink {
 public:
  ZstdSink(std::unique_ptr<Sink> base, int level)
      : base_(std::move(base)), cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize(), '\0') {
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);  // so corruption is caught
  }
  ~ZstdSink() override { ZSTD_freeCCtx(cctx_); }
  Status Write(std::string_view data) override { return Compress(data, ZSTD_e_continue); }
  Status Close() override {
    JFS_RETURN_IF_ERROR(Compress({}, ZSTD_e_end));
    return base_->Close();
  }

 private:
  Status Compress(std::string_view data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(left))
        return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(left));
      if (out.pos > 0) JFS_RETURN_IF_ERROR(base_->Write(std::string_view(out_.data(), out.pos)));
      bool finished = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (finished) return Status::OK();
    }
  }

  std::unique_ptr<Sink> base_;
  ZSTD_CCtx* cctx_;
  std::string out_;
};

class ZstdSource final : public Source {
 public:
  explicit ZstdSource(std::unique_ptr<Source> base)
      : base_(std::move(base)), dctx_(ZSTD_createDCtx()), in_(ZSTD_DStreamInSize(), '\0') {}
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }
  Result<size_t> Read(char* buf, size_t n) override {
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos == 0) {
      if (pos_ == len_) {
        JFS_ASSIGN_OR_RETURN(len_, base_->Read(in_.data(), in_.size()));
        pos_ = 0;
        if (len_ == 0) {
          if (frame_open_)
            return Status::Corruption("zstd: the stream ends early (truncated file?)");
          return size_t{0};
        }
      }
      ZSTD_inBuffer in{in_.data(), len_, pos_};
      size_t hint = ZSTD_decompressStream(dctx_, &out, &in);
      if (ZSTD_isError(hint))
        return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(hint));
      pos_ = in.pos;
      frame_open_ = hint != 0;
    }
    return out.pos;
  }

 private:
  std::unique_ptr<Source> base_;
  ZSTD_DCtx* dctx_;
  std::string in_;
  size_t pos_ = 0, len_ = 0;
  bool frame_open_ = false;
};

// Owns base and passes everything through.
class OwningSink final : public Sink {
 public:
  explicit OwningSink(std::unique_ptr<Sink> base) : base_(std::move(base)) {}
  Status Write(std::string_view d) override { return base_->Write(d); }
  Status Close() override { return base_->Close(); }

 private:
  std::unique_ptr<Sink> base_;
};

}  // namespace

Compression CompressionForName(const std::string& path) {
  if (EndsWith(path, ".gz")) return Compression::kGzip;
  if (EndsWith(path, ".zstd") || EndsWith(path, ".zst")) return Compression::kZstd;
  return Compression::kNone;
}

std::unique_ptr<Sink> CompressingSink(std::unique_ptr<Sink> base, Compression c, int level) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipSink>(std::move(base), level);
    case Compression::kZstd:
      return std::make_unique<ZstdSink>(std::move(base), level);
    case Compression::kNone:
      break;
  }
  return std::make_unique<OwningSink>(std::move(base));
}

std::unique_ptr<Source> DecompressingSource(std::unique_ptr<Source> base, Compression c) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipSource>(std::move(base));
    case Compression::kZstd:
      return std::make_unique<ZstdSource>(std::move(base));
    case Compression::kNone:
      break;
  }
  return base;
}

}  // namespace jfsbr
