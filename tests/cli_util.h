// Running the jfsbr binary (or any shell command) from end-to-end tests.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

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

// `jfsbr ARGS`.
inline CmdResult Jfsbr(const std::string& args, const TempDir& dir) {
  return RunShell(std::string(JFSBR_BINARY) + " " + args, dir);
}

}  // namespace jfsbr
