// Fresh engines and object stores for tests, by kind. A test parameter names
// an engine and optionally a store: "rocksdb", "etcd", "rocksdb+s3".
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "fs/volume.h"
#include "meta/registry.h"
#include "testing/etcd_cluster.h"
#include "testing/mariadb_server.h"
#include "testing/pg_server.h"
#include "testing/process.h"
#include "testing/redis_server.h"
#include "testing/s3_server.h"

namespace jfsbr {

inline std::string EngineKind(const std::string& param) { return param.substr(0, param.find('+')); }
// The SQL family's engines (JuiceFS's tables, not TKV keys).
inline bool IsSqlEngine(const std::string& kind) {
  return kind == "sqlite3" || kind == "postgres" || kind == "mariadb";
}
inline std::string StoreKind(const std::string& param) {
  size_t plus = param.find('+');
  return plus == std::string::npos ? "file" : param.substr(plus + 1);
}

// Names parameterized tests by kind: "rocksdb+s3" -> "rocksdb_s3".
inline std::string TestKindName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) c = c == '+' ? '_' : c;
  return s;
}

// A name no other test of this run uses, with '-' where RunUniqueName has
// '_' (S3 bucket names take no '_').
inline std::string UniqueTestId() {
  std::string id = RunUniqueName("");
  for (char& c : id) c = c == '_' ? '-' : c;
  return id;
}

// A new, empty META-URL of engine `kind`: "rocksdb" or "sqlite3" (a database
// under dir), "memkv" or "etcd" (a volume name of its own on the shared test
// cluster), "postgres", "mariadb" or "redis" (a database of its own on the shared
// test server).
inline std::string FreshMetaUrl(const std::string& kind, const std::string& dir) {
  std::string id = UniqueTestId();
  if (kind == "rocksdb") return "rocksdb://" + dir + "/meta-" + id;
  if (kind == "etcd") return EtcdCluster::Shared()->MetaUrl("t" + id);
  if (kind == "sqlite3") return "sqlite3://" + dir + "/meta-" + id + ".db";
  if (kind == "postgres") {
    auto url = PgServer::Shared()->FreshDatabase();
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    return url.ok() ? *url : "postgres://unreachable";
  }
  if (kind == "redis") {
    auto url = RedisServer::Shared()->FreshDatabase();
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    return url.ok() ? *url : "redis://unreachable";
  }
  if (kind == "mariadb") {
    auto url = MariaServer::Shared()->FreshDatabase();
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    return url.ok() ? *url : "mysql://unreachable";
  }
  return "memkv://test-" + id;
}

// Points o at a new, empty bucket of store `kind`: "file" (a directory under
// dir) or "s3" (a bucket of its own on the shared s3rver).
inline void UseFreshStore(const std::string& kind, const std::string& dir, FormatOptions* o) {
  std::string id = UniqueTestId();
  if (kind == "s3") {
    o->storage = "s3";
    o->bucket = S3Server::Shared()->endpoint() + "/b" + id;
    o->access_key = o->secret_key = kS3rverKey;
    return;
  }
  o->storage = "file";
  o->bucket = dir + "/bucket-" + id;
}

// A volume formatted with o (name and bucket filled in when empty) in a new
// memkv engine, its bucket under dir. nullptr after a test failure.
inline std::unique_ptr<Volume> NewMemVolume(const std::string& dir, FormatOptions o = {}) {
  if (o.name.empty()) o.name = "testvol";
  if (o.bucket.empty()) o.bucket = dir + "/bucket-" + UniqueTestId();
  auto e = OpenMeta(FreshMetaUrl("memkv", dir), /*create=*/true);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  if (!e.ok()) return nullptr;
  auto f = FormatVolume(e->get(), o);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return nullptr;
  auto v = Volume::Open(std::move(*e));
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? std::move(*v) : nullptr;
}

// Records written as they are, in one transaction: how tests make states
// the write path never would (damage, JuiceFS-only records).
class RecordBatch {
 public:
  void Put(RecordKey k, std::string v) { ops_.emplace_back(std::move(k), std::move(v)); }
  void Delete(RecordKey k) { ops_.emplace_back(std::move(k), std::nullopt); }
  Status CommitTo(Meta* m) const {
    return m->Transact([&](MetaTxn& tx) {
      for (const auto& [k, v] : ops_) {
        if (v) {
          tx.Put(k, *v);
        } else {
          tx.Delete(k);
        }
      }
      return Status::OK();
    });
  }

 private:
  std::vector<std::pair<RecordKey, std::optional<std::string>>> ops_;
};

// Creates file `name` in parent holding data (uploaded as slices, then the
// inode in one transaction). Returns its inode, or 0 after a test failure.
inline Ino CreateTestFile(Volume* v, Ino parent, const std::string& name, const std::string& data,
                          uint16_t mode = 0644) {
  SliceWriter w(v, 0);
  EXPECT_TRUE(w.Append(data).ok());
  auto slices = w.Finish();
  EXPECT_TRUE(slices.ok());
  if (!slices.ok()) return 0;
  auto ino = v->CreateFile(parent, name, {.mode = mode}, data.size(), *slices);
  EXPECT_TRUE(ino.ok()) << ino.status().ToString();
  return ino.ok() ? *ino : 0;
}

}  // namespace jfsbr
