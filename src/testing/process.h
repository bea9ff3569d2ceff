// Server processes for tests: free loopback ports and children that log to a
// file and either die with the test (PR_SET_PDEATHSIG) or outlive it in a
// session of their own (ctest fixtures), under a `timeout` watchdog.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "util/result.h"

namespace jfsbr {

// n distinct ports free on 127.0.0.1 (0 where none was found), drawn at
// random below the kernel's ephemeral range: a port from bind(0) is free only
// until the server binds it, and meanwhile any of the tests' outgoing
// connections may be given it as its local port.
std::vector<int> FreePorts(int n);
// Who a spawned child runs as: a uid/gid to switch to (root only: servers
// such as PostgreSQL refuse to run as root), or ourselves.
struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};
// As root: the system user `name` (created when missing), for servers that
// refuse to run as root; otherwise ourselves.
Result<RunAs> ServiceUser(const char* name);
// Starts argv (searched in PATH) with stdin from /dev/null and stdout and
// stderr appended to log (owned by `as`).
Result<pid_t> SpawnLogged(std::vector<std::string> argv, const std::string& log, bool detach,
                          RunAs as = {});
// SpawnLogged, then waits for the child unless background; a failed exit
// is an error with the log's last line.
Result<pid_t> RunLogged(const RunAs& as, std::vector<std::string> argv, const std::string& log,
                        bool background);
// SIGKILLs a child started by SpawnLogged (its whole session if detached) and
// reaps it if it is ours.
void KillSpawned(pid_t pid, bool detached);
// True once something accepts TCP connections on 127.0.0.1:port.
bool PortAccepts(int port);
// A new directory $TMPDIR/jfsbr-<what>-XXXXXX.
Result<std::string> MakeTempDir(const std::string& what);
// The last line of a log file, for error messages.
std::string LastLine(const std::string& path);
// prefix + a suffix of lowercase letters, digits and '_' that no other call
// in any test process of a run returns: the names of databases, users and
// volumes on the servers the tests share. The pid alone is not enough: a CI
// run starts thousands of processes and the kernel reuses pids.
std::string RunUniqueName(const std::string& prefix);

// What a ctest fixture leaves for the tests of a run about the server it
// started: its directory, port and process.
struct SavedServer {
  std::string dir;
  int port = 0;
  pid_t pid = 0;
};
Status SaveServer(const std::string& file, const SavedServer& s);
// what names the server in errors ("s3", "postgres").
Result<SavedServer> LoadServer(const std::string& file, const std::string& what);

}  // namespace jfsbr
