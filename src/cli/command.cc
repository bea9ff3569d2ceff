// The command table and what handlers share: flag getters, opening a volume,
// signals, moments, sizes.
#include "cli/command.h"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>

#include "backup/restore_guard.h"
#include "fs/volume.h"
#include "meta/registry.h"
#include "model/setting.h"
#include "store/registry.h"
#include "tkv/registry.h"
#include "tkv/tkv_meta.h"
#include "util/clock.h"

namespace jfsbr::cli {

std::span<const Command* const> Commands() {
  static const Command* const kAll[] = {
      &kFormatCommand,       &kImportCommand,  &kExportCommand, &kDumpCommand, &kLoadCommand,
      &kCheckCommand,        &kStatusCommand,  &kLsCommand,     &kStatCommand, &kCatCommand,
      &kBackupCommand,       &kRestoreCommand, &kMkdirCommand,  &kRmCommand,   &kInfoCommand,
      &kBenchCommand,        &kBrCommand,      &kLogCommand,    &kGcCommand,   &kFsckCommand,
      &kRestoreTrashCommand, &kMountCommand,   &kDiffCommand,
  };
  return kAll;
}

Result<std::chrono::milliseconds> Args::GetDuration(std::string_view flag, std::string_view def,
                                                    std::chrono::milliseconds min,
                                                    std::chrono::milliseconds max) const {
  return ParseDurationFlag(flag, Get(flag, def), min, max);
}

Result<std::shared_ptr<ObjectStore>> OpenStorageFlag(const Args& a, std::string_view flag) {
  if (!a.Has(flag)) return Status::InvalidArgument("--" + std::string(flag) + " URL is required");
  return OpenStoreUrl(a.Get(flag));
}

std::string Args::Get(std::string_view name, std::string_view def) const {
  auto it = flags.find(name);
  return it == flags.end() ? std::string(def) : it->second;
}

Result<uint64_t> Args::GetUint(std::string_view name, uint64_t def, uint64_t min,
                               uint64_t max) const {
  auto it = flags.find(name);
  if (it == flags.end()) return def;
  return ParseUintFlag(name, it->second, min, max);
}

Result<int> Args::GetThreads(int def) const {
  JFS_ASSIGN_OR_RETURN(uint64_t n, GetUint("threads", static_cast<uint64_t>(def), 1, 256));
  return static_cast<int>(n);
}

int Fail(const Args& args, const Status& st) {
  std::cerr << "jfsbr " << args.command << ": " << st.ToString() << "\n";
  return 1;
}

Result<std::unique_ptr<Volume>> OpenVolume(const std::string& meta_url) {
  JFS_ASSIGN_OR_RETURN(auto engine, OpenMeta(meta_url));
  return Volume::Open(std::move(engine));
}

int ForEachPath(const Args& a, const PathFn& fn) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  for (size_t i = 1; i < a.pos.size(); i++) {
    auto ino = (*vol)->Resolve(a.pos[i]);
    if (!ino.ok()) return Fail(a, ino.status());
    auto at = (*vol)->GetAttr(*ino);
    if (!at.ok()) return Fail(a, at.status());
    Status st = fn(vol->get(), a.pos[i], *ino, *at);
    if (!st.ok()) return Fail(a, st.Annotate(a.pos[i]));
  }
  return 0;
}

namespace {
std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop = true; }
}  // namespace

std::atomic<bool>& StopOnSignals() {
  signal(SIGTERM, OnStopSignal);
  signal(SIGINT, OnStopSignal);
  return g_stop;
}

Result<Moment> ParseMoment(const std::string& s) {
  Moment m;
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    uint64_t rev = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), rev);
    if (r.ec != std::errc()) {
      return Status::InvalidArgument("revision " + s + " is out of range (at most " +
                                     std::to_string(UINT64_MAX) + ")");
    }
    m.revision = rev;
  } else {
    JFS_ASSIGN_OR_RETURN(m.time_ms, ParseTime(s));
  }
  return m;
}

std::string FormatBytes(uint64_t n) {
  if (n < 1024) return std::to_string(n) + " Bytes";
  static const char* kUnits[] = {"K", "M", "G", "T", "P", "E"};
  uint64_t m = n;
  int i = 0;
  for (; i < 5 && m >= (1 << 20); i++) m >>= 10;
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f %siB (%llu Bytes)", static_cast<double>(m) / 1024.0, kUnits[i],
           static_cast<unsigned long long>(n));
  return buf;
}

std::function<Status(const std::string&)> BucketGuardHook(const Args& a, KvEngine* target,
                                                          std::string source, int64_t point_time,
                                                          std::optional<RestoreMark>* out) {
  if (a.Has("no-bucket-guard")) return nullptr;
  return [=, source = std::move(source)](const std::string& setting) -> Status {
    JFS_ASSIGN_OR_RETURN(VolumeFormat f, DecodeSetting(setting));
    auto store = OpenVolumeStore(f);
    if (!store.ok()) {
      return store.status().Annotate(
          "opening the volume's bucket to guard it against this older state (--no-bucket-guard "
          "restores without)");
    }
    auto meta = NewTkvMeta(BorrowEngine(target));
    RestoreMark m;
    m.source = source;
    m.target = target->Describe();
    m.point_time = point_time;
    JFS_ASSIGN_OR_RETURN(*out, GuardRestoredBucket(meta.get(), store->get(), f.hash_prefix, m, 10));
    return Status::OK();
  };
}

void PrintRestoreGuard(const RestoreMark& m) {
  if (m.newer_objects == 0) return;  // nothing written after the state: nothing guarded
  fprintf(stderr,
          "the bucket holds %llu objects (%s) written after this state: nextChunk raised from "
          "%llu to %llu so that no new write reuses their names; gc keeps them (recorded in "
          "%s)\n",
          static_cast<unsigned long long>(m.newer_objects), FormatBytes(m.newer_bytes).c_str(),
          static_cast<unsigned long long>(m.point_next_chunk),
          static_cast<unsigned long long>(m.next_chunk), m.key.c_str());
}

}  // namespace jfsbr::cli
