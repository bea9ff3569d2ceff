// A bounded in-memory cache of whole block objects in front of a store, for
// readers that come back to the same blocks (the read-only mount: the
// kernel reads a file 128 KiB at a time, and read-ahead asks for the next
// block before the reader does).
//
// Block objects never change once written (a new write is a new slice id),
// so a cached copy is never stale. A ranged Get that misses fetches the
// whole object once, however many threads ask at the same time, and keeps
// it while the cache holds less than its budget (least recently used out).
// Only for block objects: an object is fetched whole on a miss.
#pragma once

#include <cstddef>
#include <memory>

#include "store/object_store.h"

namespace jfsbr {

struct BlockCacheStats {
  uint64_t hits = 0, misses = 0, bytes_fetched = 0;
};

class BlockCache : public ObjectStore {
 public:
  virtual BlockCacheStats stats() const = 0;
};

std::unique_ptr<BlockCache> NewBlockCache(std::unique_ptr<ObjectStore> base, size_t max_bytes);

}  // namespace jfsbr
