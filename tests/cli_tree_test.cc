// The command tree as a user meets it: every command and subcommand lists
// exactly its own flags in --help and refuses a flag that belongs to another
// command, naming it; bad numbers and durations get one line, never a crash.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/cli_util.h"

namespace jfsbr {
namespace {

struct CommandSpec {
  std::string path;
  std::set<std::string> flags;  // without --help
};

// The spec: what each command takes. A flag added to or dropped from a
// command must change this table too.
const CommandSpec kSpecs[] = {
    {"format",
     {"storage", "bucket", "access-key", "secret-key", "session-token", "block-size", "trash-days",
      "hash-prefix", "compress", "encrypt-rsa-key", "encrypt-algo", "force"}},
    {"import", {"dest", "threads"}},
    {"export",
     {"path", "threads", "from-backup", "at", "full-backup-storage", "storage", "scratch"}},
    {"dump",
     {"subdir", "keep-secret-key", "skip-trash", "threads", "spill-dir", "no-spill", "json",
      "at-version", "binary"}},
    {"load", {"force", "binary", "no-verify", "stat", "offset", "threads"}},
    {"check", {"max-problems"}},
    {"status", {}},
    {"ls", {}},
    {"stat", {}},
    {"cat", {}},
    {"backup", {"binary", "keep-secret-key", "skip-trash", "threads"}},
    {"backup daemon",
     {"binary", "keep-secret-key", "skip-trash", "threads", "interval", "lease-ttl", "metrics"}},
    {"backup list", {}},
    {"backup verify", {"scratch", "blocks"}},
    {"restore", {"from", "to", "no-bucket-guard"}},
    {"restore point",
     {"full-backup-storage", "storage", "restored-ts", "restored-revision", "to",
      "no-bucket-guard"}},
    {"mkdir", {"parents", "mode"}},
    {"rm", {"recursive"}},
    {"info", {}},
    {"bench", {}},
    {"bench gen", {"files", "slices", "storage", "bucket", "access-key", "secret-key"}},
    {"bench scan", {}},
    {"bench objects", {"leaked", "threads"}},
    {"br", {}},
    {"br backup", {"storage", "concurrency", "ratelimit", "at-revision"}},
    {"br restore", {"storage", "concurrency", "no-bucket-guard"}},
    {"br validate", {"storage"}},
    {"log", {}},
    {"log start", {"storage", "start-revision", "flush-interval", "flush-mib", "lease-ttl"}},
    {"log status", {}},
    {"log pause", {}},
    {"log resume", {}},
    {"log stop", {}},
    {"log truncate", {"storage", "until"}},
    {"gc",
     {"delete", "compact", "threads", "skip-newer", "keep-backup-slices", "no-keep-backup-slices",
      "delete-after-restore"}},
    {"gc compact", {"keep"}},
    {"fsck", {"path", "recursive", "repair", "threads"}},
    {"restore-trash", {"put-back"}},
    {"mount",
     {"from-backup", "at-version", "at", "cache-size", "full-backup-storage", "storage", "meta",
      "scratch", "threads"}},
    {"diff",
     {"path", "json", "exit-code", "full-backup-storage", "storage", "meta", "scratch", "threads"}},
};

// The long flags a --help text lists under "Flags:".
std::set<std::string> ListedFlags(const std::string& help) {
  std::set<std::string> out;
  std::istringstream in(help);
  std::string line;
  bool in_flags = false;
  while (std::getline(in, line)) {
    if (line == "Flags:") {
      in_flags = true;
      continue;
    }
    if (in_flags && line.empty()) break;
    size_t at = line.find("--");
    if (!in_flags || at == std::string::npos) continue;
    size_t end = line.find(' ', at);
    std::string name = line.substr(at + 2, end == std::string::npos ? end : end - at - 2);
    if (name != "help") out.insert(name);
  }
  return out;
}

class CliTreeTest : public ::testing::TestWithParam<CommandSpec> {
 protected:
  TempDir dir_;
};

TEST_P(CliTreeTest, HelpListsItsOwnFlagsAndAForeignFlagIsRefused) {
  const CommandSpec& spec = GetParam();
  CmdResult help = Jfsbr(spec.path + " --help", dir_);
  ASSERT_EQ(help.code, 0) << help.err;
  EXPECT_EQ(ListedFlags(help.out), spec.flags) << help.out;
  EXPECT_NE(help.out.find("Usage: jfsbr " + spec.path), std::string::npos) << help.out;
  if (help.out.find("META-URL") != std::string::npos) {
    for (const char* scheme : {"rocksdb://", "etcd://", "memkv://"}) {
      EXPECT_NE(help.out.find(scheme), std::string::npos) << scheme << " missing:\n" << help.out;
    }
  }
  // A flag another command declares: refused by name, before anything runs.
  std::string foreign;
  for (const char* f : {"keep-secret-key", "interval", "storage", "force"}) {
    if (!spec.flags.count(f)) {
      foreign = f;
      break;
    }
  }
  CmdResult r = Jfsbr(spec.path + " memkv://never-opened --" + foreign + " x", dir_);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("unknown flag --" + foreign), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Commands, CliTreeTest, ::testing::ValuesIn(kSpecs),
                         [](const ::testing::TestParamInfo<CommandSpec>& info) {
                           std::string s = info.param.path;
                           for (char& c : s)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return s;
                         });

TEST(CliTree, TopLevelHelpNamesEveryCommandWholeAndEveryEngine) {
  TempDir d;
  CmdResult r = Jfsbr("--help", d);
  ASSERT_EQ(r.code, 0);
  for (const CommandSpec& s : kSpecs) {
    std::string top = s.path.substr(0, s.path.find(' '));
    EXPECT_NE(r.out.find("\n  " + top + " "), std::string::npos) << top << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("restore-trash"), std::string::npos);
  EXPECT_NE(r.out.find("etcd://"), std::string::npos);
  EXPECT_NE(r.out.find("log: start, status, pause, resume, stop, truncate"), std::string::npos);
}

TEST(CliTree, AGroupWithoutItsSubcommandSaysWhichOnesThereAre) {
  TempDir d;
  CmdResult r = Jfsbr("log", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("needs a subcommand: start, status"), std::string::npos) << r.err;
  r = Jfsbr("br frobnicate memkv://x", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown subcommand 'frobnicate'"), std::string::npos) << r.err;
}

// Numbers and durations too big for their type used to abort the process
// (an uncaught std::out_of_range, exit 134) or wrap into a tiny interval.
TEST(CliTree, HugeNumbersAndDurationsGetOneLineAndDoNothing) {
  TempDir d;
  std::string meta = "rocksdb://" + d.Sub("meta");
  ASSERT_EQ(Jfsbr("format " + meta + " huge --bucket " + d.Sub("bucket"), d).code, 0);
  CmdResult r =
      Jfsbr("log truncate -s file://" + d.Sub("logs") + " --until 99999999999999999999999", d);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("out of range"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = Jfsbr("backup daemon " + meta + " --interval 99999999999999999999999h", d);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--interval must be a duration from 1s to 3650d"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  CmdResult list = Jfsbr("backup list " + meta, d);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 1) << "a backup ran:\n" << list.out;

  for (std::string bad : {"--threads 0", "--threads 257", "--threads 1e3",
                          "--threads 99999999999999999999999", "--threads -1"}) {
    r = Jfsbr("dump " + meta + " " + d.Sub("x.json") + " " + bad, d);
    EXPECT_EQ(r.code, 1) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--threads must be an integer from 1 to 256"), std::string::npos)
        << bad << ": " << r.err;
  }
  r = Jfsbr("gc compact " + meta + " --keep 5y", d);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--keep must be a duration"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace jfsbr
