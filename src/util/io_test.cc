// File sinks write exact bytes and appear only when closed.
#include "util/io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "util/test_util.h"

namespace jfsbr {
namespace {

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Sizes around the direct writer's 2 MiB buffers and 4 KiB blocks: every
// byte arrives, the file has exactly the size written, and only after Close.
TEST(FileSinkTest, WritesExactBytesOfAnySizeAndRenamesOnClose) {
  TempDir dir;
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097},
                      size_t{2} << 20, (size_t{2} << 20) + 1, (size_t{5} << 20) + 12345}) {
    std::string path = dir.path() + "/out-" + std::to_string(size);
    std::string data = RandomBytes(size, static_cast<unsigned>(size));
    auto sink = OpenFileSink(path);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    for (size_t at = 0; at < size; at += 7919) {  // uneven pieces
      ASSERT_TRUE((*sink)->Write(std::string_view(data).substr(at, 7919)).ok());
    }
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "visible before Close";
    ASSERT_TRUE((*sink)->Close().ok());
    EXPECT_EQ(ReadFileOrEmpty(path), data) << size;
    EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
  }
}

TEST(FileSinkTest, ASinkNeverClosedLeavesNothing) {
  TempDir dir;
  std::string path = dir.path() + "/partial";
  {
    auto sink = OpenFileSink(path);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(RandomBytes(3 << 20, 7)).ok());
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace jfsbr
