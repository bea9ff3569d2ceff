// Opening an object store by URL or by a volume's storage and bucket.
#include "store/registry.h"

#include <cstdlib>
#include <filesystem>

#include "store/backends.h"

namespace jfsbr {
namespace {

Result<std::string> NormalizeFileBucket(const std::string& bucket) {
  std::string path = bucket.rfind("file://", 0) == 0 ? bucket.substr(7) : bucket;
  if (path.empty()) return Status::InvalidArgument("file storage needs --bucket DIR");
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec) return Status::InvalidArgument("bad bucket path '" + path + "': " + ec.message());
  std::string s = abs.lexically_normal().string();
  if (s.back() != '/') s += '/';
  return s;
}

// value if set (and not "removed"), else the first environment variable set.
std::string OrEnv(const std::string& value, const char* name, const char* aws_name) {
  if (!value.empty() && value != "removed") return value;
  for (const char* n : {name, aws_name}) {
    const char* v = getenv(n);
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

}  // namespace

Result<std::string> NormalizeBucket(const std::string& storage, const std::string& bucket) {
  if (storage == "mem") return bucket;
  if (storage == "file") return NormalizeFileBucket(bucket);
  if (storage == "s3") return NormalizeS3Bucket(bucket);
  return Status::InvalidArgument("unsupported storage type '" + storage +
                                 "' (supported: file, s3)");
}

namespace {

// Credentials resolved from the environment where the config has none.
Result<StoreConfig> Resolve(StoreConfig c) {
  JFS_ASSIGN_OR_RETURN(c.bucket, NormalizeBucket(c.storage, c.bucket));
  if (c.storage != "s3") return c;
  if (const char* ps = getenv("JFSBR_S3_PART_SIZE"); ps != nullptr && atoll(ps) > 0) {
    c.part_size = static_cast<size_t>(atoll(ps));  // tuning (and tests of multipart)
  }
  bool secret_removed = c.secret_key == "removed";
  c.access_key = OrEnv(c.access_key, "ACCESS_KEY", "AWS_ACCESS_KEY_ID");
  c.secret_key = OrEnv(c.secret_key, "SECRET_KEY", "AWS_SECRET_ACCESS_KEY");
  c.session_token = OrEnv(c.session_token, "SESSION_TOKEN", "AWS_SESSION_TOKEN");
  if (secret_removed && c.secret_key.empty()) {
    return Status::InvalidArgument(
        "the volume's secret key was removed (it came from a dump); set SECRET_KEY or run "
        "'jfsbr format --force' with --secret-key");
  }
  return c;
}

}  // namespace

Status CreateBucket(const StoreConfig& config) {
  JFS_ASSIGN_OR_RETURN(StoreConfig c, Resolve(config));
  if (c.storage == "s3") return CreateS3Bucket(c);
  if (c.storage == "file") {
    std::error_code ec;
    std::filesystem::create_directories(c.bucket, ec);
    if (ec) return Status::IOError("create " + c.bucket + ": " + ec.message());
  }
  return Status::OK();
}

Result<std::shared_ptr<ObjectStore>> OpenStore(StoreConfig config) {
  JFS_ASSIGN_OR_RETURN(StoreConfig c, Resolve(std::move(config)));
  if (c.storage == "mem") return OpenMemoryStore(c.bucket);
  if (c.storage == "file") return OpenLocalStore(c.bucket);
  return OpenS3Store(c);
}

Result<std::shared_ptr<ObjectStore>> OpenStore(const std::string& storage,
                                               const std::string& bucket) {
  return OpenStore(StoreConfig{storage, bucket});
}

Result<std::shared_ptr<ObjectStore>> OpenStoreUrl(const std::string& url) {
  if (url.rfind("file://", 0) == 0) return OpenStore("file", url);
  if (url.rfind("mem://", 0) == 0) return OpenStore("mem", url.substr(6));
  if (url.rfind("s3://", 0) == 0) return OpenStore("s3", "http://" + url.substr(5));
  if (url.rfind("s3s://", 0) == 0) return OpenStore("s3", "https://" + url.substr(6));
  return Status::InvalidArgument("unsupported object store URL '" + url +
                                 "' (supported: file:///DIR/, s3://HOST:PORT/BUCKET, "
                                 "s3s://HOST/BUCKET, mem://NAME)");
}

}  // namespace jfsbr
