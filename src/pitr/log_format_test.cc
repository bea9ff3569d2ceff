// The log backup's frames, checkpoint and meta encodings, and the helpers
// they rest on (hex, JSON members, times).
#include "pitr/log_format.h"

#include <gtest/gtest.h>

#include "util/clock.h"
#include "util/coding.h"
#include "util/crc32.h"
#include "util/json.h"

namespace jfsbr {
namespace {

template <typename T>
T Or(Result<T> r, T def) {
  return r.ok() ? *r : def;
}

std::string Frames(const std::vector<LogRecord>& records) {
  std::string out;
  for (const auto& r : records) {
    std::string payload;
    PutLE64(&payload, r.revision);
    PutLE64(&payload, static_cast<uint64_t>(r.time_ms));
    PutLE32(&payload, static_cast<uint32_t>(r.changes.size()));
    for (const auto& c : r.changes) {
      payload.push_back(c.value ? 1 : 0);
      PutLE32(&payload, static_cast<uint32_t>(c.key.size()));
      payload += c.key;
      PutLE32(&payload, static_cast<uint32_t>(c.value ? c.value->size() : 0));
      if (c.value) payload += *c.value;
    }
    PutLE32(&out, static_cast<uint32_t>(payload.size()));
    PutLE32(&out, Crc32(0, payload));
    out += payload;
  }
  return out;
}

TEST(LogFormatTest, FramesRoundTripAndATornOrDamagedTailIsAnError) {
  std::vector<LogRecord> in = {{5, 1000, {{"a", "1"}, {"b", std::nullopt}}}, {7, 2000, {}}};
  std::string frames = Frames(in);
  std::vector<LogRecord> out;
  ASSERT_TRUE(ParseFrames(frames, [&](LogRecord&& r) {
                out.push_back(std::move(r));
                return Status::OK();
              }).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].revision, 5u);
  EXPECT_EQ(out[0].changes[0].value.value_or(""), "1");
  EXPECT_FALSE(out[0].changes[1].value.has_value());
  EXPECT_EQ(out[1].time_ms, 2000);
  auto none = [](LogRecord&&) { return Status::OK(); };
  for (size_t cut = 1; cut < frames.size(); cut++) {  // every torn tail
    Status st = ParseFrames(frames.substr(0, cut), none);
    size_t first = frames.size() - Frames({in[1]}).size();
    if (cut == first) continue;  // a clean end after the first frame
    EXPECT_TRUE(st.Is(Code::kCorruption)) << cut;
  }
  std::string flipped = frames;
  flipped[12] ^= 1;
  Status st = ParseFrames(flipped, none);
  EXPECT_NE(st.message().find("CRC-32"), std::string::npos) << st.ToString();
}

TEST(LogFormatTest, CheckpointAndMetaRoundTrip) {
  LogCheckpoint c{90, 1763721737123, 80};
  std::string b = EncodeCheckpoint(c);
  ASSERT_EQ(b.size(), 24u);
  EXPECT_EQ(GetLE64(b.data()), 90u);  // TiDB's 8 bytes come first
  auto back = DecodeCheckpoint(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->time_ms, c.time_ms);
  EXPECT_EQ(back->last_data_rev, 80u);
  EXPECT_FALSE(DecodeCheckpoint(b.substr(0, 8)).ok());
  LogMeta m;
  m.flush_rev = 0x30;
  m.flush_time_ms = 5;
  m.files.push_back({"v1/x.log", 0x10, 0x30, 0x11, 0x2f, 1, 9, 3, 4, 100, 50, 7, "ab"});
  EXPECT_EQ(
      logpath::MetaFile(m),
      "v1/backupmeta/0000000000000030-0000000000000011-0000000000000011-000000000000002F.meta");
  auto decoded = DecodeLogMeta(EncodeLogMeta(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->files.size(), 1u);
  EXPECT_EQ(decoded->files[0].to_rev, 0x30u);
  EXPECT_EQ(decoded->files[0].crc32, 7u);
  m.files[0].from_rev = 0x30;  // holds nothing it claims to cover
  EXPECT_FALSE(DecodeLogMeta(EncodeLogMeta(m)).ok());
}

TEST(HelpersTest, HexJsonMembersAndTimes) {
  EXPECT_EQ(Or<std::string>(HexDecode(HexString(std::string("\x00\xfd\x41", 3))), "?"),
            std::string("\x00\xfd\x41", 3));
  EXPECT_EQ(Or<std::string>(HexDecode("FDfd"), "?"), "\xfd\xfd");
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
  auto v = ParseJson(R"({"s": "x", "n": 7, "neg": -3})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Or<std::string>(StringMember(*v, "s"), ""), "x");
  EXPECT_EQ(Or<uint64_t>(UintMember(*v, "n"), 0), 7u);
  EXPECT_EQ(Or<int64_t>(IntMember(*v, "neg"), 0), -3);
  EXPECT_TRUE(StringMember(*v, "n").status().Is(Code::kCorruption));
  EXPECT_FALSE(UintMember(*v, "missing").ok());
  EXPECT_FALSE(UintMember(*v, "neg").ok());
  EXPECT_EQ(Or<int64_t>(ParseTime("2026-11-21T10:42:17Z"), 0), 1795257737999);
  EXPECT_EQ(Or<int64_t>(ParseTime("2026-11-21T18:42:17+08:00"), 0), 1795257737999);
  EXPECT_EQ(Or<int64_t>(ParseTime("@1763721737"), 0), 1763721737999);
  EXPECT_FALSE(ParseTime("yesterday").ok());
  EXPECT_FALSE(ParseTime("2026-11-21T10:42:17+0800").ok());
}

}  // namespace
}  // namespace jfsbr
