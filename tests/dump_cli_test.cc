// dump, load and check through the binary: files, pipes, compression, bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/cli_util.h"

namespace jfsbr {
namespace {

CmdResult Sh(const std::string& cmd, const TempDir& dir) { return RunShell(cmd, dir); }

const std::string J = JFSBR_BINARY;
const std::string kGolden = std::string(JFSBR_SOURCE_DIR) + "/tests/golden/volume.json";

TEST(DumpCliTest, FilesPipesAndCompressionRoundTrip) {
  TempDir d;
  std::string a = "rocksdb://" + d.Sub("a"), b = "rocksdb://" + d.Sub("b");
  ASSERT_EQ(Sh(J + " load " + a + " " + kGolden, d).code, 0);
  CmdResult check = Sh(J + " check " + a, d);
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_NE(check.out.find("volume OK"), std::string::npos);
  for (const char* name : {"d.json", "d.json.gz", "d.json.zstd"}) {
    std::string file = d.Sub(name);
    CmdResult dump = Sh(J + " dump " + a + " " + file + " --json", d);
    ASSERT_EQ(dump.code, 0) << dump.err;
    EXPECT_NE(dump.err.find("\"version\": "), std::string::npos) << dump.err;
    EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));
    std::filesystem::remove_all(d.Sub("b"));
    ASSERT_EQ(Sh(J + " load " + b + " " + file, d).code, 0);
    EXPECT_EQ(Sh(J + " dump " + b + " | cmp - " + kGolden, d).code, 0) << name;
  }
  // stdout -> stdin, and --subdir.
  std::filesystem::remove_all(d.Sub("b"));
  EXPECT_EQ(Sh(J + " dump " + a + " | " + J + " load " + b, d).code, 0);
  EXPECT_EQ(Sh(J + " dump " + b + " | cmp - " + kGolden, d).code, 0);
  EXPECT_EQ(Sh(J + " dump " + a + " --subdir /docs | cmp - " + std::string(JFSBR_SOURCE_DIR) +
                   "/tests/golden/volume-docs.json",
               d)
                .code,
            0);
}

TEST(DumpCliTest, BadInputGivesOneLineErrors) {
  TempDir d;
  std::string a = "rocksdb://" + d.Sub("a");
  ASSERT_EQ(Sh(J + " load " + a + " " + kGolden, d).code, 0);
  auto expect_error = [&](const std::string& cmd, const std::string& needle) {
    CmdResult r = Sh(cmd, d);
    EXPECT_NE(r.code, 0) << cmd;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << cmd << " -> " << r.err;
  };
  expect_error(J + " load " + a + " " + kGolden, "is not empty");
  expect_error(J + " dump " + a + " --subdir /nope", "subdir /nope does not exist");
  expect_error(J + " dump " + a + " --subdir /link", "is not a directory");
  expect_error(J + " dump rocksdb://" + d.Sub("missing"), "no database at");
  // Truncated input: an error with a byte offset, and nothing that passes for a volume.
  std::string c = "rocksdb://" + d.Sub("c");
  expect_error("head -c 3000 " + kGolden + " | " + J + " load " + c, "JSON at byte 3000");
  CmdResult chk = Sh(J + " check " + c, d);
  EXPECT_EQ(chk.code, 1);
  EXPECT_NE(chk.out.find("no volume setting"), std::string::npos) << chk.out;
  expect_error(J + " status " + c, "not formatted");
  // A rerun with --force clears the leftovers and loads.
  EXPECT_EQ(Sh(J + " load " + c + " --force " + kGolden, d).code, 0);
  EXPECT_EQ(Sh(J + " check " + c, d).code, 0);
  // A gzip file cut short.
  ASSERT_EQ(Sh(J + " dump " + a + " " + d.Sub("x.json.gz"), d).code, 0);
  ASSERT_EQ(Sh("head -c 500 " + d.Sub("x.json.gz") + " > " + d.Sub("cut.json.gz"), d).code, 0);
  expect_error(J + " load rocksdb://" + d.Sub("e") + " " + d.Sub("cut.json.gz"), "gzip");
  expect_error(J + " load rocksdb://" + d.Sub("f") + " /etc/passwd", "JSON at byte 0");
}

// The binary format is a whole-volume copy: the JSON-only flags are refused
// (JuiceFS ignores them), before any output file is created; the same flags
// shape a JSON dump.
TEST(DumpCliTest, BinaryRefusesJsonOnlyFlagsThatJsonHonours) {
  TempDir d;
  std::string a = "rocksdb://" + d.Sub("a");
  ASSERT_EQ(Sh(J + " load " + a + " " + kGolden, d).code, 0);
  for (const std::string& flag : {"--subdir /docs", "--skip-trash", "--threads 4", "--no-spill"}) {
    std::string out = d.Sub("refused.bin");
    CmdResult r = Sh(J + " dump --binary " + a + " " + out + " " + flag, d);
    EXPECT_EQ(r.code, 1) << flag;
    EXPECT_NE(r.err.find("JSON dumps only"), std::string::npos) << flag << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << flag;
  }
  CmdResult whole = Sh(J + " dump " + a, d);
  CmdResult no_trash = Sh(J + " dump " + a + " --skip-trash", d);
  ASSERT_EQ(whole.code, 0);
  ASSERT_EQ(no_trash.code, 0);
  EXPECT_NE(whole.out.find("\"Trash\""), std::string::npos);
  EXPECT_EQ(no_trash.out.find("\"Trash\""), std::string::npos);
  CmdResult one = Sh(J + " dump " + a + " --threads 1", d);
  CmdResult many = Sh(J + " dump " + a + " -p 7", d);
  EXPECT_EQ(one.out, whole.out);
  EXPECT_EQ(many.out, whole.out);
  // A backup takes the same refusal, before it writes anything.
  CmdResult b = Sh(J + " backup " + a + " --binary --skip-trash", d);
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.err.find("JSON dumps only"), std::string::npos) << b.err;
}

// A reader of stdout that quits (as a Redis server killed mid-load does to
// a connection): the dump fails in one line naming the broken pipe, where
// SIGPIPE used to end it silently (exit 141, its summary already printed).
TEST(DumpCliTest, ReaderThatQuitsIsAnError) {
  TempDir d;
  const std::string a = "sqlite3://" + d.Sub("a.db");
  // Several pipe buffers (64 KiB) of JSON: the dump is still writing when
  // `true` has exited.
  ASSERT_EQ(Sh(J + " bench gen " + a + " --files 2000 --bucket " + d.Sub("bucket"), d).code, 0);
  CmdResult r = Sh("(" + J + " dump " + a + " 2>" + d.Sub("dump.err") + "; echo $? >" +
                       d.Sub("rc") + ") | true",
                   d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFileOrEmpty(d.Sub("rc")), "1\n");
  const std::string err = ReadFileOrEmpty(d.Sub("dump.err"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("Broken pipe"), std::string::npos) << err;
}

}  // namespace
}  // namespace jfsbr
