// What the tests' database servers (PostgreSQL, MariaDB) share: a data
// directory under a temporary directory, a free port on 127.0.0.1, a
// process that can be killed (a crash) and started again on the same data,
// the file a ctest fixture leaves for the tests of a run, and databases of
// one test each, owned by a user of their own with a password.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "testing/process.h"
#include "util/result.h"

namespace jfsbr {

class DbServer {
 public:
  virtual ~DbServer();
  DbServer(const DbServer&) = delete;
  DbServer& operator=(const DbServer&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  void Kill();                        // SIGKILL, as a crash
  Status Restart();                   // the same data and port again, after a Kill
  void Release() { owned_ = false; }  // left running (the fixture's)
  Status Save(const std::string& file) const;

  // A database owned by a new user with that password: its META-URL.
  virtual Result<std::string> NewDatabase(const std::string& name, const std::string& password) = 0;
  // A database for one test, owned by a user of the same name: its URL.
  Result<std::string> FreshDatabase();

 protected:
  // Runs a client program (psql, mariadb) as `as`; what it printed.
  Result<std::string> ClientOutput(const RunAs& as, std::vector<std::string> argv);
  DbServer() = default;
  virtual Status Spawn() = 0;  // starts the server on dir_ and port_
  // After Spawn: waits (30 s at most) until the server accepts connections;
  // an error with log's last line if it exits or never does.
  Status WaitAccepting(const std::string& what, const std::string& log);
  // The fields of a server a fixture saved (owned: stop it when destroyed).
  Status LoadFrom(const std::string& file, const std::string& what, bool owned);
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool detach_ = false;
  bool durable_ = false;  // the database's own durability settings (benchmarks)
  bool owned_ = true;
  friend bool SavedAlive(const DbServer& s);
};

// Is the saved server still there (a process that accepts connections)?
inline bool SavedAlive(const DbServer& s) {
  return s.pid_ > 0 && kill(s.pid_, 0) == 0 && PortAccepts(s.port_);
}

// The server of kind T shared by the tests of one ctest run: the one its
// fixture started ($JFSBR_TEST_SERVERS/<fixture>), or one of this process.
template <typename T>
T* SharedDbServer(const char* fixture) {
  static std::unique_ptr<T> shared = [&]() -> std::unique_ptr<T> {
    if (const char* d = getenv("JFSBR_TEST_SERVERS"); d && *d) {
      auto s = T::Load(std::string(d) + "/" + fixture);
      if (s.ok() && SavedAlive(**s)) return std::move(*s);
    }
    auto s = T::Start();
    if (!s.ok()) {
      fprintf(stderr, "cannot start the %s test server: %s\n", fixture,
              s.status().ToString().c_str());
      abort();
    }
    return std::move(*s);
  }();
  return shared.get();
}

// Stops the server a fixture saved in file.
template <typename T>
Status StopSavedDbServer(const std::string& file) {
  JFS_ASSIGN_OR_RETURN(auto s, T::Load(file, /*owned=*/true));
  s.reset();
  unlink(file.c_str());
  return Status::OK();
}

}  // namespace jfsbr
