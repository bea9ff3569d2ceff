// Dump backups into the volume's own store: the snapshot, the streamed dump, the
// manifest, listing, deletion and restore.
#include "backup/backup.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "backup/retention.h"
#include "dump/dump.h"
#include "model/setting.h"
#include "model/types.h"
#include "util/clock.h"
#include "util/compress.h"
#include "util/hash_stream.h"
#include "util/json.h"

namespace jfsbr {
namespace {

constexpr const char* kMetaDir = "meta/";
constexpr const char* kManifestDir = "jfsbr/backups/";

std::string ManifestKey(const std::string& name) { return kManifestDir + name + ".json"; }

std::string Host() {
  char host[256] = "";
  gethostname(host, sizeof(host) - 1);
  return host;
}

RecordKey LastBackupKey() { return RecordKey::Xattr(kRootInode, "lastBackup"); }

// Sets the root's lastBackup xattr (after fence); returns the value replaced.
Result<std::optional<std::string>> SetLastBackup(Meta* meta, const std::string& value,
                                                 const std::function<Status(MetaTxn&)>& fence) {
  std::optional<std::string> old;
  JFS_RETURN_IF_ERROR(meta->Transact([&](MetaTxn& tx) {
    if (fence) JFS_RETURN_IF_ERROR(fence(tx));
    JFS_ASSIGN_OR_RETURN(old, tx.Get(LastBackupKey()));
    tx.Put(LastBackupKey(), value);
    return Status::OK();
  }));
  return old;
}

// Puts old back if the xattr still holds ours (after a failed backup).
Status RevertLastBackup(Meta* meta, const std::string& ours,
                        const std::optional<std::string>& old) {
  return meta->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(auto now, tx.Get(LastBackupKey()));
    if (now != ours) return Status::OK();  // someone wrote it since
    if (old) {
      tx.Put(LastBackupKey(), *old);
    } else {
      tx.Delete(LastBackupKey());
    }
    return Status::OK();
  });
}

DumpOptions ToDumpOptions(const BackupOptions& opts) {
  DumpOptions o;
  o.format = opts.binary ? DumpFormat::kBinary : DumpFormat::kJson;
  o.keep_secret = opts.keep_secret;
  o.skip_trash = opts.skip_trash;
  o.threads = opts.threads;
  o.progress = opts.progress;
  return o;
}

}  // namespace

std::string LastBackupValue(int64_t unix_seconds) {
  std::string s = FormatTime(unix_seconds, "%Y-%m-%dT%H:%M:%S%z", /*utc=*/false);
  std::string zone = s.substr(s.size() - 5);  // "+0800"
  s.resize(s.size() - 5);
  if (zone == "+0000") return s + "Z";  // as Go writes UTC
  return s + zone.substr(0, 3) + ":" + zone.substr(3);
}

std::string EncodeManifest(const BackupManifest& m) {
  std::string out;
  GoObjectWriter w(&out, "  ", 0);
  w.Int("manifest_version", 1);
  w.String("name", m.name);
  w.String("volume", m.volume);
  w.String("uuid", m.uuid);
  w.String("format", m.format);
  w.String("compression", m.compression);
  w.Uint("version", m.version);
  w.Uint("entries", m.entries);
  w.Uint("dump_bytes", m.dump_bytes);
  w.Uint("object_bytes", m.object_bytes);
  w.String("sha256", m.sha256);
  w.Int("time", m.time);
  char secs[32];
  snprintf(secs, sizeof(secs), "%.3f", m.seconds);
  w.Key("seconds");
  out += secs;
  w.String("host", m.host);
  w.End();
  return out + "\n";
}

Result<BackupManifest> DecodeManifest(std::string_view json) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, ParseJson(json));
  if (v.kind != JsonValue::Kind::kObject) return Status::Corruption("manifest is not an object");
  BackupManifest m;
  auto str = [&](const char* k, std::string* dst) {
    if (const JsonValue* f = v.Find(k); f && f->kind == JsonValue::Kind::kString) *dst = f->text;
  };
  auto num = [&](const char* k, auto* dst) -> Status {
    if (const JsonValue* f = v.Find(k)) {
      JFS_ASSIGN_OR_RETURN(auto n, f->AsInt());
      *dst = static_cast<std::remove_pointer_t<decltype(dst)>>(n);
    }
    return Status::OK();
  };
  str("name", &m.name);
  str("volume", &m.volume);
  str("uuid", &m.uuid);
  str("format", &m.format);
  str("compression", &m.compression);
  str("sha256", &m.sha256);
  str("host", &m.host);
  JFS_RETURN_IF_ERROR(num("version", &m.version));
  JFS_RETURN_IF_ERROR(num("entries", &m.entries));
  JFS_RETURN_IF_ERROR(num("dump_bytes", &m.dump_bytes));
  JFS_RETURN_IF_ERROR(num("object_bytes", &m.object_bytes));
  JFS_RETURN_IF_ERROR(num("time", &m.time));
  if (const JsonValue* f = v.Find("seconds")) m.seconds = strtod(f->text.c_str(), nullptr);
  if (m.name.empty() || m.sha256.empty()) return Status::Corruption("manifest without a name");
  return m;
}

namespace {

// The backup itself: snapshot, dump, upload, fence, manifest.
Result<BackupManifest> Backup(Meta* meta, ObjectStore* store, const BackupOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  BackupManifest m;
  m.time = opts.now;
  m.format = opts.binary ? "binary" : "json";
  m.compression = opts.binary ? "zstd" : "gzip";
  m.name = BackupNameStem(m.time) + (opts.binary ? ".bin.zst" : ".json.gz");
  m.host = Host();
  const DumpOptions dump = ToDumpOptions(opts);
  JFS_ASSIGN_OR_RETURN(auto snap, SnapshotForDump(meta, dump));
  m.version = snap->version();
  JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(snap.get()));
  m.volume = f.name;
  m.uuid = f.uuid;

  const std::string key = kMetaDir + m.name;
  JFS_ASSIGN_OR_RETURN(auto object, store->Create(key));
  HashingSink hashed(std::move(object));
  auto compressed = CompressingSink(std::make_unique<BorrowedSink>(&hashed),
                                    opts.binary ? Compression::kZstd : Compression::kGzip);
  JFS_ASSIGN_OR_RETURN(DumpStats stats,
                       DumpVolume(snap.get(), compressed.get(), dump));
  JFS_RETURN_IF_ERROR(compressed->Close().Annotate("upload " + key));
  m.entries = stats.entries;
  m.dump_bytes = stats.bytes;
  m.object_bytes = hashed.bytes();
  m.sha256 = hashed.Digest();
  if (opts.fence) {
    if (Status st = meta->Transact(opts.fence); !st.ok()) {
      (void)store->Delete(key);
      return st;
    }
  }
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  JFS_RETURN_IF_ERROR(store->Put(ManifestKey(m.name), EncodeManifest(m)).Annotate("manifest"));
  return m;
}

}  // namespace

Result<BackupManifest> RunBackup(Meta* meta, ObjectStore* store, const BackupOptions& opts) {
  JFS_RETURN_IF_ERROR(CheckDumpOptions(ToDumpOptions(opts)));
  BackupOptions o = opts;
  if (o.now <= 0) o.now = UnixSeconds();
  // lastBackup goes into the backup's own snapshot; put back if it fails.
  std::string value = LastBackupValue(o.now);
  JFS_ASSIGN_OR_RETURN(auto old, SetLastBackup(meta, value, o.fence));
  Result<BackupManifest> m = Backup(meta, store, o);
  if (!m.ok()) (void)RevertLastBackup(meta, value, old);
  return m;
}

Result<std::vector<BackupEntry>> ListBackups(ObjectStore* store) {
  JFS_ASSIGN_OR_RETURN(auto objects, ListAll(store, kMetaDir));
  JFS_ASSIGN_OR_RETURN(auto manifests, ListAll(store, kManifestDir));
  std::vector<BackupEntry> out;
  for (const auto& o : objects) {
    std::string name = o.key.substr(strlen(kMetaDir));
    auto t = BackupNameTime(name);
    if (!t) continue;
    BackupEntry e{name, *t, o.size, std::nullopt};
    std::string mkey = ManifestKey(name);
    bool has =
        std::binary_search(manifests.begin(), manifests.end(), ObjectInfo{mkey},
                           [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    if (has) {
      auto text = store->Get(mkey);
      if (text.ok()) {
        if (auto m = DecodeManifest(*text); m.ok()) e.manifest = *m;
      }
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const BackupEntry& a, const BackupEntry& b) { return a.name < b.name; });
  return out;
}

Result<std::string> ResolveBackup(ObjectStore* store, const std::string& which) {
  if (which != "latest") {
    std::string name = which.rfind(kMetaDir, 0) == 0 ? which.substr(strlen(kMetaDir)) : which;
    auto head = store->Head(kMetaDir + name);
    if (!head.ok()) {
      if (head.status().Is(Code::kNotFound)) {
        return Status::NotFound("no backup " + name + " in " + store->Describe() + kMetaDir);
      }
      return head.status();
    }
    return name;
  }
  JFS_ASSIGN_OR_RETURN(auto all, ListBackups(store));
  if (all.empty()) return Status::NotFound("no backups in " + store->Describe() + kMetaDir);
  std::sort(all.begin(), all.end(),
            [](const BackupEntry& a, const BackupEntry& b) { return a.time < b.time; });
  return all.back().name;
}

Status DeleteBackup(ObjectStore* store, const std::string& name) {
  JFS_RETURN_IF_ERROR(store->Delete(kMetaDir + name));
  return store->Delete(ManifestKey(name));
}

Result<LoadStats> RestoreBackup(ObjectStore* store, const std::string& name, Meta* target,
                                const LoadOptions& opts) {
  std::optional<BackupManifest> manifest;
  if (auto text = store->Get(ManifestKey(name)); text.ok()) {
    auto m = DecodeManifest(*text);
    if (!m.ok()) return m.status().Annotate("manifest of " + name);
    manifest = *m;
  } else if (!text.status().Is(Code::kNotFound)) {
    return text.status();
  }
  JFS_ASSIGN_OR_RETURN(auto object, OpenObject(store, kMetaDir + name));
  auto hashed = std::make_unique<HashingSource>(std::move(object));
  HashingSource* hash = hashed.get();
  auto source = DecompressingSource(std::move(hashed), CompressionForName(name));
  bool binary = name.find(".bin.") != std::string::npos;
  // Checked before the setting is written, so a damaged backup never loads
  // into something that looks like a volume.
  LoadOptions o = opts;
  auto check_object = [&]() -> Status {
    char rest[4096];  // whatever follows the dump's end (nothing, normally)
    while (true) {
      JFS_ASSIGN_OR_RETURN(size_t n, source->Read(rest, sizeof(rest)));
      if (n == 0) break;
    }
    if (manifest &&
        (hash->bytes() != manifest->object_bytes || hash->Digest() != manifest->sha256)) {
      return Status::Corruption("backup " + name +
                                " does not match its manifest (size or SHA-256): damaged");
    }
    return Status::OK();
  };
  o.before_setting = [&]() -> Status {
    JFS_RETURN_IF_ERROR(check_object());
    return opts.before_setting ? opts.before_setting() : Status::OK();
  };
  return LoadVolume(source.get(), target, binary ? DumpFormat::kBinary : DumpFormat::kJson, o);
}

}  // namespace jfsbr
