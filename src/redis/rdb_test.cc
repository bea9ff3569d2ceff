// The RDB reader against what a real redis-server writes: every value type
// in its compact and its large encodings (listpack, intset, quicklist,
// hashtable, skiplist; integer-encoded and LZF-compressed strings), read
// from a SAVE file and from a full sync, element for element equal to what
// the server answers; damaged files are refused.
#include "redis/rdb.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "redis/client.h"
#include "redis/replica.h"
#include "testing/redis_server.h"
#include "util/test_util.h"

namespace jfsbr {
namespace {

using Elements = std::multiset<std::string>;

// Every element of every key as "field|value|score" lines.
class Collector : public RdbVisitor {
 public:
  Status BeginKey(uint64_t db, std::string_view key, RedisType type) override {
    key_ = std::to_string(db) + ":" + std::string(key);
    types_[key_] = type;
    keys_[key_];
    return Status::OK();
  }
  Status Element(std::string_view field, std::string_view value, double score) override {
    std::string e = std::string(field) + "|" + std::string(value);
    if (types_[key_] == RedisType::kZset) e += "|" + std::to_string(score);
    if (types_[key_] == RedisType::kList) e = std::to_string(keys_[key_].size()) + "#" + e;
    keys_[key_].insert(e);
    return Status::OK();
  }
  Status EndKey() override { return Status::OK(); }
  std::map<std::string, Elements> keys_;
  std::map<std::string, RedisType> types_;

 private:
  std::string key_;
};

class RdbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RedisServer::Start(RedisServer::Options{});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    RedisUrl url;
    url.addresses = {{"127.0.0.1", server_->port()}};
    url_ = url;
    auto c = RedisClient::Connect(url, url.addresses[0]);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    c_ = std::move(*c);
  }
  void Run(const std::vector<std::string>& args) {
    auto r = c_->Run({args.begin(), args.end()});
    ASSERT_TRUE(r.ok()) << args[0] << ": " << r.status().ToString();
  }

  // What the server says each key holds, in Collector's form.
  std::map<std::string, Elements> Expected(int db) {
    std::map<std::string, Elements> out;
    EXPECT_TRUE(c_->Run({"SELECT", std::to_string(db)}).ok());
    auto keys = c_->Run({"KEYS", "*"});
    EXPECT_TRUE(keys.ok());
    for (size_t i = 0; i < keys->size(); i++) {
      std::string key(keys->at(i).str());
      auto type = c_->Run({"TYPE", key});
      std::string t(type->str());
      Elements& e = out[std::to_string(db) + ":" + key];
      if (t == "string") {
        e.insert("|" + std::string(c_->Run({"GET", key})->str()));
      } else if (t == "list") {
        auto r = c_->Run({"LRANGE", key, "0", "-1"});
        for (size_t j = 0; j < r->size(); j++) {
          e.insert(std::to_string(j) + "#|" + std::string(r->at(j).str()));
        }
      } else if (t == "set") {
        auto r = c_->Run({"SMEMBERS", key});
        for (size_t j = 0; j < r->size(); j++) e.insert(std::string(r->at(j).str()) + "|");
      } else if (t == "zset") {
        auto r = c_->Run({"ZRANGE", key, "0", "-1", "WITHSCORES"});
        for (size_t j = 0; j + 1 < r->size(); j += 2) {
          double s = std::strtod(std::string(r->at(j + 1).str()).c_str(), nullptr);
          e.insert(std::string(r->at(j).str()) + "||" + std::to_string(s));
        }
      } else if (t == "hash") {
        auto r = c_->Run({"HGETALL", key});
        for (size_t j = 0; j + 1 < r->size(); j += 2) {
          e.insert(std::string(r->at(j).str()) + "|" + std::string(r->at(j + 1).str()));
        }
      }
    }
    EXPECT_TRUE(c_->Run({"SELECT", "0"}).ok());
    return out;
  }

  // Small and large values of every type in db 0 and db 7.
  void Populate() {
    const std::string binary("a\0b\xff\x01", 5);
    const std::string repetitive(5000, 'z');  // LZF-compressed in the RDB
    for (int db : {0, 7}) {
      Run({"SELECT", std::to_string(db)});
      Run({"SET", "s:text", "hello"});
      Run({"SET", "s:binary", binary});
      Run({"SET", "s:lzf", repetitive + "tail"});
      for (std::string v : {"0", "12", "-1", "127", "-4096", "4095", "32767", "-32768", "8388607",
                            "2147483647", "-2147483648", "9223372036854775807"}) {
        Run({"SET", "s:int" + v, v});
      }
      // Small (listpack/intset) and large (hashtable, skiplist, quicklist).
      for (int n : {5, 700}) {
        std::string sfx = std::to_string(n);
        for (int i = 0; i < n; i++) {
          std::string is = std::to_string(i * 7919 - 300);
          Run({"HSET", "h" + sfx, "f" + is, i % 3 ? is : binary + is});
          Run({"SADD", "sint" + sfx, is});
          Run({"SADD", "sstr" + sfx, "m" + is});
          Run({"ZADD", "z" + sfx, std::to_string(i * 1.5 - 7), "m" + is});
          Run({"RPUSH", "l" + sfx, i % 2 ? is : "e" + is + repetitive.substr(0, i % 50)});
        }
      }
      Run({"SADD", "sbig", "9223372036854775807", "-9223372036854775808", "70000"});
      Run({"HSET", "hlong", "f", repetitive});  // a value too long for a listpack
      Run({"RPUSH", "lplain", repetitive + repetitive + repetitive});  // a plain quicklist node
    }
    Run({"SELECT", "0"});
  }

  std::string SavedRdb() {
    Run({"SAVE"});
    std::ifstream in(server_->dir() + "/dump.rdb", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::unique_ptr<RedisServer> server_;
  RedisUrl url_;
  std::unique_ptr<RedisClient> c_;
};

TEST(RedisCrc64Test, KnownVector) {
  EXPECT_EQ(RedisCrc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
}

TEST_F(RdbTest, EveryEncodingReadsAsTheServerAnswers) {
  Populate();
  auto expected = Expected(0);
  for (auto& [k, v] : Expected(7)) expected[k] = v;
  ASSERT_GT(expected.size(), 40u);

  auto file = StringSource(SavedRdb());
  Collector from_file;
  auto stats = ReadRdb(file.get(), &from_file);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->checksum_verified);
  EXPECT_EQ(from_file.keys_.size(), expected.size());
  for (const auto& [key, elements] : expected) {
    EXPECT_EQ(from_file.keys_[key], elements) << key;
  }

  // The same through a full sync, as jfsbr reads a live primary.
  auto link = ReplicaLink::Open(url_, url_.addresses[0]);
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  auto sync = (*link)->StartFullSync(true);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  EXPECT_GT(sync->rdb_bytes, 1000u);
  Collector from_sync;
  stats = ReadRdb((*link)->rdb(), &from_sync);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(from_sync.keys_, from_file.keys_);
}

TEST_F(RdbTest, DamagedSnapshotsAreRefused) {
  Populate();
  const std::string rdb = SavedRdb();
  for (size_t cut :
       {size_t{0}, size_t{5}, size_t{9}, rdb.size() / 2, rdb.size() - 9, rdb.size() - 1}) {
    auto src = StringSource(rdb.substr(0, cut));
    Collector c;
    auto st = ReadRdb(src.get(), &c);
    EXPECT_TRUE(st.status().Is(Code::kCorruption)) << cut << ": " << st.status().ToString();
  }
  // A flipped bit anywhere in the body: a decoding error, or else the
  // checksum (CRC-64 catches every single-bit error).
  int tries = 0, refused = 0;
  for (size_t at = 20; at < rdb.size() - 9; at += rdb.size() / 97, tries++) {
    std::string bad = rdb;
    bad[at] ^= 0x20;
    auto src = StringSource(bad);
    Collector c;
    refused += ReadRdb(src.get(), &c).status().Is(Code::kCorruption);
  }
  EXPECT_GT(tries, 90);
  EXPECT_EQ(refused, tries);
  auto not_rdb = StringSource(std::string("REDIX0011") + std::string(20, '\0'));
  Collector c;
  EXPECT_TRUE(ReadRdb(not_rdb.get(), &c).status().Is(Code::kCorruption));
}

}  // namespace
}  // namespace jfsbr
