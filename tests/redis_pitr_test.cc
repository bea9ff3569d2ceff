// Log backup and point-in-time restore of a Redis volume from the CLI: a
// capture follows the primary's replication stream (its base the snapshot
// of a full sync), and restore point rebuilds the volume at an offset, at a
// moment and at the checkpoint, each dumping exactly as the volume did
// then; a capture started again goes on from its checkpoint while the
// primary holds the stream, and a standby takes over from a killed one;
// points outside the window and non-empty targets are refused.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/redis_server.h"
#include "testing/test_volume.h"
#include "tests/cli_util.h"

namespace jfsbr {
namespace {

namespace fs = std::filesystem;
const std::string J = JFSBR_BINARY;
CmdResult Sh(const std::string& cmd, const TempDir& dir) { return RunShell(cmd, dir); }
std::string Q(const std::string& s) { return Quoted(s); }

uint64_t Offset(RedisServer* r) {
  auto info = r->Command({"INFO", "replication"});
  EXPECT_TRUE(info.ok());
  size_t at = info->find("master_repl_offset:");
  return at == std::string::npos ? 0 : std::stoull(info->substr(at + 19));
}

TEST(RedisPitrTest, RestoresTheVolumeAsItWasAtEachPoint) {
  TempDir d;
  // A server of its own: its replication backlog holds only this test's writes.
  auto server = RedisServer::Start(RedisServer::Options{});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RedisServer* r = server->get();
  int n = 0;
  auto fresh = [&] {
    auto u = r->NewDatabase("u" + std::to_string(++n), "pw");
    EXPECT_TRUE(u.ok());
    return u.ok() ? *u : std::string();
  };
  const std::string url = fresh();
  ASSERT_EQ(Sh(J + " format " + Q(url) + " vol --bucket " + d.Sub("bucket"), d).code, 0);
  // Something else on the server, so that its snapshot takes a moment.
  ASSERT_EQ(Sh(J + " bench gen " + Q(fresh()) + " --files 100000", d).code, 0);
  const std::string logs = "file://" + d.Sub("log");
  pid_t capture = SpawnJfsbr({"log", "start", url, "-s", logs, "--flush-interval", "500ms"},
                             d.Sub("capture.err"));
  for (int i = 0; i < 200 && !fs::exists(d.Sub("log/redis/base.info")); i++) usleep(50000);
  ASSERT_TRUE(fs::exists(d.Sub("log/redis/base.info"))) << ReadFileOrEmpty(d.Sub("capture.err"));

  // State A; a dump taken right after a write holds it, even while the
  // capture's snapshot may still be in the making.
  ASSERT_EQ(Sh(J + " mkdir " + Q(url) + " /a", d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + Q(url) + " " + d.Sub("a.json"), d).code, 0);
  EXPECT_NE(ReadFileOrEmpty(d.Sub("a.json")).find("\"a\": {"), std::string::npos);
  const uint64_t offset_a = Offset(r);
  // A whole second after A, and B a second later.
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t next = std::chrono::duration_cast<std::chrono::seconds>(now).count() + 1;
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::seconds(next)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // State B: more directories, a tree imported, /a removed (to the trash).
  fs::create_directories(d.Sub("src/x"));
  std::ofstream(d.Sub("src/x/f")) << "bytes";
  ASSERT_EQ(Sh(J + " mkdir " + Q(url) + " /b", d).code, 0);
  ASSERT_EQ(Sh(J + " import " + d.Sub("src") + " " + Q(url) + " --dest /b", d).code, 0);
  ASSERT_EQ(Sh(J + " rm -r " + Q(url) + " /a", d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + Q(url) + " " + d.Sub("b.json"), d).code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // flushed
  kill(capture, SIGTERM);
  EXPECT_EQ(WaitExit(capture, 30), 0) << ReadFileOrEmpty(d.Sub("capture.err"));

  auto restore = [&](const std::string& point) {
    const std::string to = fresh();
    CmdResult rp = Sh(J + " restore point -s " + logs + " " + point + " --to " + Q(to), d);
    EXPECT_EQ(rp.code, 0) << point << ": " << rp.err;
    EXPECT_NE(rp.err.find("check OK"), std::string::npos) << rp.err;
    return to;
  };
  std::string at_a = restore("--restored-revision " + std::to_string(offset_a));
  EXPECT_EQ(Sh(J + " dump " + Q(at_a) + " | cmp - " + d.Sub("a.json"), d).code, 0);
  std::string at_ts = restore("--restored-ts @" + std::to_string(next));
  EXPECT_EQ(Sh(J + " dump " + Q(at_ts) + " | cmp - " + d.Sub("a.json"), d).code, 0);
  std::string at_end = restore("");
  EXPECT_EQ(Sh(J + " dump " + Q(at_end) + " | cmp - " + d.Sub("b.json"), d).code, 0);
  CmdResult cat = Sh(J + " cat " + Q(at_end) + " /b/x/f", d);
  EXPECT_EQ(cat.out, "bytes") << cat.err;

  ExpectOneLineError(
      Sh(J + " restore point -s " + logs + " --restored-revision 999999999999 --to " + Q(fresh()),
         d),
      "outside the log backup's window", "a point past the checkpoint");
  ExpectOneLineError(Sh(J + " restore point -s " + logs + " --to " + Q(at_end), d), "not empty",
                     "a target that holds a volume");
  // A capture started again goes on from the checkpoint (the primary still
  // holds its stream there); a second one stands by on the lease and, when
  // the first is killed, takes over from the checkpoint: state C is
  // restorable too.
  auto wait_for = [&](const std::string& file, const std::string& text) {
    for (int i = 0; i < 200; i++, usleep(50000)) {
      if (ReadFileOrEmpty(d.Sub(file)).find(text) != std::string::npos) return true;
    }
    ADD_FAILURE() << file << ": " << ReadFileOrEmpty(d.Sub(file));
    return false;
  };
  const std::vector<std::string> again = {
      "log", "start", url, "-s", logs, "--flush-interval", "500ms", "--lease-ttl", "2s"};
  capture = SpawnJfsbr(again, d.Sub("capture2.err"));
  ASSERT_TRUE(wait_for("capture2.err", "continuing the stream from offset"));
  pid_t standby = SpawnJfsbr(again, d.Sub("capture3.err"));
  ASSERT_TRUE(wait_for("capture3.err", "standby: the capture's lease is held by"));
  ASSERT_EQ(Sh(J + " mkdir " + Q(url) + " /c", d).code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // flushed
  kill(capture, SIGKILL);
  WaitExit(capture, 30);
  ASSERT_TRUE(wait_for("capture3.err", "took over the capture's lease"));
  ASSERT_TRUE(wait_for("capture3.err", "continuing the stream from offset"));
  ASSERT_EQ(Sh(J + " mkdir " + Q(url) + " /c/d", d).code, 0);
  ASSERT_EQ(Sh(J + " dump " + Q(url) + " " + d.Sub("c.json"), d).code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(standby, SIGTERM);
  EXPECT_EQ(WaitExit(standby, 30), 0) << ReadFileOrEmpty(d.Sub("capture3.err"));
  std::string at_c = restore("");
  EXPECT_EQ(Sh(J + " dump " + Q(at_c) + " | cmp - " + d.Sub("c.json"), d).code, 0);
  // Once the primary's backlog (1 MiB) has moved past the checkpoint, the
  // capture cannot go on, and says so.
  ASSERT_EQ(Sh(J + " bench gen " + Q(fresh()) + " --files 20000", d).code, 0);
  ExpectOneLineError(Sh(J + " log start " + Q(url) + " -s " + logs, d), "no longer holds",
                     "a capture whose stream the primary dropped");
}

}  // namespace
}  // namespace jfsbr
