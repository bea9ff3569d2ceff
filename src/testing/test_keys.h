// RSA private keys for encryption tests, made as JuiceFS's docs tell users
// to make them: `openssl genrsa [-aes256]` (PEM, optionally passphrase-protected);
// and a test CA with a server certificate for the TLS tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "util/test_util.h"

namespace jfsbr {

// The PEM of a new 2048-bit key, written to dir/name too.
inline std::string MakeTestRsaKey(const TempDir& dir, const std::string& name,
                                  const std::string& passphrase = "") {
  std::string path = dir.Sub(name);
  std::string cmd = "openssl genrsa -out " + path +
                    (passphrase.empty() ? "" : " -aes256 -passout pass:" + passphrase) +
                    " 2048 2>/dev/null";
  EXPECT_EQ(system(cmd.c_str()), 0) << cmd;
  std::string pem = ReadFileOrEmpty(path);
  EXPECT_NE(pem.find("PRIVATE KEY"), std::string::npos) << pem;
  return pem;
}

// In dir: a CA (ca.pem, ca.key) and a server certificate it signed
// (server.pem, server.key) for the names `name` and 127.0.0.1, made with the
// openssl tool. False (and a test failure) if a step failed.
inline bool MakeTestTlsCerts(const std::string& dir, const std::string& name) {
  const std::string ossl = "cd " + dir + " && openssl ";
  std::ofstream(dir + "/san.ext") << "subjectAltName=DNS:" << name << ",IP:127.0.0.1\n";
  const std::string steps[] = {
      ossl + "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 " +
          "-subj /CN=jfsbr-test-ca",
      ossl + "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=" + name,
      ossl + "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial " +
          "-out server.pem -days 1 -extfile san.ext"};
  for (const auto& step : steps) {
    std::string cmd = step + " >/dev/null 2>&1";
    if (system(cmd.c_str()) != 0) {
      ADD_FAILURE() << cmd;
      return false;
    }
  }
  return true;
}

}  // namespace jfsbr
