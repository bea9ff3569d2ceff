// Opening SOURCEs: live volumes in place, everything else indexed into a
// scratch RocksDB; and a SOURCE as a JSON dump stream for diff.
#include "view/source.h"

#include <malloc.h>
#include <stdlib.h>

#include <charconv>
#include <filesystem>

#include "backup/backup.h"
#include "br/full_backup.h"
#include "dump/dump.h"
#include "meta/read_only.h"
#include "meta/registry.h"
#include "pitr/restore_point.h"
#include "redis/log_backup.h"
#include "store/registry.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"
#include "util/clock.h"
#include "util/compress.h"
#include "util/pipe.h"

namespace jfsbr {
namespace {

Result<uint64_t> ParseNumber(const std::string& what, const std::string& text) {
  uint64_t n = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    return Status::InvalidArgument(what + " must be a number, not '" + text + "'");
  }
  return n;
}

// The first byte of a dump that is not white space: '{' for JSON.
Result<bool> IsJsonDump(const std::string& path) {
  JFS_ASSIGN_OR_RETURN(auto file, OpenFileSource(path));
  auto in = DecompressingSource(std::move(file), CompressionForName(path));
  char buf[64];
  JFS_ASSIGN_OR_RETURN(size_t n, in->Read(buf, sizeof(buf)));
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t') continue;
    return buf[i] == '{';
  }
  if (n == 0) return Status::Corruption(path + " is empty: not a dump");
  return false;
}

Result<std::unique_ptr<Source>> OpenDumpFile(const std::string& path) {
  JFS_ASSIGN_OR_RETURN(auto file, OpenFileSource(path));
  return DecompressingSource(std::move(file), CompressionForName(path));
}

}  // namespace

Result<SourceSpec> ParseSource(const std::string& text) {
  SourceSpec s;
  if (text.empty()) return Status::InvalidArgument("an empty SOURCE");
  if (text.rfind("br:", 0) == 0) {
    s.kind = SourceKind::kFullBackup;
    s.path = text.substr(3);
    if (s.path.empty()) return Status::InvalidArgument("br: needs the full backup's storage URL");
    return s;
  }
  if (text.rfind("at:", 0) == 0) {
    s.kind = SourceKind::kPoint;
    std::string m = text.substr(3);
    if (!m.empty() && m.find_first_not_of("0123456789") == std::string::npos) {
      JFS_ASSIGN_OR_RETURN(s.revision, ParseNumber("at:REV", m));
    } else {
      JFS_ASSIGN_OR_RETURN(s.time_ms, ParseTime(m));
    }
    return s;
  }
  if (text.find("://") == std::string::npos) {
    s.kind = SourceKind::kDumpFile;
    s.path = text;
    return s;
  }
  size_t hash = text.rfind('#');
  s.url = text.substr(0, hash);
  if (hash == std::string::npos) return s;
  std::string frag = text.substr(hash + 1);
  if (frag.rfind("version=", 0) == 0) {
    s.kind = SourceKind::kVersion;
    JFS_ASSIGN_OR_RETURN(s.version, ParseNumber("#version=", frag.substr(8)));
  } else if (frag.rfind("backup=", 0) == 0 && frag.size() > 7) {
    s.kind = SourceKind::kBackup;
    s.backup = frag.substr(7);
  } else {
    return Status::InvalidArgument("'#" + frag +
                                   "' after a META-URL: give #version=N or #backup=NAME|latest");
  }
  return s;
}

std::string SourceText(const SourceSpec& s) {
  switch (s.kind) {
    case SourceKind::kLive:
      return s.url;
    case SourceKind::kVersion:
      return s.url + "#version=" + std::to_string(s.version);
    case SourceKind::kBackup:
      return s.url + "#backup=" + s.backup;
    case SourceKind::kDumpFile:
      return s.path;
    case SourceKind::kFullBackup:
      return "br:" + s.path;
    case SourceKind::kPoint:
      return "at:" + (s.revision ? std::to_string(*s.revision) : LocalTimeText(*s.time_ms));
  }
  return "";
}

std::string ScratchDir(const SourceOptions& o) {
  if (!o.scratch_dir.empty()) return o.scratch_dir;
  const char* t = getenv("TMPDIR");
  return t ? t : "/tmp";
}

SourceView::~SourceView() {
  volume_.reset();
  if (!scratch_.empty()) std::filesystem::remove_all(scratch_);
}

namespace {

// Fills an empty scratch Meta with the source's records; returns what it is.
Result<std::string> Index(const SourceSpec& spec, const SourceOptions& o, Meta* scratch,
                          ObjectStore* volume_store) {
  LoadOptions lo;
  lo.verify = false;  // nothing is written back: a view only reads it
  lo.slice_refs = false;
  lo.threads = o.threads;
  lo.progress = o.progress;
  switch (spec.kind) {
    case SourceKind::kBackup: {
      if (volume_store == nullptr)
        return Status::InvalidArgument("#backup= needs the META-URL of the volume");
      JFS_ASSIGN_OR_RETURN(std::string name, ResolveBackup(volume_store, spec.backup));
      JFS_RETURN_IF_ERROR(RestoreBackup(volume_store, name, scratch, lo).status());
      return "backup " + name + " of " + spec.url;
    }
    case SourceKind::kDumpFile: {
      JFS_ASSIGN_OR_RETURN(bool json, IsJsonDump(spec.path));
      JFS_ASSIGN_OR_RETURN(auto in, OpenDumpFile(spec.path));
      JFS_RETURN_IF_ERROR(
          LoadVolume(in.get(), scratch, json ? DumpFormat::kJson : DumpFormat::kBinary, lo)
              .status());
      return std::string(json ? "JSON" : "binary") + " dump " + spec.path;
    }
    case SourceKind::kFullBackup: {
      JFS_ASSIGN_OR_RETURN(auto store, OpenStoreUrl(spec.path));
      JFS_ASSIGN_OR_RETURN(auto meta, ReadFullBackupMeta(store.get()));
      FullRestoreOptions fo;
      fo.concurrency = o.threads;
      if (o.progress) fo.progress = [&](const FullBackupProgress& p) { o.progress(p.kvs); };
      JFS_RETURN_IF_ERROR(RestoreFullBackup(store.get(), meta, TkvEngineOf(scratch), fo));
      return "full backup of " + meta.volume + " at revision " + std::to_string(meta.revision);
    }
    case SourceKind::kPoint: {
      if (o.full_backup_storage.empty() || o.log_storage.empty()) {
        return Status::InvalidArgument(
            "at: needs the full-backup storage and the log backup's storage");
      }
      JFS_ASSIGN_OR_RETURN(auto full, OpenStoreUrl(o.full_backup_storage));
      JFS_ASSIGN_OR_RETURN(auto logs, OpenStoreUrl(o.log_storage));
      if (IsRedisLogBackup(logs.get())) {
        return Status::NotSupported(
            "at: a Redis log backup restores into a Redis database only ('jfsbr restore point "
            "--to redis://...'); mount or diff that database");
      }
      PointRestoreOptions po;
      po.revision = spec.revision;
      po.time_ms = spec.time_ms;
      po.concurrency = o.threads;
      if (o.progress) po.progress = o.progress;
      JFS_ASSIGN_OR_RETURN(auto plan, PlanPointRestore(full.get(), logs.get(), po));
      JFS_ASSIGN_OR_RETURN(auto r,
                           RestoreToPoint(plan, full.get(), logs.get(), TkvEngineOf(scratch), po));
      return "the volume at revision " + std::to_string(r.target_revision) + " (" +
             SourceText(spec) + ")";
    }
    default:
      return Status::InvalidArgument("not an indexed source");
  }
}

}  // namespace

Result<std::unique_ptr<SourceView>> OpenSource(const SourceSpec& spec, const SourceOptions& o) {
  auto view = std::unique_ptr<SourceView>(new SourceView);
  std::unique_ptr<Meta> meta;
  std::unique_ptr<ObjectStore> store;
  // The live volume (or the one named beside the source): its store serves blocks.
  std::string url = spec.url.empty() ? o.volume_url : spec.url;
  std::shared_ptr<Meta> live;
  if (!url.empty()) {
    JFS_ASSIGN_OR_RETURN(live, OpenMeta(url));
    JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(live.get()));
    JFS_ASSIGN_OR_RETURN(store, OpenVolumeStore(f));
  }
  if (spec.kind == SourceKind::kLive) {
    meta = BorrowMeta(live.get());
    view->description_ = "the live volume " + live->Describe();
    view->immutable_ = false;
  } else if (spec.kind == SourceKind::kVersion) {
    JFS_ASSIGN_OR_RETURN(auto snap, live->SnapshotAt(spec.version));
    meta = ReadOnlyMeta(std::move(snap), live);
    view->description_ = live->Describe() + " at version " + std::to_string(spec.version);
  } else {
    std::string tmpl = ScratchDir(o) + "/jfsbr-view-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("mkdtemp", tmpl);
    view->scratch_ = tmpl;
    // Point and full restores replay engine keys (reads among writes): a
    // plain RocksDB. Dumps load blind: the scratch form (no WAL, sorted once).
    bool blind = spec.kind == SourceKind::kBackup || spec.kind == SourceKind::kDumpFile;
    JFS_ASSIGN_OR_RETURN(auto kv,
                         OpenEngine("rocksdb://" + tmpl + "/meta" + (blind ? "?scratch" : ""),
                                    /*create=*/true));
    auto scratch = NewTkvMeta(std::move(kv));
    JFS_ASSIGN_OR_RETURN(view->description_, Index(spec, o, scratch.get(), store.get()));
    // A scratch engine sorts what it holds at its first snapshot; reads
    // before that would scan an unsorted memtable.
    JFS_RETURN_IF_ERROR(scratch->Snapshot().status());
    // The index's write buffers are freed now; hand the pages back (glibc
    // keeps them otherwise: 136 -> 94 MiB held by a 3 M-file mount).
    malloc_trim(0);
    meta = std::move(scratch);
    if (!store) {  // the source's own setting names its bucket
      JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(meta.get()));
      JFS_ASSIGN_OR_RETURN(store, OpenVolumeStore(f));
    }
  }
  if (o.cache_bytes > 0) {
    auto cache = NewBlockCache(std::move(store), o.cache_bytes);
    view->cache_ = cache.get();
    store = std::move(cache);
  }
  JFS_ASSIGN_OR_RETURN(view->volume_, Volume::Open(std::move(meta), std::move(store)));
  view->live_ = std::move(live);
  return view;
}

namespace {

// A stream that keeps the store it reads from.
class StoreStream : public Source {
 public:
  StoreStream(std::shared_ptr<ObjectStore> store, std::unique_ptr<Source> in)
      : store_(std::move(store)), in_(std::move(in)) {}
  Result<size_t> Read(char* buf, size_t n) override { return in_->Read(buf, n); }

 private:
  std::shared_ptr<ObjectStore> store_;  // outlives in_
  std::unique_ptr<Source> in_;
};

}  // namespace

Result<JsonStream> OpenSourceJson(const SourceSpec& spec, const SourceOptions& o,
                                  const std::string& dir) {
  JsonStream js;
  js.root = "/";
  if (spec.kind == SourceKind::kDumpFile) {
    JFS_ASSIGN_OR_RETURN(bool json, IsJsonDump(spec.path));
    if (json) {
      JFS_ASSIGN_OR_RETURN(js.in, OpenDumpFile(spec.path));
      js.description = "JSON dump " + spec.path;
      return js;
    }
  }
  if (spec.kind == SourceKind::kBackup) {
    JFS_ASSIGN_OR_RETURN(auto meta, OpenMeta(spec.url));
    JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(meta.get()));
    JFS_ASSIGN_OR_RETURN(std::shared_ptr<ObjectStore> store, OpenVolumeStore(f));
    JFS_ASSIGN_OR_RETURN(std::string name, ResolveBackup(store.get(), spec.backup));
    if (name.find(".json") != std::string::npos) {
      JFS_ASSIGN_OR_RETURN(auto object, OpenObject(store.get(), "meta/" + name));
      auto in = DecompressingSource(std::move(object), CompressionForName(name));
      js.in = std::make_unique<StoreStream>(std::move(store), std::move(in));
      js.description = "backup " + name + " of " + spec.url;
      return js;
    }
  }
  JFS_ASSIGN_OR_RETURN(auto opened, OpenSource(spec, o));
  std::shared_ptr<SourceView> view = std::move(opened);
  js.root = dir;
  js.description = view->description();
  int threads = o.threads;
  js.in = PipeFrom([view, dir, threads](Sink* out) -> Status {
    JFS_ASSIGN_OR_RETURN(auto snap, view->volume()->meta()->Snapshot());
    DumpOptions d;
    d.skip_trash = true;
    d.subdir = dir == "/" ? "" : dir;
    d.threads = threads;
    return DumpVolume(snap.get(), out, d).status();
  });
  return js;
}

}  // namespace jfsbr
