// RSA private keys for encryption tests, made as JuiceFS's docs tell users
// to make them: `openssl genrsa [-aes256]` (PEM, optionally passphrase-protected).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
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

}  // namespace jfsbr
