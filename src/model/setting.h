// The volume format record (key `setting`), juicefs-formats.md §1.6.
//
// JuiceFS stores Go's encoding/json.MarshalIndent(format, "", ""): fields in
// struct order, `omitempty` ones left out when zero, a newline after every `{`
// and `,` and before every closing `}`, no indentation. We reproduce that byte
// for byte, and can render the same object at any indent (dumps use 2 spaces).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/json.h"
#include "util/result.h"

namespace jfsbr {

struct StorageTier {
  int id = 0;
  std::string storage_class;
  std::string tag;
  bool operator==(const StorageTier&) const = default;
};

struct VolumeFormat {
  std::string name;
  std::string uuid;
  std::string storage;
  std::string storage_class;                        // omitempty
  std::optional<std::map<int, StorageTier>> tiers;  // null when absent
  std::string bucket;
  std::string access_key;      // omitempty
  std::string secret_key;      // omitempty
  std::string session_token;   // omitempty
  int64_t block_size = 4096;   // KiB
  std::string compression;     // omitempty
  int64_t shards = 0;          // omitempty
  bool hash_prefix = false;    // omitempty
  uint64_t capacity = 0;       // omitempty, bytes
  uint64_t inodes = 0;         // omitempty
  std::string encrypt_key;     // omitempty
  std::string encrypt_algo;    // omitempty
  bool key_encrypted = false;  // omitempty
  int64_t upload_limit = 0;    // omitempty, Mbps
  int64_t download_limit = 0;  // omitempty, Mbps
  int64_t trash_days = 0;
  int64_t meta_version = 0;        // omitempty
  std::string min_client_version;  // omitempty
  std::string max_client_version;  // omitempty
  bool dir_stats = false;          // omitempty
  bool user_group_quota = false;   // omitempty
  bool enable_acl = false;
  std::string ranger_rest_url;       // omitempty
  std::string ranger_service;        // omitempty
  bool change_log = false;           // omitempty
  int64_t change_log_max_age = 0;    // omitempty
  int64_t change_log_max_lines = 0;  // omitempty
  std::string kerb_conf;             // omitempty

  uint64_t BlockBytes() const { return static_cast<uint64_t>(block_size) * 1024; }
  bool operator==(const VolumeFormat&) const = default;
};

// The exact bytes JuiceFS stores under `setting`.
std::string EncodeSetting(const VolumeFormat& f);
// Go MarshalIndent layout with the given indent unit, the object starting at
// nesting depth `depth` (its members at depth+1).
void AppendFormatJson(std::string* out, const VolumeFormat& f, std::string_view indent, int depth,
                      GoJson flavor = GoJson::kEncodingJson);
Result<VolumeFormat> DecodeSetting(std::string_view json);
struct JsonValue;
// The same from an already parsed JSON object (a dump's "Setting").
Result<VolumeFormat> SettingFromJson(const JsonValue& o);

// JuiceFS gives a setting without Tiers (an older volume) the default tier
// when it reads it, so its dumps show that tier.
void FillDefaultTiers(VolumeFormat* f);

// A copy with SecretKey/SessionToken (and EncryptKey if asked) set to
// "removed" where non-empty: what may be shown or dumped.
VolumeFormat RedactSecrets(VolumeFormat f, bool encrypt_key_too);

}  // namespace jfsbr
