// Child processes and free ports for the test servers.
#include "testing/process.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>

namespace jfsbr {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

}  // namespace

std::vector<int> FreePorts(int n) {
  int low = 32768;  // the kernel's default when its setting cannot be read
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  std::vector<int> fds, ports;  // sockets held open until every port is chosen
  std::mt19937 pick(std::random_device{}());
  for (int i = 0; i < n; i++) {
    int port = 0;
    for (int attempt = 0; attempt < 100 && port == 0; attempt++) {
      // Below the ephemeral range when it leaves room; else what bind(0) gives.
      int want = low > 12000 ? std::uniform_int_distribution<int>(10000, low - 1)(pick) : 0;
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = Loopback(want);
      socklen_t len = sizeof(a);
      if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
          getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
        fds.push_back(fd);
      } else if (fd >= 0) {
        close(fd);
      }
    }
    ports.push_back(port);
  }
  for (int fd : fds) close(fd);
  return ports;
}

Result<pid_t> SpawnLogged(std::vector<std::string> args, const std::string& log, bool detach,
                          RunAs as) {
  if (detach) args.insert(args.begin(), {"timeout", "7200"});  // a forgotten server dies
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork", args[0]);
  if (pid == 0) {
    if (detach) {
      setsid();
    } else {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
    }
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(null, 0);
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (as.drop && (fchown(fd, as.uid, as.gid) != 0 || setgroups(0, nullptr) != 0 ||
                    setgid(as.gid) != 0 || setuid(as.uid) != 0)) {
      _exit(126);
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

Result<RunAs> ServiceUser(const char* name) {
  RunAs ids;
  if (geteuid() != 0) return ids;
  if (getpwnam(name) == nullptr) {
    std::string cmd = std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") +
                      name + " >/dev/null 2>&1";
    if (system(cmd.c_str()) != 0 && getpwnam(name) == nullptr) {
      return Status::IOError("cannot create the user " + std::string(name));
    }
  }
  struct passwd* pw = getpwnam(name);
  if (pw == nullptr) return Status::NotFound(std::string("no user ") + name);
  ids.uid = pw->pw_uid;
  ids.gid = pw->pw_gid;
  ids.drop = true;
  return ids;
}

Result<pid_t> RunLogged(const RunAs& as, std::vector<std::string> args, const std::string& log,
                        bool background) {
  std::string name = args[0];
  JFS_ASSIGN_OR_RETURN(pid_t pid, SpawnLogged(std::move(args), log, /*detach=*/false, as));
  if (background) return pid;
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::IOError(name + " failed: " + LastLine(log));
  }
  return pid;
}

void KillSpawned(pid_t pid, bool detached) {
  if (pid <= 0) return;
  if (detached) kill(-pid, SIGKILL);  // the session: the watchdog and the server
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

bool PortAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a = Loopback(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

Result<std::string> MakeTempDir(const std::string& what) {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/jfsbr-" + what + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) return ErrnoStatus("mkdtemp", tmpl);
  return tmpl;
}

std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) last = line;
  return last.substr(0, 300);
}

std::string RunUniqueName(const std::string& prefix) {
  static const std::string process = [] {
    char tag[32];
    snprintf(tag, sizeof(tag), "%d_%08x", static_cast<int>(getpid()),
             static_cast<unsigned>(std::random_device{}()));
    return std::string(tag);
  }();
  static std::atomic<int> n{0};
  return prefix + process + "_" + std::to_string(++n);
}

Status SaveServer(const std::string& file, const SavedServer& s) {
  std::ofstream out(file + ".tmp");
  out << s.dir << "\n" << s.port << " " << s.pid << "\n";
  out.close();
  if (!out || rename((file + ".tmp").c_str(), file.c_str()) != 0) {
    return ErrnoStatus("write", file);
  }
  return Status::OK();
}

Result<SavedServer> LoadServer(const std::string& file, const std::string& what) {
  std::ifstream in(file);
  if (!in) return Status::NotFound("no " + what + " test server file " + file);
  SavedServer s;
  std::getline(in, s.dir);
  if (!(in >> s.port >> s.pid))
    return Status::Corruption("bad " + what + " test server file " + file);
  return s;
}

}  // namespace jfsbr
