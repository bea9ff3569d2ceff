// The streaming readers of an entry's "attr" and "chunks": the same values
// whatever size the input arrives in, member names matched as Go matches
// them, and a clear error for what is not an attr or a chunk list.
#include "dump/json_entry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace jfsbr {
namespace {

// Hands out at most `step` bytes a read, as a pipe may.
class TrickleSource : public Source {
 public:
  TrickleSource(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t step_, pos_ = 0;
};

struct Parsed {
  Attr attr;
  Ino ino = 0;
  std::vector<std::pair<uint32_t, std::vector<SliceRecord>>> chunks;
};

// text: {"attr": {...}, "chunks": [...]}, read through `step`-byte reads.
Result<Parsed> Parse(const std::string& text, size_t step) {
  TrickleSource src(text, step);
  JsonReader r(&src);
  Parsed p;
  JFS_RETURN_IF_ERROR(r.BeginObject());
  std::string name;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r.NextMember(&name));
    if (!more) break;
    if (name == "attr") {
      JFS_RETURN_IF_ERROR(ReadJsonAttr(r, &p.attr, &p.ino));
    } else {
      JFS_RETURN_IF_ERROR(ReadJsonChunks(r, [&](uint32_t index, std::vector<SliceRecord> s) {
        p.chunks.emplace_back(index, std::move(s));
        return Status::OK();
      }));
    }
  }
  JFS_RETURN_IF_ERROR(r.End());
  return p;
}

std::string ErrorOf(const std::string& text) {
  auto p = Parse(text, 1 << 20);
  return p.ok() ? "no error" : p.status().ToString();
}

TEST(JsonEntryTest, ReadsTheSameValuesWhateverSizeTheReadsAre) {
  // Padding puts each number across a buffer refill at one step or another.
  const std::string text =
      R"({"attr": {"inode": 18446744073709551615, "type": "regular", "mode": 420,)"
      R"( "uid": 4294967295, "gid": 7, "atime": -1700000000, "mtime": 1700000001,)"
      R"( "ctime": 1700000002, "mtimensec": 999999999, "nlink": 3, "length": 123456789012,)"
      R"( "flags": 2, "rdev": 5, "tier": 1, "padding": "              "},)"
      R"( "chunks": [{"index": 0, "slices": [{"pos": 0, "id": 9007199254740993,)"
      R"( "size": 67108864, "off": 4096, "len": 1048576}, {"pos": 1048576, "id": 0,)"
      R"( "size": 512, "off": 0, "len": 512}]}, {"index": 4294967295, "slices": []}]})";
  auto whole = Parse(text, 1 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->ino, 18446744073709551615ull);
  EXPECT_EQ(whole->attr.type, FileType::kFile);
  EXPECT_EQ(whole->attr.mode, 420);
  EXPECT_EQ(whole->attr.uid, 4294967295u);
  EXPECT_EQ(whole->attr.atime, -1700000000);
  EXPECT_EQ(whole->attr.mtimensec, 999999999u);
  EXPECT_EQ(whole->attr.length, 123456789012u);
  EXPECT_EQ(whole->attr.tier, 1);
  ASSERT_EQ(whole->chunks.size(), 2u);
  EXPECT_EQ(whole->chunks[1].first, 4294967295u);
  ASSERT_EQ(whole->chunks[0].second.size(), 2u);
  EXPECT_EQ(whole->chunks[0].second[0],
            (SliceRecord{0, 9007199254740993ull, 67108864, 4096, 1048576}));
  EXPECT_EQ(whole->chunks[0].second[1], (SliceRecord{1048576, 0, 512, 0, 512}));
  for (size_t step : {1, 2, 3, 7, 64}) {
    auto part = Parse(text, step);
    ASSERT_TRUE(part.ok()) << "step " << step << ": " << part.status().ToString();
    EXPECT_EQ(part->ino, whole->ino) << "step " << step;
    EXPECT_EQ(part->attr, whole->attr) << "step " << step;
    EXPECT_EQ(part->chunks, whole->chunks) << "step " << step;
  }
}

TEST(JsonEntryTest, MatchesMemberNamesAsGoDoes) {
  // An exact name beats one that differs in case; of two exact ones the
  // first counts; a name in other case alone still counts; unknown members
  // of any shape are skipped.
  auto p = Parse(R"({"attr": {"Mode": 1, "mode": 2, "mode": 3, "MODE": 4, "UID": 5,)"
                 R"( "Inode": 6, "TYPE": "directory", "extra": {"a": [1, {"b": null}]}},)"
                 R"( "chunks": [{"Slices": [{"id": 1}], "index": 2, "slices": [{"ID": 8,)"
                 R"( "chunkid": 9}, {"chunkid": 10}, {"id": 0, "chunkid": 11}]}]})",
                 5);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->attr.mode, 2);
  EXPECT_EQ(p->attr.uid, 5u);
  EXPECT_EQ(p->ino, 6u);
  EXPECT_EQ(p->attr.type, FileType::kDirectory);
  ASSERT_EQ(p->chunks.size(), 1u);
  EXPECT_EQ(p->chunks[0].first, 2u);
  // The exact "slices" replaced "Slices"; "chunkid" (legacy) only when id is 0.
  ASSERT_EQ(p->chunks[0].second.size(), 3u);
  EXPECT_EQ(p->chunks[0].second[0].id, 8u);
  EXPECT_EQ(p->chunks[0].second[1].id, 10u);
  EXPECT_EQ(p->chunks[0].second[2].id, 11u);
}

TEST(JsonEntryTest, SaysWhatIsWrong) {
  const std::string chunks = R"(, "chunks": []})";
  EXPECT_NE(ErrorOf(R"({"attr": {"inode": 2})" + chunks).find("an attr with inode and type"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"attr": [1]})").find("an attr object"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"attr": {"inode": 2, "type": "sock"}})").find("a file type"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"attr": {"inode": 2, "type": 1}})").find("a string"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"attr": {"inode": -2, "type": "regular"}})").find("non-negative"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"attr": {"mode": "420", "inode": 2, "type": "regular"}})").find("a number"),
            std::string::npos);
  const std::string digits(65, '1');
  EXPECT_NE(ErrorOf(R"({"attr": {"inode": )" + digits + "}}").find("a shorter number"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"attr": {"inode": )" + digits.substr(1, 19) + R"(, "type": "fifo"}})"),
            "no error");
  EXPECT_NE(ErrorOf(R"({"chunks": [{"index": 1}]})").find("a chunk with index and slices"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"chunks": [{"index": 1, "slices": {}}]})").find("a slices array"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"chunks": [{"index": 1, "slices": [3]}]})").find("a slice object"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"chunks": [7]})").find("a chunk object"), std::string::npos);
}

}  // namespace
}  // namespace jfsbr
