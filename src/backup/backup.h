// Metadata backups in the volume's own object store, where JuiceFS keeps them:
//
//   <volume>/meta/dump-YYYY-MM-DD-HHMMSS.json.gz     JuiceFS's JSON, gzip (its name)
//   <volume>/meta/dump-YYYY-MM-DD-HHMMSS.bin.zst     JuiceFS's binary V2, zstd
//   <volume>/jfsbr/backups/<name>.json               our manifest (docs/format/)
//
// A backup is one snapshot-consistent dump streamed (compressed) into the
// store: it becomes visible only when complete (a multipart upload completed,
// or a temporary file renamed), so an interrupted backup never lists as one.
// The manifest is written after it and records the snapshot version, counts
// and the SHA-256 of the object's bytes.
//
// Before the snapshot, the root's `lastBackup` xattr (which JuiceFS clients
// coordinate their own backups with) is set to the backup's time, so the
// backup holds it as JuiceFS's do; a backup that fails puts the old value
// back.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dump/dump.h"
#include "meta/meta.h"
#include "store/object_store.h"

namespace jfsbr {

struct BackupOptions {
  bool binary = false;
  bool keep_secret = false;  // else SecretKey/SessionToken are "removed"
  bool skip_trash = false;
  int threads = 2;
  int64_t now = 0;  // the backup's time, unix seconds (0: the clock)
  std::function<void(uint64_t entries)> progress;
  // Checked in the transaction that sets the root's lastBackup xattr before
  // the snapshot, and again once the object is complete: an error (say, a
  // lost lease) fails the backup and deletes its object.
  std::function<Status(MetaTxn&)> fence;
};

struct BackupManifest {
  std::string name;
  std::string volume, uuid;
  std::string format;       // "json" or "binary"
  std::string compression;  // "gzip" or "zstd"
  uint64_t version = 0;     // the engine snapshot dumped
  uint64_t entries = 0;     // tree entries (json) or records (binary)
  uint64_t dump_bytes = 0;  // uncompressed
  uint64_t object_bytes = 0;
  std::string sha256;  // of the object's bytes
  int64_t time = 0;    // unix seconds, as in the name
  double seconds = 0;  // how long the backup took
  std::string host;
};

std::string EncodeManifest(const BackupManifest& m);
Result<BackupManifest> DecodeManifest(std::string_view json);

// lastBackup's value: RFC 3339 in local time ("2021-11-23T18:29:54+08:00").
std::string LastBackupValue(int64_t unix_seconds);

Result<BackupManifest> RunBackup(Meta* meta, ObjectStore* store, const BackupOptions& opts);

struct BackupEntry {
  std::string name;
  int64_t time = 0;
  uint64_t size = 0;
  std::optional<BackupManifest> manifest;  // absent for JuiceFS's own backups
};
// Every backup under meta/, oldest first.
Result<std::vector<BackupEntry>> ListBackups(ObjectStore* store);
// "latest" or a name (with or without "meta/") -> the backup's name.
Result<std::string> ResolveBackup(ObjectStore* store, const std::string& which);
// Deletes a backup and its manifest.
Status DeleteBackup(ObjectStore* store, const std::string& name);

// Loads backup `name` into target (which must be empty), checking the
// object's SHA-256 and size against its manifest when there is one.
Result<LoadStats> RestoreBackup(ObjectStore* store, const std::string& name, Meta* target,
                                const LoadOptions& opts);

}  // namespace jfsbr
