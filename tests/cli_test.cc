// End-to-end tests of the jfsbr binary: the main job (format, import a real
// tree, export, diff), info, bad input, and an import killed with SIGKILL.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;

int Shell(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}

class CliTest : public ::testing::Test {
 protected:
  std::string Meta() const { return "rocksdb://" + dir_.Sub("meta"); }
  void Format(const std::string& extra = "") {
    CmdResult r =
        Jfsbr("format " + Meta() + " myjfs --bucket " + dir_.Sub("bucket") + " " + extra, dir_);
    ASSERT_EQ(r.code, 0) << r.err;
  }
  TempDir dir_;
};

// A copy of /usr/share/doc plus what that tree lacks: hard links, odd names,
// xattrs, a fifo, an empty file and a file of several chunks.
void BuildSource(const std::string& src) {
  ASSERT_EQ(Shell("cp -a /usr/share/doc " + src), 0);
  std::string extra = src + "/zz-extra";
  fs::create_directories(extra + "/sub dir");
  WriteFile(extra + "/original", "shared content\n");
  ASSERT_EQ(link((extra + "/original").c_str(), (extra + "/sub dir/hardlink").c_str()), 0);
  ASSERT_EQ(link((extra + "/original").c_str(), (extra + "/hardlink2").c_str()), 0);
  WriteFile(extra + "/name with spaces", "s");
  WriteFile(extra + "/100%", "p");
  WriteFile(extra + "/bad\xff\xfe-utf8", "u");
  WriteFile(extra + "/empty", "");
  std::string big(140 << 20, '\0');
  std::mt19937 rng(7);
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(rng());
  WriteFile(extra + "/big", big);
  ASSERT_EQ(mkfifo((extra + "/fifo").c_str(), 0640), 0);
  ASSERT_EQ(symlink("original", (extra + "/link").c_str()), 0);
  // user.* xattrs need filesystem support; /tmp on this host has it.
  ASSERT_EQ(setxattr((extra + "/original").c_str(), "user.color", "blue", 4, 0), 0);
  ASSERT_EQ(chmod((extra + "/name with spaces").c_str(), 04751), 0);
}

TEST_F(CliTest, ImportExportRoundTripIsIdentical) {
  std::string src = dir_.Sub("src"), out = dir_.Sub("out");
  BuildSource(src);
  Format();
  CmdResult imp = Jfsbr("import " + src + " " + Meta(), dir_);
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.err.find("imported "), std::string::npos) << imp.err;  // summary line
  CmdResult exp = Jfsbr("export " + Meta() + " " + out, dir_);
  ASSERT_EQ(exp.code, 0) << exp.err;
  // Content and symlink targets: identical trees.
  EXPECT_EQ(Shell("diff -r --no-dereference -x fifo " + src + " " + out),
            0);  // diff can't read fifos
  // Metadata: mode, owner, mtime (ns), type and link count of every entry.
  std::string fmt = "find . -printf '%p %M %U %G %n %T@ %y\\n' | sort";
  EXPECT_EQ(Shell("cd " + src + " && " + fmt + " > " + dir_.Sub("a.txt") + " && cd " + out +
                  " && " + fmt + " > " + dir_.Sub("b.txt") + " && diff " + dir_.Sub("a.txt") + " " +
                  dir_.Sub("b.txt")),
            0);
  struct stat a, b;
  ASSERT_EQ(stat((out + "/zz-extra/original").c_str(), &a), 0);
  ASSERT_EQ(stat((out + "/zz-extra/sub dir/hardlink").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 3u);
  char v[16] = {};
  EXPECT_EQ(getxattr((out + "/zz-extra/original").c_str(), "user.color", v, sizeof(v)), 4);
  EXPECT_STREQ(v, "blue");
  // A rerun finds everything in place.
  CmdResult again = Jfsbr("import " + src + " " + Meta(), dir_);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("imported 0 files"), std::string::npos) << again.err;
}

size_t CountObjects(const std::string& dir) {
  size_t n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// The fragmented benchmark volume (bench gen --slices): every file's chunk
// holds three slice records, each with its own object; gc --compact leaves
// one slice (one object) per file and a volume that still checks whole.
TEST_F(CliTest, FragmentedBenchVolumeCompactsToOneSliceAFile) {
  const std::string chunks = dir_.Sub("bucket/bench/chunks");
  ASSERT_EQ(Jfsbr("bench gen " + Meta() + " --files 300 --slices 3 --bucket " + dir_.Sub("bucket"),
                  dir_)
                .code,
            0);
  ASSERT_EQ(Jfsbr("bench objects " + Meta(), dir_).code, 0);
  EXPECT_EQ(CountObjects(chunks), 900u);
  CmdResult r = Jfsbr("fsck " + Meta(), dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("900 blocks checked: all present"), std::string::npos) << r.err;
  r = Jfsbr("gc --compact " + Meta(), dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("compacted 300 chunks: 900 slice records into one each"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(CountObjects(chunks), 300u);  // the replaced slices' objects are gone
  r = Jfsbr("fsck " + Meta(), dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("300 blocks checked: all present"), std::string::npos) << r.err;
  r = Jfsbr("gc --compact " + Meta(), dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("compacted 0 chunks"), std::string::npos) << r.err;
  EXPECT_EQ(Jfsbr("bench gen " + Meta() + "2 --slices 0", dir_).code, 1);
}

TEST_F(CliTest, InfoOfFiveMiBFileShowsTwoObjects) {
  Format();
  std::string src = dir_.Sub("five");
  fs::create_directories(src);
  WriteFile(src + "/f", std::string(5 << 20, 'x'));
  ASSERT_EQ(Jfsbr("import " + src + " " + Meta(), dir_).code, 0);
  CmdResult r = Jfsbr("info " + Meta() + " /f", dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(" length: 5.00 MiB (5242880 Bytes)"), std::string::npos) << r.out;
  // The slice id is the first one a fresh volume hands out: 1.
  const std::string o0 = "myjfs/chunks/0/0/1_0_4194304", o1 = "myjfs/chunks/0/0/1_1_1048576";
  EXPECT_NE(r.out.find("|          0 | " + o0 + " | 4194304 |      0 | 4194304 |       0 |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("|          0 | " + o1 + " | 1048576 |      0 | 1048576 | 4194304 |"),
            std::string::npos)
      << r.out;
  size_t rows = 0;
  for (size_t p = r.out.find("myjfs/chunks/"); p != std::string::npos;
       p = r.out.find("myjfs/chunks/", p + 1)) {
    rows++;
  }
  EXPECT_EQ(rows, 2u);
  EXPECT_EQ(fs::file_size(dir_.Sub("bucket/" + o0)), 4194304u);
  EXPECT_EQ(fs::file_size(dir_.Sub("bucket/" + o1)), 1048576u);
  size_t objects = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_.Sub("bucket/myjfs/chunks"))) {
    objects += e.is_regular_file();
  }
  EXPECT_EQ(objects, 2u);
}

TEST_F(CliTest, BadInputGivesOneLineErrors) {
  auto one_line_error = [&](const std::string& args, const std::string& needle) {
    CmdResult r = Jfsbr(args, dir_);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << " -> " << r.err;
  };
  one_line_error("status nourl", "malformed META-URL");
  one_line_error("status tikv://localhost:2379/jfs", "unknown META-URL scheme 'tikv'");
  one_line_error("status " + Meta(), "no database at");
  ASSERT_FALSE(fs::exists(dir_.Sub("meta")));
  one_line_error("format " + Meta() + " Bad_Name --bucket " + dir_.Sub("b"), "invalid volume name");
  EXPECT_FALSE(fs::exists(dir_.Sub("meta")));  // refused before a database was made
  Format();
  one_line_error("format " + Meta() + " myjfs --bucket " + dir_.Sub("bucket"), "--force");
  // Another engine cannot take over a bucket prefix that already holds a volume.
  one_line_error("format rocksdb://" + dir_.Sub("meta2") + " myjfs --bucket " + dir_.Sub("bucket"),
                 "is not empty");
  one_line_error("ls " + Meta() + " /missing", "no such file or directory: /missing");
  one_line_error("mkdir " + Meta() + " /" + std::string(256, 'n'), "name too long");
  one_line_error("import " + dir_.Sub("nope") + " " + Meta(), "No such file or directory");
  one_line_error("frobnicate", "unknown command");
  one_line_error("ls " + Meta() + " --bogus", "unknown flag --bogus");
  EXPECT_EQ(
      Jfsbr("format " + Meta() + " myjfs --bucket " + dir_.Sub("bucket") + " --force", dir_).code,
      0);
  for (const char* cmd :
       {"format", "import", "export", "status", "ls", "stat", "cat", "mkdir", "rm", "info"}) {
    CmdResult h = Jfsbr(std::string(cmd) + " --help", dir_);
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_NE(h.out.find("Usage: jfsbr " + std::string(cmd)), std::string::npos) << cmd;
  }
}

TEST_F(CliTest, ShellCommandsOnTheVolume) {
  Format("--trash-days 0");
  ASSERT_EQ(Jfsbr("mkdir " + Meta() + " -p /a/b/c", dir_).code, 0);
  std::string src = dir_.Sub("s");
  fs::create_directories(src);
  WriteFile(src + "/hello.txt", "hello world\n");
  ASSERT_EQ(Jfsbr("import " + src + " " + Meta() + " --dest /a/b", dir_).code, 0);
  CmdResult cat = Jfsbr("cat " + Meta() + " /a/b/hello.txt", dir_);
  EXPECT_EQ(cat.out, "hello world\n");
  CmdResult ls = Jfsbr("ls " + Meta() + " /a/b", dir_);
  EXPECT_NE(ls.out.find("hello.txt"), std::string::npos);
  EXPECT_NE(ls.out.find("c\n"), std::string::npos);
  CmdResult st = Jfsbr("stat " + Meta() + " /a/b/hello.txt", dir_);
  EXPECT_NE(st.out.find("length: 12"), std::string::npos) << st.out;
  EXPECT_NE(Jfsbr("rm " + Meta() + " /a", dir_).code, 0);  // not empty
  ASSERT_EQ(Jfsbr("rm " + Meta() + " -r /a", dir_).code, 0);
  CmdResult status = Jfsbr("status " + Meta(), dir_);
  EXPECT_NE(status.out.find("\"usedSpace\": 0,"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("\"totalInodes\": 0,"), std::string::npos) << status.out;
  // Without trash the data objects are gone too.
  size_t objects = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_.Sub("bucket/myjfs"))) {
    objects += e.is_regular_file();
  }
  EXPECT_EQ(objects, 1u);  // juicefs_uuid
}

TEST_F(CliTest, ImportKilledMidwayLeavesOnlyCompleteFilesAndRerunFinishes) {
  std::string src = dir_.Sub("src");
  fs::create_directories(src);
  std::mt19937 rng(11);
  for (int i = 0; i < 60; i++) {  // 60 files of 0-3 MiB
    std::string data((rng() % (3 << 20)) + 1, '\0');
    for (size_t k = 0; k < data.size(); k += 512) data[k] = static_cast<char>(rng());
    WriteFile(src + "/f" + std::to_string(i), data);
  }
  Format();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl(JFSBR_BINARY, JFSBR_BINARY, "import", src.c_str(), Meta().c_str(), nullptr);
    _exit(127);
  }
  // Kill it once some block objects exist, i.e. in the middle of the work.
  for (int i = 0; i < 2000; i++) {
    std::error_code ec;
    size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(dir_.Sub("bucket/myjfs"), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      n++;
    }
    if (n > 20) break;
    usleep(2000);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Every file the volume shows is complete and correct.
  std::string out = dir_.Sub("out");
  CmdResult exp = Jfsbr("export " + Meta() + " " + out, dir_);
  ASSERT_EQ(exp.code, 0) << exp.err;
  size_t present = 0;
  for (auto& e : fs::directory_iterator(out)) {
    present++;
    EXPECT_EQ(Shell("cmp -s '" + e.path().string() + "' '" + src + "/" +
                    e.path().filename().string() + "'"),
              0)
        << e.path();
  }
  EXPECT_LT(present, 60u) << "the kill came too late to interrupt anything";
  CmdResult again = Jfsbr("import " + src + " " + Meta(), dir_);
  ASSERT_EQ(again.code, 0) << again.err;
  fs::remove_all(out);
  ASSERT_EQ(Jfsbr("export " + Meta() + " " + out, dir_).code, 0);
  EXPECT_EQ(Shell("diff -r " + src + " " + out), 0);
}

}  // namespace
}  // namespace jfsbr
