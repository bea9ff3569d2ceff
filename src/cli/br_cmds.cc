// br backup|restore|validate: engine-level full backups of a volume's keys
// (br/full_backup.h), the base of point-in-time recovery.
#include <chrono>
#include <cstdio>

#include "br/full_backup.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "tkv/prefix.h"
#include "tkv/registry.h"

namespace jfsbr::cli {
namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int RunBackup(const Args& a) {
  auto store = OpenStorageFlag(a, "storage");
  if (!store.ok()) return Fail(a, store.status());
  auto engine = OpenEngine(a.pos[0]);
  if (!engine.ok()) return Fail(a, engine.status());
  FullBackupOptions o;
  auto conc = a.GetUint("concurrency", 4, 1, 64);
  auto rate = a.GetUint("ratelimit", 0, 0, 1 << 20);
  auto at = a.GetUint("at-revision", 0);
  if (!conc.ok()) return Fail(a, conc.status());
  if (!rate.ok()) return Fail(a, rate.status());
  if (!at.ok()) return Fail(a, at.status());
  o.concurrency = static_cast<int>(std::clamp<uint64_t>(*conc, 1, 64));
  o.ratelimit_bytes = static_cast<double>(*rate) * (1 << 20);
  o.version = *at;
  if (auto u = ParseEngineUrl(a.pos[0]); u.ok()) o.source_prefix = JuiceFsKeyPrefix(*u);
  CountProgress progress("backed up keys");
  o.progress = [&](const FullBackupProgress& p) { progress.Update(p.kvs); };
  auto start = std::chrono::steady_clock::now();
  auto m = RunFullBackup(engine->get(), store->get(), o);
  progress.Clear();
  if (!m.ok()) return Fail(a, m.status());
  double secs = Since(start);
  fprintf(stderr,
          "full backup of volume %s at revision %llu: %llu keys, %zu files, %.1f MiB "
          "(%.1f MiB of records) in %.2f s (%.0f keys/s) -> %s\n",
          m->volume.c_str(), static_cast<unsigned long long>(m->revision),
          static_cast<unsigned long long>(m->total_kvs), m->files.size(), m->total_size / 1048576.0,
          m->total_raw_bytes / 1048576.0, secs, m->total_kvs / std::max(secs, 0.001),
          (*store)->Describe().c_str());
  printf("%llu\n", static_cast<unsigned long long>(m->revision));
  return 0;
}

// The --storage flag's full backup: its storage and backupmeta.
struct FoundFull {
  std::shared_ptr<ObjectStore> store;
  FullBackupMeta meta;
};
Result<FoundFull> OpenFullBackup(const Args& a) {
  FoundFull f;
  JFS_ASSIGN_OR_RETURN(f.store, OpenStorageFlag(a, "storage"));
  JFS_ASSIGN_OR_RETURN(f.meta, ReadFullBackupMeta(f.store.get()));
  return f;
}

int RunRestore(const Args& a) {
  auto full = OpenFullBackup(a);
  if (!full.ok()) return Fail(a, full.status());
  const FullBackupMeta& meta = full->meta;
  auto target = OpenEngine(a.pos[0], /*create=*/true);
  if (!target.ok()) return Fail(a, target.status());
  FullRestoreOptions o;
  auto conc = a.GetUint("concurrency", 4, 1, 64);
  if (!conc.ok()) return Fail(a, conc.status());
  o.concurrency = static_cast<int>(std::clamp<uint64_t>(*conc, 1, 64));
  CountProgress progress("restored keys");
  o.progress = [&](const FullBackupProgress& p) { progress.Update(p.kvs); };
  std::optional<RestoreMark> mark;
  o.before_setting = BucketGuardHook(
      a, target->get(),
      "br backup " + a.Get("storage") + " at revision " + std::to_string(meta.revision),
      meta.time_ms / 1000, &mark);
  auto start = std::chrono::steady_clock::now();
  Status st = RestoreFullBackup(full->store.get(), meta, target->get(), o);
  progress.Clear();
  if (!st.ok()) {
    if (!st.Is(Code::kNotEmpty))
      st = st.Annotate("restore failed; the target has no volume setting");
    return Fail(a, st);
  }
  double secs = Since(start);
  fprintf(stderr,
          "restored volume %s at revision %llu: %llu keys in %.2f s (%.0f keys/s) into %s\n",
          meta.volume.c_str(), static_cast<unsigned long long>(meta.revision),
          static_cast<unsigned long long>(meta.total_kvs), secs,
          meta.total_kvs / std::max(secs, 0.001), (*target)->Describe().c_str());
  if (mark) PrintRestoreGuard(*mark);
  return 0;
}

int RunValidate(const Args& a) {
  auto full = OpenFullBackup(a);
  if (!full.ok()) return Fail(a, full.status());
  const FullBackupMeta& meta = full->meta;
  auto start = std::chrono::steady_clock::now();
  Status st = ValidateFullBackup(full->store.get(), meta, 4);
  if (!st.ok()) return Fail(a, st);
  fprintf(stderr, "validated %zu files, %llu keys in %.2f s\n", meta.files.size(),
          static_cast<unsigned long long>(meta.total_kvs), Since(start));
  printf("backup of volume %s at revision %llu OK\n", meta.volume.c_str(),
         static_cast<unsigned long long>(meta.revision));
  return 0;
}

constexpr FlagSpec kStorageFlag = {"storage", 's', "URL",
                                   "where the backup goes/is (file:///dir, s3://host/bucket/path)"};
constexpr FlagSpec kConcurrencyFlag = {"concurrency", 0, "N",
                                       "key ranges (files) read or written at once (1 to 64)", "4"};

const Command kBrBackupCommand = {
    "backup",
    "META-URL",
    "Back up every key of the volume at one revision (the base of point-in-time restore)",
    {kStorageFlag,
     kConcurrencyFlag,
     {"ratelimit", 0, "MiB/s", "cap on the bytes written to the storage", "none"},
     {"at-revision", 0, "N", "read at this past revision (etcd)", "now"}},
    1,
    1,
    RunBackup};
const Command kBrRestoreCommand = {"restore",
                                   "META-URL",
                                   "Restore a full backup into an empty engine of any kind",
                                   {kStorageFlag, kConcurrencyFlag, kNoBucketGuardFlag},
                                   1,
                                   1,
                                   RunRestore};
const Command kBrValidateCommand = {
    "validate",     "", "Read every file of a full backup back and check its checksums",
    {kStorageFlag}, 0,  0,
    RunValidate};

}  // namespace

const Command kBrCommand = {
    "br",
    "",
    "Engine-level full backups of every key of a TKV volume (RocksDB, etcd): backup, restore, "
    "validate",
    {},
    0,
    0,
    nullptr,
    {&kBrBackupCommand, &kBrRestoreCommand, &kBrValidateCommand}};

}  // namespace jfsbr::cli
