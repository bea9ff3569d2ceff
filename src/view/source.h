// SOURCEs: the states of a volume that `mount` and `diff` show without
// restoring anything over the volume itself.
//
//   META-URL                  the live volume
//   META-URL#version=N        the live volume at engine version N (etcd history)
//   META-URL#backup=NAME      a dump backup in the volume's meta/ ("latest" too)
//   PATH                      a dump file: JSON or binary, plain, .gz or .zst
//   br:URL                    an engine-level full backup (br backup's storage)
//   at:TIME|REV               a point of a log backup (with the storages of
//                             SourceOptions, as `restore point` takes them)
//
// A live volume is read in place. Every other kind is indexed once into a
// scratch RocksDB (a load without the verifying check, or a restore), which
// is removed when the view closes; its blocks come from the volume's object
// store (the one its setting names, or the META-URL's given beside it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "fs/volume.h"
#include "store/block_cache.h"
#include "util/io.h"

namespace jfsbr {

enum class SourceKind { kLive, kVersion, kBackup, kDumpFile, kFullBackup, kPoint };

struct SourceSpec {
  SourceKind kind = SourceKind::kLive;
  std::string url;     // META-URL (live, version, backup)
  std::string path;    // a dump file; the storage URL of br:
  std::string backup;  // a backup's name or "latest"
  uint64_t version = 0;
  std::optional<uint64_t> revision;  // at:
  std::optional<int64_t> time_ms;    // at:
};

// One of the forms above; a one-line error for anything else.
Result<SourceSpec> ParseSource(const std::string& text);
// The form ParseSource reads back (for messages).
std::string SourceText(const SourceSpec& s);

struct SourceOptions {
  std::string scratch_dir;          // where indexes go ($TMPDIR or /tmp when empty)
  std::string full_backup_storage;  // at: where br backup wrote full backups
  std::string log_storage;          // at: the log backup's storage
  // Blocks of a source that is not live come from this volume's store when
  // set (a backup's setting may have its secrets removed).
  std::string volume_url;
  size_t cache_bytes = 0;  // a block cache of this many bytes in front of the store (0: none)
  int threads = 4;
  // Called now and then while a source is indexed: records so far.
  std::function<void(uint64_t)> progress;
};

// Where indexes and spills go: scratch_dir, else $TMPDIR, else /tmp.
std::string ScratchDir(const SourceOptions& o);

// A source opened read-only.
class SourceView {
 public:
  ~SourceView();
  Volume* volume() { return volume_.get(); }
  // What it shows, for people: "backup dump-2026-... of sqlite3://v.db".
  const std::string& description() const { return description_; }
  // False for a live volume (it changes under the view).
  bool immutable() const { return immutable_; }
  // The block cache (null when SourceOptions::cache_bytes is 0).
  BlockCache* cache() { return cache_; }

 private:
  friend Result<std::unique_ptr<SourceView>> OpenSource(const SourceSpec&, const SourceOptions&);
  std::string scratch_;         // removed on close
  std::shared_ptr<Meta> live_;  // the volume read in place (outlives volume_)
  std::unique_ptr<Volume> volume_;
  std::string description_;
  bool immutable_ = true;
  BlockCache* cache_ = nullptr;
};

Result<std::unique_ptr<SourceView>> OpenSource(const SourceSpec& spec, const SourceOptions& o);

// The source as a JSON dump (JuiceFS's format), for readers that walk it
// once in order (diff): a JSON dump file or backup is read as it is (its
// FSTree is the whole volume), anything else is opened and dumped from one
// snapshot, on a thread of its own, without the trash and with dir as its
// FSTree.
struct JsonStream {
  std::unique_ptr<Source> in;
  std::string root;         // the path the stream's FSTree is
  std::string description;  // what it shows, for people
};
Result<JsonStream> OpenSourceJson(const SourceSpec& spec, const SourceOptions& o,
                                  const std::string& dir);

}  // namespace jfsbr
