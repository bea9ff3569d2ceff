// Volume key prefixes on shared engines (juicefs-formats.md §1.2).
//
// A shared engine (etcd, TiKV) stores every logical key behind a fixed prefix
// derived from the META-URL; embedded engines (rocksdb, memkv) use none.
#pragma once

#include <memory>
#include <string>

#include "tkv/engine.h"
#include "tkv/registry.h"

namespace jfsbr {

// JuiceFS's prefix for this URL: etcd keeps the path's leading '/', TiKV trims
// every leading '/', both end with 0xFD; rocksdb/memkv/badger have none.
std::string JuiceFsKeyPrefix(const EngineUrl& url);

// An engine that adds `prefix` to every key it is given and strips it from the
// keys it returns; scans never leave the prefix.
std::unique_ptr<KvEngine> WithKeyPrefix(std::unique_ptr<KvEngine> base, std::string prefix);

}  // namespace jfsbr
