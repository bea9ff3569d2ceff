// Factories of the object store backends. Private to store/.
#pragma once

#include "store/registry.h"

namespace jfsbr {

std::shared_ptr<ObjectStore> OpenLocalStore(const std::string& root);
std::shared_ptr<ObjectStore> OpenMemoryStore(const std::string& name);
// config.bucket normalized; credentials resolved.
Result<std::shared_ptr<ObjectStore>> OpenS3Store(const StoreConfig& config);
Status CreateS3Bucket(const StoreConfig& config);
// The canonical form of an S3 bucket URL, or why it is not one.
Result<std::string> NormalizeS3Bucket(const std::string& bucket);

}  // namespace jfsbr
