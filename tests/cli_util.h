// Running the jfsbr binary (or any shell command) from end-to-end tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "util/test_util.h"

namespace jfsbr {

struct CmdResult {
  int code;  // exit status, -1 if killed
  std::string out, err;
};

// Runs cmd through the shell with stdout and stderr captured in files of dir.
inline CmdResult RunShell(const std::string& cmd, const TempDir& dir) {
  std::string out = dir.Sub(".stdout"), err = dir.Sub(".stderr");
  int rc = system(("(" + cmd + ") >" + out + " 2>" + err).c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ReadFileOrEmpty(out), ReadFileOrEmpty(err)};
}

// s in single quotes, for the shell (URLs with '&', '(' and '?').
inline std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// r failed (exit 1) with one line on stderr that contains part.
inline void ExpectOneLineError(const CmdResult& r, const std::string& part,
                               const std::string& what) {
  EXPECT_EQ(r.code, 1) << what << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << what << ": " << r.err;
}

// `jfsbr ARGS`.
inline CmdResult Jfsbr(const std::string& args, const TempDir& dir) {
  return RunShell(std::string(JFSBR_BINARY) + " " + args, dir);
}

// Starts `jfsbr args...` in the background, stderr to err_file.
inline pid_t SpawnJfsbr(const std::vector<std::string>& args, const std::string& err_file) {
  pid_t pid = fork();
  if (pid == 0) {
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(err, 2);
    std::vector<std::string> all = {JFSBR_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(JFSBR_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `seconds` until pid has read at least `bytes` (its rchar:
// files and sockets) and is still running: a command that is mid-way, for a
// test that kills its server then. False if it ended or the time ran out.
// (A fixed sleep instead killed too early or too late with the machine's
// load.)
inline bool WaitUntilRead(pid_t pid, uint64_t bytes, int seconds) {
  for (int i = 0; i < seconds * 200; i++, usleep(5000)) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      return false;  // ended (left for WaitExit to reap)
    }
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    uint64_t value = 0;
    while (io >> key >> value) {
      if (key == "rchar:" && value >= bytes) return true;
    }
  }
  return false;
}

// Waits up to `seconds` for pid; its exit code, or -1 (killed, or still
// running: killed now).
inline int WaitExit(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 10; i++) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    usleep(100000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace jfsbr
