// Opening an object store: by JuiceFS's (storage, bucket) pair as kept in the
// volume setting, or by URL. The only way to reach a store backend.
//
//   storage "file", bucket "/dir/" or "file:///dir/"   local directory
//   storage "mem",  bucket NAME                         in-process (tests)
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"

namespace jfsbr {

Result<std::shared_ptr<ObjectStore>> OpenStore(const std::string& storage,
                                               const std::string& bucket);
// "file:///dir/" or "mem://NAME".
Result<std::shared_ptr<ObjectStore>> OpenStoreUrl(const std::string& url);
// The bucket as JuiceFS records it: for "file", an absolute path ending in '/'.
Result<std::string> NormalizeBucket(const std::string& storage, const std::string& bucket);

}  // namespace jfsbr
