// ObjectStore: where a volume's data blocks (and later its backups) live.
//
// Keys are '/'-separated paths. Objects are immutable once written: Put (and
// Create's sink, when it is closed) replaces the whole object atomically:
// readers see the old or the new one, never a part. Implementations are
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/io.h"
#include "util/result.h"

namespace jfsbr {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  int64_t mtime = 0;  // unix seconds
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // ascending by key
  bool truncated = false;           // more keys follow the last one listed
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual Status Put(const std::string& key, std::string_view data) = 0;
  // A new object of any size written as a stream: it appears under key only
  // when Close succeeds. A sink destroyed unclosed (or whose Close failed)
  // leaves no object; memory stays bounded (S3: a multipart upload).
  virtual Result<std::unique_ptr<Sink>> Create(const std::string& key) = 0;
  // Bytes [off, off+len) of the object (len < 0: to the end); kNotFound if absent.
  virtual Result<std::string> Get(const std::string& key, uint64_t off = 0, int64_t len = -1) = 0;
  virtual Result<ObjectInfo> Head(const std::string& key) = 0;
  // Up to `limit` objects whose key starts with prefix and sorts after
  // start_after (all if empty), in key order.
  virtual Result<ListPage> List(const std::string& prefix, const std::string& start_after,
                                size_t limit) = 0;
  // Removing an absent object is not an error.
  virtual Status Delete(const std::string& key) = 0;
  // The whole object as a stream (OpenObject); by default ranged Gets of
  // `piece` bytes, the next fetched ahead. kNotFound if absent.
  virtual Result<std::unique_ptr<Source>> Open(const std::string& key, size_t piece);
  // Kind and location for people (never a secret).
  virtual std::string Describe() const = 0;
};

// Reads an object as a stream (ObjectStore::Open). The store must outlive the
// source. kNotFound if absent.
Result<std::unique_ptr<Source>> OpenObject(ObjectStore* store, const std::string& key,
                                           size_t piece = 8 << 20);

// Every object of a store under prefix, paging through List.
Result<std::vector<ObjectInfo>> ListAll(ObjectStore* store, const std::string& prefix);

// Every object under prefix, listed in parallel key ranges: with boundaries
// b1 < b2 < ... (keys under prefix), range i holds the keys k with
// b(i) < k <= b(i+1) (b0: none, the last range: no end). fn is called from
// `threads` threads at once; the first error (of a listing or of fn) stops
// every range and is returned. OK means every object was seen exactly once.
Status ListRanges(ObjectStore* store, const std::string& prefix,
                  const std::vector<std::string>& boundaries, int threads,
                  const std::function<Status(const ObjectInfo&)>& fn);

// A view of `base` in which every key is relative to prefix (e.g. "myjfs/").
std::unique_ptr<ObjectStore> WithPrefix(std::shared_ptr<ObjectStore> base, std::string prefix);

}  // namespace jfsbr
