// Opening an object store: by JuiceFS's (storage, bucket) pair as kept in the
// volume setting, or by URL. The only way to reach a store backend.
//
//   storage "file", bucket "/dir/" or "file:///dir/"     local directory
//   storage "s3",   bucket "http[s]://HOST[:PORT]/BUCKET"  any S3-compatible service
//                   or "https://BUCKET.s3.REGION.amazonaws.com"
//   storage "mem",  bucket NAME                           in-process (tests)
//
// S3 credentials come from the config, else from the environment
// (ACCESS_KEY/SECRET_KEY/SESSION_TOKEN as JuiceFS reads them, or AWS_*).
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"

namespace jfsbr {

struct StoreConfig {
  std::string storage;
  std::string bucket;
  std::string access_key;
  std::string secret_key;       // "removed" (a restored dump) counts as absent
  std::string session_token;    // likewise
  size_t part_size = 16 << 20;  // S3 multipart part size (S3's minimum is 5 MiB)
};

Result<std::shared_ptr<ObjectStore>> OpenStore(StoreConfig config);
Result<std::shared_ptr<ObjectStore>> OpenStore(const std::string& storage,
                                               const std::string& bucket);
// "file:///dir/", "s3://HOST:PORT/BUCKET" (plain http; s3s:// for https) or
// "mem://NAME", credentials from the environment.
Result<std::shared_ptr<ObjectStore>> OpenStoreUrl(const std::string& url);
// Creates the bucket if it does not exist (s3: PUT bucket; file: mkdir), as
// format does.
Status CreateBucket(const StoreConfig& config);
// The bucket as JuiceFS records it: for "file", an absolute path ending in
// '/'; for "s3", the URL without a trailing '/'.
Result<std::string> NormalizeBucket(const std::string& storage, const std::string& bucket);

}  // namespace jfsbr
