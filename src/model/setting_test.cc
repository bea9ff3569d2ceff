// The setting JSON must be exactly what Go's MarshalIndent(format, "", "")
// writes; the expected texts below are written by hand from that layout.
#include "model/setting.h"

#include <gtest/gtest.h>

namespace jfsbr {
namespace {

VolumeFormat NewVolume() {
  VolumeFormat f;
  f.name = "myjfs";
  f.uuid = "faa27c8f-edab-4791-a4e0-1620b732b343";
  f.storage = "file";
  f.tiers = std::map<int, StorageTier>{{0, StorageTier{}}};
  f.bucket = "/var/jfs/";
  f.block_size = 4096;
  f.compression = "none";
  f.trash_days = 1;
  f.meta_version = 1;
  f.min_client_version = "1.1.0-A";
  f.dir_stats = true;
  return f;
}

TEST(SettingTest, GoMarshalIndentLayout) {
  const char* want =
      "{\n"
      "\"Name\": \"myjfs\",\n"
      "\"UUID\": \"faa27c8f-edab-4791-a4e0-1620b732b343\",\n"
      "\"Storage\": \"file\",\n"
      "\"Tiers\": {\n"
      "\"0\": {\n"
      "\"ID\": 0,\n"
      "\"StorageClass\": \"\",\n"
      "\"Tag\": \"\"\n"
      "}\n"
      "},\n"
      "\"Bucket\": \"/var/jfs/\",\n"
      "\"BlockSize\": 4096,\n"
      "\"Compression\": \"none\",\n"
      "\"TrashDays\": 1,\n"
      "\"MetaVersion\": 1,\n"
      "\"MinClientVersion\": \"1.1.0-A\",\n"
      "\"DirStats\": true,\n"
      "\"EnableACL\": false\n"
      "}";
  EXPECT_EQ(EncodeSetting(NewVolume()), want);
}

TEST(SettingTest, NullTiersEmptyMapAndEscaping) {
  VolumeFormat f = NewVolume();
  f.tiers.reset();
  f.name = "a<b>&\"\\\n\xe2\x80\xa8";
  std::string s = EncodeSetting(f);
  EXPECT_NE(s.find("\"Tiers\": null,\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\"Name\": \"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\u2028\",\n"), std::string::npos)
      << s;
  f.tiers = std::map<int, StorageTier>{};
  EXPECT_NE(EncodeSetting(f).find("\"Tiers\": {},\n"), std::string::npos);
}

TEST(SettingTest, TierKeysSortAsText) {
  VolumeFormat f = NewVolume();
  f.tiers = std::map<int, StorageTier>{{2, {2, "B", ""}}, {10, {10, "A", "k=v"}}};
  std::string s = EncodeSetting(f);
  EXPECT_LT(s.find("\"10\": {"), s.find("\"2\": {"));  // Go sorts "10" before "2"
}

TEST(SettingTest, TwoSpaceIndentAtDepth) {
  VolumeFormat f = NewVolume();
  f.tiers = std::map<int, StorageTier>{};
  std::string out;
  AppendFormatJson(&out, f, "  ", 1);
  EXPECT_EQ(out.substr(0, 23), "{\n    \"Name\": \"myjfs\",\n");
  EXPECT_EQ(out.substr(out.size() - 26), "    \"EnableACL\": false\n  }");
}

TEST(SettingTest, DecodeRoundTripAndRedact) {
  VolumeFormat f = NewVolume();
  f.secret_key = "s3cr3t";
  f.access_key = "ak";
  f.capacity = 1ULL << 40;
  auto back = DecodeSetting(EncodeSetting(f));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, f);
  VolumeFormat r = RedactSecrets(f, false);
  EXPECT_EQ(r.secret_key, "removed");
  EXPECT_EQ(r.access_key, "ak");
  EXPECT_TRUE(r.session_token.empty());
}

TEST(SettingTest, DecodeErrors) {
  EXPECT_TRUE(DecodeSetting("{\"Name\": \"x\", ").status().Is(Code::kCorruption));
  EXPECT_FALSE(DecodeSetting("[]").ok());
  EXPECT_FALSE(DecodeSetting("{\"BlockSize\": 4096}").ok());  // no name
  auto r = DecodeSetting("{\"name\": \"lower\", \"BlockSize\": 1024, \"Unknown\": [1, {}]}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // Go matches case-insensitively
  EXPECT_EQ(r->name, "lower");
}

}  // namespace
}  // namespace jfsbr

namespace jfsbr {
namespace {

// juicefs 1.4.2, `format --access-key $'a\bb\fc<d'`: the stored setting
// (encoding/json) and its dump header (goccy) quote it differently.
TEST(SettingTest, BackspaceAndFormFeedAsEachOfJuicefsEncoders) {
  VolumeFormat f;
  f.name = "qvol";
  f.access_key = "a\bb\fc<d";
  std::string stored = EncodeSetting(f);
  EXPECT_NE(stored.find(R"("AccessKey": "a\bb\fc\u003cd")"), std::string::npos) << stored;
  std::string dumped;
  AppendFormatJson(&dumped, f, "  ", 1, GoJson::kGoccy);
  EXPECT_NE(dumped.find(R"("AccessKey": "a\u0008b\u000cc\u003cd")"), std::string::npos) << dumped;
}

}  // namespace
}  // namespace jfsbr
