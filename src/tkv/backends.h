// Factories of the engine backends. Private to tkv/: include only from
// registry.cc and the backend that defines the factory.
#pragma once

#include "tkv/registry.h"

namespace jfsbr {

Result<std::unique_ptr<KvEngine>> OpenMemoryEngine(const EngineUrl& url);
Result<std::unique_ptr<KvEngine>> OpenRocksEngine(const EngineUrl& url);
Result<std::unique_ptr<KvEngine>> OpenEtcdEngine(const EngineUrl& url);

}  // namespace jfsbr
