// Engine-level full backups of a TKV volume: parallel key ranges at one revision
// into sorted files plus a backupmeta; their restore and validation.
#include "br/full_backup.h"

#include <algorithm>
#include <atomic>

#include "model/setting.h"
#include "tkv/keys.h"
#include "util/clock.h"
#include "util/coding.h"
#include "util/json.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

// Where the key space is cut for parallel reads: JuiceFS's inode keys
// ("A" + little-endian inode) by the inode's low byte, in 16 ranges; the rest
// (counters, setting, slices, sessions...) before and after them.
std::vector<KeyRange> BackupRanges() {
  std::vector<std::string> cuts;
  for (int x = 0x10; x < 0x100; x += 0x10) cuts.push_back(std::string("A") + static_cast<char>(x));
  cuts.push_back("B");
  std::vector<KeyRange> ranges;
  std::string begin;
  for (auto& c : cuts) {
    ranges.push_back({begin, c});
    begin = c;
  }
  ranges.push_back({begin, ""});
  return ranges;
}

class Counters {
 public:
  explicit Counters(std::function<void(const FullBackupProgress&)> fn) : fn_(std::move(fn)) {}
  void Add(uint64_t kvs, uint64_t bytes, uint64_t files) {
    kvs_ += kvs;
    bytes_ += bytes;
    files_ += files;
    if (fn_) fn_(Get());
  }
  FullBackupProgress Get() const { return {kvs_.load(), bytes_.load(), files_.load()}; }

 private:
  std::function<void(const FullBackupProgress&)> fn_;
  std::atomic<uint64_t> kvs_{0}, bytes_{0}, files_{0};
};

// Reads range `index` of snap into files of at most file_bytes.
Status BackupRange(KvSnapshot* snap, ObjectStore* store, const KeyRange& range, size_t index,
                   const FullBackupOptions& opts, RateLimiter* limiter, Counters* counters,
                   std::vector<KvFileInfo>* files) {
  std::unique_ptr<KvFileWriter> w;
  Status err;
  uint64_t kvs = 0, bytes = 0;
  auto finish = [&]() -> Status {
    JFS_ASSIGN_OR_RETURN(KvFileInfo info, w->Finish());
    w.reset();
    files->push_back(std::move(info));
    counters->Add(kvs, bytes, 1);
    kvs = bytes = 0;
    return Status::OK();
  };
  JFS_RETURN_IF_ERROR(snap->Scan(range.begin, range.end, [&](auto k, auto v) {
    if (!w) {
      char name[64];
      snprintf(name, sizeof(name), "data/%03zu-%04zu.kv.zst", index, files->size());
      auto created = KvFileWriter::Create(store, name, limiter);
      if (!created.ok()) {
        err = created.status();
        return false;
      }
      w = std::move(*created);
    }
    err = w->Add(k, v);
    kvs++;
    bytes += k.size() + v.size() + 8;
    if (err.ok() && w->raw_bytes() >= opts.file_bytes) err = finish();
    if (err.ok() && kvs >= 4096) {
      counters->Add(kvs, bytes, 0);
      kvs = bytes = 0;
    }
    return err.ok();
  }));
  JFS_RETURN_IF_ERROR(err);
  if (w) JFS_RETURN_IF_ERROR(finish());
  return Status::OK();
}

}  // namespace

std::string EncodeFullBackupMeta(const FullBackupMeta& m) {
  std::string out;
  GoObjectWriter o(&out, "  ", 0);
  o.Int("version", m.version);
  o.String("volume", m.volume);
  o.String("source", m.source);
  o.String("key_prefix", HexString(m.key_prefix));
  o.Uint("revision", m.revision);
  o.Int("time_ms", m.time_ms);
  o.String("time", FormatTime(m.time_ms / 1000, "%Y-%m-%dT%H:%M:%SZ", true));
  o.Uint("total_kvs", m.total_kvs);
  o.Uint("total_raw_bytes", m.total_raw_bytes);
  o.Uint("total_size", m.total_size);
  o.Key("ranges");
  out += "[";
  for (size_t i = 0; i < m.ranges.size(); i++) {
    out += i ? ",\n    [" : "\n    [";
    AppendGoQuoted(&out, HexString(m.ranges[i].begin));
    out += ", ";
    AppendGoQuoted(&out, HexString(m.ranges[i].end));
    out += "]";
  }
  out += "\n  ]";
  o.ObjectArray("files", m.files.size(), [&](size_t i, GoObjectWriter& fo) {
    const KvFileInfo& f = m.files[i];
    fo.String("name", f.name);
    fo.String("first_key", HexString(f.first_key));
    fo.String("last_key", HexString(f.last_key));
    fo.Uint("kvs", f.kvs);
    fo.Uint("raw_bytes", f.raw_bytes);
    fo.Uint("size", f.size);
    fo.Uint("crc32", f.crc32);
    fo.String("sha256", f.sha256);
  });
  o.End();
  out += "\n";
  return out;
}

Result<FullBackupMeta> DecodeFullBackupMeta(std::string_view json) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, ParseJson(json));
  using K = JsonValue::Kind;
  if (v.kind != K::kObject) return Status::Corruption("backupmeta is not a JSON object");
  auto hex = [](const JsonValue& o, const char* k) -> Result<std::string> {
    JFS_ASSIGN_OR_RETURN(std::string h, StringMember(o, k));
    return HexDecode(h);
  };
  FullBackupMeta m;
  JFS_ASSIGN_OR_RETURN(uint64_t version, UintMember(v, "version"));
  if (version != FullBackupMeta::kVersion) {
    return Status::NotSupported("backupmeta version " + std::to_string(version) +
                                " (this jfsbr reads version 1)");
  }
  JFS_ASSIGN_OR_RETURN(m.volume, StringMember(v, "volume"));
  JFS_ASSIGN_OR_RETURN(m.source, StringMember(v, "source"));
  JFS_ASSIGN_OR_RETURN(m.key_prefix, hex(v, "key_prefix"));
  JFS_ASSIGN_OR_RETURN(m.revision, UintMember(v, "revision"));
  JFS_ASSIGN_OR_RETURN(m.time_ms, IntMember(v, "time_ms"));
  JFS_ASSIGN_OR_RETURN(m.total_kvs, UintMember(v, "total_kvs"));
  JFS_ASSIGN_OR_RETURN(m.total_raw_bytes, UintMember(v, "total_raw_bytes"));
  JFS_ASSIGN_OR_RETURN(m.total_size, UintMember(v, "total_size"));
  const JsonValue* ranges = v.Find("ranges");
  const JsonValue* files = v.Find("files");
  if (!ranges || ranges->kind != K::kArray || !files || files->kind != K::kArray) {
    return Status::Corruption("backupmeta without \"ranges\" or \"files\"");
  }
  for (const JsonValue& r : ranges->items) {
    if (r.kind != K::kArray || r.items.size() != 2) return Status::Corruption("bad range");
    KeyRange kr;
    JFS_ASSIGN_OR_RETURN(kr.begin, HexDecode(r.items[0].text));
    JFS_ASSIGN_OR_RETURN(kr.end, HexDecode(r.items[1].text));
    m.ranges.push_back(std::move(kr));
  }
  for (const JsonValue& f : files->items) {
    KvFileInfo info;
    JFS_ASSIGN_OR_RETURN(info.name, StringMember(f, "name"));
    JFS_ASSIGN_OR_RETURN(info.first_key, hex(f, "first_key"));
    JFS_ASSIGN_OR_RETURN(info.last_key, hex(f, "last_key"));
    JFS_ASSIGN_OR_RETURN(info.kvs, UintMember(f, "kvs"));
    JFS_ASSIGN_OR_RETURN(info.raw_bytes, UintMember(f, "raw_bytes"));
    JFS_ASSIGN_OR_RETURN(info.size, UintMember(f, "size"));
    JFS_ASSIGN_OR_RETURN(uint64_t crc, UintMember(f, "crc32"));
    info.crc32 = static_cast<uint32_t>(crc);
    JFS_ASSIGN_OR_RETURN(info.sha256, StringMember(f, "sha256"));
    m.files.push_back(std::move(info));
  }
  return m;
}

Result<FullBackupMeta> RunFullBackup(KvEngine* engine, ObjectStore* store,
                                     const FullBackupOptions& opts) {
  auto existing = store->Head(kBackupMetaName);
  if (existing.ok()) {
    return Status::Exists(store->Describe() +
                          " already holds a backup (backupmeta): give each backup its own "
                          "storage path");
  }
  if (!existing.status().Is(Code::kNotFound)) return existing.status();
  std::unique_ptr<KvSnapshot> snap;
  if (opts.version) {
    JFS_ASSIGN_OR_RETURN(snap, engine->SnapshotAt(opts.version));
  } else {
    JFS_ASSIGN_OR_RETURN(snap, engine->Snapshot());
  }
  FullBackupMeta m;
  m.time_ms = UnixMillis();
  m.revision = snap->version();
  m.source = engine->Describe();
  m.key_prefix = opts.source_prefix;
  JFS_ASSIGN_OR_RETURN(auto setting, snap->Get(keys::Setting()));
  if (!setting) return Status::NotFound(m.source + " holds no JuiceFS volume (no setting)");
  JFS_ASSIGN_OR_RETURN(VolumeFormat format, DecodeSetting(*setting));
  m.volume = format.name;
  m.ranges = BackupRanges();
  RateLimiter limiter(opts.ratelimit_bytes);
  Counters counters(opts.progress);
  std::vector<std::vector<KvFileInfo>> per_range(m.ranges.size());
  {
    TaskGroup group(std::max(1, opts.concurrency));
    for (size_t i = 0; i < m.ranges.size(); i++) {
      Status st = group.Submit([&, i] {
        return BackupRange(snap.get(), store, m.ranges[i], i, opts, &limiter, &counters,
                           &per_range[i]);
      });
      if (!st.ok()) break;
    }
    JFS_RETURN_IF_ERROR(group.Wait());
  }
  for (auto& files : per_range) {
    for (auto& f : files) {
      m.total_kvs += f.kvs;
      m.total_raw_bytes += f.raw_bytes;
      m.total_size += f.size;
      m.files.push_back(std::move(f));
    }
  }
  JFS_RETURN_IF_ERROR(store->Put(kBackupMetaName, EncodeFullBackupMeta(m)));
  return m;
}

Result<FullBackupMeta> ReadFullBackupMeta(ObjectStore* store) {
  auto text = store->Get(kBackupMetaName);
  if (text.status().Is(Code::kNotFound)) {
    return Status::NotFound(store->Describe() + " holds no full backup (no backupmeta)");
  }
  JFS_RETURN_IF_ERROR(text.status());
  auto m = DecodeFullBackupMeta(*text);
  if (!m.ok()) return m.status().Annotate(store->Describe() + "/backupmeta");
  return m;
}

Status RestoreFullBackup(ObjectStore* store, const FullBackupMeta& meta, KvEngine* target,
                         const FullRestoreOptions& opts) {
  bool empty = true;
  if (opts.require_empty) {
    JFS_RETURN_IF_ERROR(target->Scan("", "", [&](auto, auto) { return empty = false; }));
  }
  if (!empty) {
    return Status::NotEmpty(target->Describe() +
                            " is not empty: restore only into an empty engine or prefix");
  }
  Counters counters(opts.progress);
  std::mutex setting_mu;
  std::optional<std::string> setting;
  TaskGroup group(std::max(1, opts.concurrency));
  for (const KvFileInfo& f : meta.files) {
    Status st = group.Submit([&, f]() -> Status {
      WriteBatch batch;
      batch.atomic = false;
      size_t bytes = 0;
      auto flush = [&]() -> Status {
        if (batch.empty()) return Status::OK();
        counters.Add(batch.ops.size(), bytes, 0);
        Status st = target->Commit(batch);
        batch.ops.clear();
        bytes = 0;
        return st;
      };
      JFS_RETURN_IF_ERROR(ReadKvFile(store, f, [&](auto k, auto v) -> Status {
        if (k == keys::Setting()) {
          std::lock_guard l(setting_mu);
          setting = std::string(v);
          return Status::OK();
        }
        batch.Put(std::string(k), std::string(v));
        bytes += k.size() + v.size();
        if (batch.ops.size() >= 4096 || bytes >= (4 << 20)) return flush();
        return Status::OK();
      }));
      JFS_RETURN_IF_ERROR(flush());
      counters.Add(0, 0, 1);
      return Status::OK();
    });
    if (!st.ok()) break;
  }
  JFS_RETURN_IF_ERROR(group.Wait());
  if (!setting) return Status::Corruption("the backup holds no setting key");
  if (opts.hold_setting) {
    *opts.hold_setting = std::move(setting);
    return Status::OK();
  }
  if (opts.before_setting) JFS_RETURN_IF_ERROR(opts.before_setting(*setting));
  WriteBatch last;
  last.Put(keys::Setting(), *setting);
  return target->Commit(last);
}

Status ValidateFullBackup(ObjectStore* store, const FullBackupMeta& meta, int concurrency) {
  const auto& r = meta.ranges;
  for (size_t i = 0; i < r.size(); i++) {
    bool joined = i == 0 ? r[i].begin.empty() : r[i].begin == r[i - 1].end;
    if (!joined || (i + 1 == r.size()) != r[i].end.empty()) {
      return Status::Corruption("backupmeta: its key ranges do not cover the key space once");
    }
  }
  std::vector<const KvFileInfo*> files;
  for (const auto& f : meta.files) files.push_back(&f);
  std::sort(files.begin(), files.end(),
            [](auto* a, auto* b) { return a->first_key < b->first_key; });
  uint64_t kvs = 0;
  for (size_t i = 0; i < files.size(); i++) {
    kvs += files[i]->kvs;
    if (files[i]->first_key > files[i]->last_key ||
        (i > 0 && files[i - 1]->last_key >= files[i]->first_key)) {
      return Status::Corruption("backupmeta: file " + files[i]->name + " overlaps another");
    }
  }
  if (kvs != meta.total_kvs) return Status::Corruption("backupmeta: file counts do not add up");
  TaskGroup group(std::max(1, concurrency));
  for (const auto* f : files) {
    Status st = group.Submit(
        [store, f] { return ReadKvFile(store, *f, [](auto, auto) { return Status::OK(); }); });
    if (!st.ok()) break;
  }
  return group.Wait();
}

Result<std::vector<FoundBackup>> FindFullBackups(ObjectStore* store) {
  std::vector<FoundBackup> out;
  auto here = ReadFullBackupMeta(store);
  if (here.ok()) {
    out.push_back({"", std::move(*here)});
    return out;
  }
  if (!here.status().Is(Code::kNotFound)) return here.status();
  JFS_ASSIGN_OR_RETURN(auto objects, ListAll(store, ""));
  std::string suffix = std::string("/") + kBackupMetaName;
  for (const auto& o : objects) {
    const std::string& k = o.key;
    if (k.size() <= suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix)) {
      continue;
    }
    std::string dir = k.substr(0, k.size() - suffix.size() + 1);
    if (dir.find('/') != dir.size() - 1) continue;  // one level only
    JFS_ASSIGN_OR_RETURN(std::string text, store->Get(k));
    auto m = DecodeFullBackupMeta(text);
    if (!m.ok()) return m.status().Annotate(store->Describe() + "/" + k);
    out.push_back({dir, std::move(*m)});
  }
  std::sort(out.begin(), out.end(), [](const FoundBackup& a, const FoundBackup& b) {
    return a.meta.revision < b.meta.revision;
  });
  return out;
}

}  // namespace jfsbr
