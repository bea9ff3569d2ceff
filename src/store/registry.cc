#include "store/registry.h"

#include <filesystem>

#include "store/backends.h"

namespace jfsbr {

Result<std::string> NormalizeBucket(const std::string& storage, const std::string& bucket) {
  if (storage == "mem") return bucket;
  if (storage != "file") {
    return Status::InvalidArgument("unsupported storage type '" + storage + "' (supported: file)");
  }
  std::string path = bucket.rfind("file://", 0) == 0 ? bucket.substr(7) : bucket;
  if (path.empty()) return Status::InvalidArgument("file storage needs --bucket DIR");
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec) return Status::InvalidArgument("bad bucket path '" + path + "': " + ec.message());
  std::string s = abs.lexically_normal().string();
  if (s.back() != '/') s += '/';
  return s;
}

Result<std::shared_ptr<ObjectStore>> OpenStore(const std::string& storage,
                                               const std::string& bucket) {
  JFS_ASSIGN_OR_RETURN(std::string b, NormalizeBucket(storage, bucket));
  if (storage == "mem") return OpenMemoryStore(b);
  return OpenLocalStore(b);
}

Result<std::shared_ptr<ObjectStore>> OpenStoreUrl(const std::string& url) {
  if (url.rfind("file://", 0) == 0) return OpenStore("file", url);
  if (url.rfind("mem://", 0) == 0) return OpenStore("mem", url.substr(6));
  return Status::InvalidArgument("unsupported object store URL '" + url +
                                 "' (supported: file:///DIR/, mem://NAME)");
}

}  // namespace jfsbr
