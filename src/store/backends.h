// Factories of the object store backends. Private to store/.
#pragma once

#include "store/registry.h"

namespace jfsbr {

std::shared_ptr<ObjectStore> OpenLocalStore(const std::string& root);
std::shared_ptr<ObjectStore> OpenMemoryStore(const std::string& name);

}  // namespace jfsbr
