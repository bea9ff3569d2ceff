// A volume formatted with --shards N keeps its objects in N buckets, named
// by formatting the setting's Bucket (a Go format string such as
// "/data/jfs-%d" or "http://host/jfs-%02d") with 0..N-1. An object lives in
// bucket FNV-1a-32(key) mod N, key being its full name in the bucket
// ("<volume>/chunks/..."), as JuiceFS picks it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/object_store.h"

namespace jfsbr {

// Go's fmt.Sprintf(pattern, i) for the verbs a bucket pattern uses: %d with
// optional zero padding and width, and %%.
Result<std::string> FormatShardName(const std::string& pattern, int i);

uint32_t Fnv1a32(std::string_view s);

std::unique_ptr<ObjectStore> Sharded(std::vector<std::shared_ptr<ObjectStore>> shards);

}  // namespace jfsbr
