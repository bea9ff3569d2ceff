// Opening a metadata engine by META-URL. The only way to reach a backend.
//
//   rocksdb://PATH   embedded RocksDB directory (TKV keys; jfsbr's scratch space)
//   memkv://NAME     in-process memory (tests); same NAME shares data
//   etcd://[USER:PASS@]HOST:PORT[,HOST:PORT...]/NAME   an etcd cluster (tkv/etcd_url.h)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tkv/engine.h"

namespace jfsbr {

struct EngineUrl {
  std::string scheme;   // before "://"
  std::string rest;     // after "://"
  bool create = false;  // create the database if it does not exist
};

// Splits "scheme://rest"; kInvalidArgument naming the problem otherwise.
Result<EngineUrl> ParseEngineUrl(std::string_view url);
// Opens the engine of url. Only `format` (and loads into a new engine) pass
// create = true: opening a missing database is otherwise an error, so a
// mistyped path never leaves an empty database behind.
Result<std::unique_ptr<KvEngine>> OpenEngine(std::string_view url, bool create = false);
// The whole engine, without the volume's key prefix (JuiceFsKeyPrefix): for
// keys beside the volume's own (log backup tasks) and watching them together.
Result<std::unique_ptr<KvEngine>> OpenEngineUnprefixed(std::string_view url, bool create = false);
// "rocksdb, memkv": for error messages and help.
std::string SupportedEngineSchemes();

}  // namespace jfsbr
