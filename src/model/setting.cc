// The setting JSON in Go's MarshalIndent layout, field by field.
#include "model/setting.h"

#include <algorithm>
#include <vector>

#include "util/json.h"

namespace jfsbr {
namespace {

void AppendTiers(std::string* out, const std::map<int, StorageTier>& tiers, std::string_view indent,
                 GoJson flavor, int depth) {
  // Go sorts map keys by their encoded text: "10" sorts before "2".
  std::vector<std::pair<std::string, const StorageTier*>> sorted;
  for (const auto& [id, t] : tiers) sorted.emplace_back(std::to_string(id), &t);
  std::sort(sorted.begin(), sorted.end());
  GoObjectWriter w(out, indent, depth, flavor);
  for (const auto& [key, t] : sorted) {
    w.Key(key);
    GoObjectWriter tw(out, indent, depth + 1, flavor);
    tw.Int("ID", t->id);
    tw.String("StorageClass", t->storage_class);
    tw.String("Tag", t->tag);
    tw.End();
  }
  w.End();
}

}  // namespace

void AppendFormatJson(std::string* out, const VolumeFormat& f, std::string_view indent, int depth,
                      GoJson flavor) {
  GoObjectWriter w(out, indent, depth, flavor);
  auto opt_str = [&](std::string_view k, const std::string& v) {
    if (!v.empty()) w.String(k, v);
  };
  auto opt_int = [&](std::string_view k, int64_t v) {
    if (v != 0) w.Int(k, v);
  };
  auto opt_bool = [&](std::string_view k, bool v) {
    if (v) w.Bool(k, v);
  };
  w.String("Name", f.name);
  w.String("UUID", f.uuid);
  w.String("Storage", f.storage);
  opt_str("StorageClass", f.storage_class);
  w.Key("Tiers");
  if (f.tiers)
    AppendTiers(out, *f.tiers, indent, flavor, depth + 1);
  else
    out->append("null");
  w.String("Bucket", f.bucket);
  opt_str("AccessKey", f.access_key);
  opt_str("SecretKey", f.secret_key);
  opt_str("SessionToken", f.session_token);
  w.Int("BlockSize", f.block_size);
  opt_str("Compression", f.compression);
  opt_int("Shards", f.shards);
  opt_bool("HashPrefix", f.hash_prefix);
  if (f.capacity != 0) w.Uint("Capacity", f.capacity);
  if (f.inodes != 0) w.Uint("Inodes", f.inodes);
  opt_str("EncryptKey", f.encrypt_key);
  opt_str("EncryptAlgo", f.encrypt_algo);
  opt_bool("KeyEncrypted", f.key_encrypted);
  opt_int("UploadLimit", f.upload_limit);
  opt_int("DownloadLimit", f.download_limit);
  w.Int("TrashDays", f.trash_days);
  opt_int("MetaVersion", f.meta_version);
  opt_str("MinClientVersion", f.min_client_version);
  opt_str("MaxClientVersion", f.max_client_version);
  opt_bool("DirStats", f.dir_stats);
  opt_bool("UserGroupQuota", f.user_group_quota);
  w.Bool("EnableACL", f.enable_acl);
  opt_str("RangerRestUrl", f.ranger_rest_url);
  opt_str("RangerService", f.ranger_service);
  opt_bool("ChangeLog", f.change_log);
  opt_int("ChangeLogMaxAge", f.change_log_max_age);
  opt_int("ChangeLogMaxLines", f.change_log_max_lines);
  opt_str("KerbConf", f.kerb_conf);
  w.End();
}

std::string EncodeSetting(const VolumeFormat& f) {
  std::string out;
  AppendFormatJson(&out, f, "", 0);
  return out;
}

namespace {

Status GetString(const JsonValue& o, std::string_view k, std::string* dst) {
  const JsonValue* v = o.Find(k);
  if (v == nullptr || v->kind == JsonValue::Kind::kNull) return Status::OK();
  if (v->kind != JsonValue::Kind::kString) {
    return Status::Corruption("setting field " + std::string(k) + " is not a string");
  }
  *dst = v->text;
  return Status::OK();
}

Status GetBool(const JsonValue& o, std::string_view k, bool* dst) {
  const JsonValue* v = o.Find(k);
  if (v == nullptr || v->kind == JsonValue::Kind::kNull) return Status::OK();
  if (v->kind != JsonValue::Kind::kBool) {
    return Status::Corruption("setting field " + std::string(k) + " is not a boolean");
  }
  *dst = v->boolean;
  return Status::OK();
}

template <typename T>
Status GetNumber(const JsonValue& o, std::string_view k, T* dst) {
  const JsonValue* v = o.Find(k);
  if (v == nullptr || v->kind == JsonValue::Kind::kNull) return Status::OK();
  if constexpr (std::is_unsigned_v<T>) {
    JFS_ASSIGN_OR_RETURN(*dst, v->AsUint());
  } else {
    JFS_ASSIGN_OR_RETURN(auto n, v->AsInt());
    *dst = static_cast<T>(n);
  }
  return Status::OK();
}

Status GetTiers(const JsonValue& o, VolumeFormat* f) {
  const JsonValue* v = o.Find("Tiers");
  if (v == nullptr || v->kind == JsonValue::Kind::kNull) return Status::OK();
  if (v->kind != JsonValue::Kind::kObject)
    return Status::Corruption("setting Tiers is not an object");
  f->tiers.emplace();
  for (const auto& [key, tv] : v->members) {
    StorageTier t;
    JFS_RETURN_IF_ERROR(GetNumber(tv, "ID", &t.id));
    JFS_RETURN_IF_ERROR(GetString(tv, "StorageClass", &t.storage_class));
    JFS_RETURN_IF_ERROR(GetString(tv, "Tag", &t.tag));
    (*f->tiers)[atoi(key.c_str())] = t;
  }
  return Status::OK();
}

}  // namespace

Result<VolumeFormat> DecodeSetting(std::string_view json) {
  auto parsed = ParseJson(json);
  if (!parsed.ok()) return parsed.status().Annotate("setting");
  return SettingFromJson(*parsed);
}

Result<VolumeFormat> SettingFromJson(const JsonValue& o) {
  if (o.kind != JsonValue::Kind::kObject) return Status::Corruption("setting is not a JSON object");
  VolumeFormat f;
  f.block_size = 0;
  JFS_RETURN_IF_ERROR(GetString(o, "Name", &f.name));
  JFS_RETURN_IF_ERROR(GetString(o, "UUID", &f.uuid));
  JFS_RETURN_IF_ERROR(GetString(o, "Storage", &f.storage));
  JFS_RETURN_IF_ERROR(GetString(o, "StorageClass", &f.storage_class));
  JFS_RETURN_IF_ERROR(GetTiers(o, &f));
  JFS_RETURN_IF_ERROR(GetString(o, "Bucket", &f.bucket));
  JFS_RETURN_IF_ERROR(GetString(o, "AccessKey", &f.access_key));
  JFS_RETURN_IF_ERROR(GetString(o, "SecretKey", &f.secret_key));
  JFS_RETURN_IF_ERROR(GetString(o, "SessionToken", &f.session_token));
  JFS_RETURN_IF_ERROR(GetNumber(o, "BlockSize", &f.block_size));
  JFS_RETURN_IF_ERROR(GetString(o, "Compression", &f.compression));
  JFS_RETURN_IF_ERROR(GetNumber(o, "Shards", &f.shards));
  JFS_RETURN_IF_ERROR(GetBool(o, "HashPrefix", &f.hash_prefix));
  JFS_RETURN_IF_ERROR(GetNumber(o, "Capacity", &f.capacity));
  JFS_RETURN_IF_ERROR(GetNumber(o, "Inodes", &f.inodes));
  JFS_RETURN_IF_ERROR(GetString(o, "EncryptKey", &f.encrypt_key));
  JFS_RETURN_IF_ERROR(GetString(o, "EncryptAlgo", &f.encrypt_algo));
  JFS_RETURN_IF_ERROR(GetBool(o, "KeyEncrypted", &f.key_encrypted));
  JFS_RETURN_IF_ERROR(GetNumber(o, "UploadLimit", &f.upload_limit));
  JFS_RETURN_IF_ERROR(GetNumber(o, "DownloadLimit", &f.download_limit));
  JFS_RETURN_IF_ERROR(GetNumber(o, "TrashDays", &f.trash_days));
  JFS_RETURN_IF_ERROR(GetNumber(o, "MetaVersion", &f.meta_version));
  JFS_RETURN_IF_ERROR(GetString(o, "MinClientVersion", &f.min_client_version));
  JFS_RETURN_IF_ERROR(GetString(o, "MaxClientVersion", &f.max_client_version));
  JFS_RETURN_IF_ERROR(GetBool(o, "DirStats", &f.dir_stats));
  JFS_RETURN_IF_ERROR(GetBool(o, "UserGroupQuota", &f.user_group_quota));
  JFS_RETURN_IF_ERROR(GetBool(o, "EnableACL", &f.enable_acl));
  JFS_RETURN_IF_ERROR(GetString(o, "RangerRestUrl", &f.ranger_rest_url));
  JFS_RETURN_IF_ERROR(GetString(o, "RangerService", &f.ranger_service));
  JFS_RETURN_IF_ERROR(GetBool(o, "ChangeLog", &f.change_log));
  JFS_RETURN_IF_ERROR(GetNumber(o, "ChangeLogMaxAge", &f.change_log_max_age));
  JFS_RETURN_IF_ERROR(GetNumber(o, "ChangeLogMaxLines", &f.change_log_max_lines));
  JFS_RETURN_IF_ERROR(GetString(o, "KerbConf", &f.kerb_conf));
  if (f.name.empty()) return Status::Corruption("setting has no volume Name");
  if (f.block_size <= 0) return Status::Corruption("setting has no valid BlockSize");
  return f;
}

void FillDefaultTiers(VolumeFormat* f) {
  if (!f->tiers) f->tiers = std::map<int, StorageTier>{{0, StorageTier{0, f->storage_class, ""}}};
}

VolumeFormat RedactSecrets(VolumeFormat f, bool encrypt_key_too) {
  for (std::string* s : {&f.secret_key, &f.session_token}) {
    if (!s->empty()) *s = "removed";
  }
  if (encrypt_key_too && !f.encrypt_key.empty()) f.encrypt_key = "removed";
  return f;
}

}  // namespace jfsbr
