// A real S3 server for tests: s3rver (npm) under node on 127.0.0.1 with a free
// port and a temporary directory. s3rver checks the access key id (S3RVER)
// but not signatures; see docs/architecture.md.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "store/registry.h"

namespace jfsbr {

class S3Server {
 public:
  // s3rver.js from $JFSBR_S3RVER, else the copy scripts/deps.sh installs.
  static std::string ScriptPath();
  static Result<std::unique_ptr<S3Server>> Start(bool detach = false);
  ~S3Server();
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // A new empty bucket: the config to open it (credentials included).
  Result<StoreConfig> NewBucket(const std::string& name);
  void Kill();       // SIGKILL, as a crash; the data stays
  Status Restart();  // same port, same data
  bool alive() const { return pid_ > 0; }

  // The server shared by the tests of one ctest run: the one the fixture
  // started ($JFSBR_TEST_SERVERS/s3), or else one started for this process.
  static S3Server* Shared();
  Status Save(const std::string& file) const;
  static Result<std::unique_ptr<S3Server>> Load(const std::string& file);
  static Status StopSaved(const std::string& file);
  void Release() { owned_ = false; }
  const std::string& dir() const { return dir_; }

 private:
  S3Server() = default;
  Status Spawn();

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
  bool detach_ = false;
  bool owned_ = true;
};

// Access key and secret s3rver accepts.
inline constexpr const char* kS3rverKey = "S3RVER";

}  // namespace jfsbr
