// Fresh META-URLs for tests, by engine kind.
#pragma once

#include <unistd.h>

#include <atomic>
#include <random>
#include <string>

#include "testing/etcd_cluster.h"

namespace jfsbr {

// A new, empty META-URL of engine `kind`: "rocksdb" (a database under dir),
// "memkv" or "etcd" (a volume name of its own on the shared test cluster).
inline std::string FreshMetaUrl(const std::string& kind, const std::string& dir) {
  static std::atomic<int> n{0};
  static const std::string run =
      std::to_string(getpid()) + "-" + std::to_string(std::random_device{}() % 100000);
  std::string id = run + "-" + std::to_string(++n);
  if (kind == "rocksdb") return "rocksdb://" + dir + "/meta-" + id;
  if (kind == "etcd") return EtcdCluster::Shared()->MetaUrl("t" + id);
  return "memkv://test-" + id;
}

}  // namespace jfsbr
