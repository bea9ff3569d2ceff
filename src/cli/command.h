// The CLI: a tree of commands (`jfsbr backup daemon ...`). Each command and
// subcommand declares its own positional arguments and flags; main.cc walks
// the tree, refuses a flag the command does not declare (naming it),
// generates --help at every level, and calls the command's handler, which
// makes one library call and prints. Only the CLI prints.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backup/restore_guard.h"
#include "cli/flags.h"
#include "fs/volume.h"
#include "tkv/engine.h"

namespace jfsbr::cli {

struct FlagSpec {
  std::string_view name;   // long name without "--"
  char short_name = 0;     // e.g. 'r' for -r; 0 if none
  std::string_view value;  // value placeholder ("N", "DIR"); empty for a switch
  std::string_view help;
  std::string_view def = {};  // default shown in help
};

struct Args {
  std::string command;  // the path in the tree: "backup daemon"
  std::vector<std::string> pos;
  std::map<std::string, std::string, std::less<>> flags;

  bool Has(std::string_view name) const { return flags.count(name) > 0; }
  std::string Get(std::string_view name, std::string_view def = {}) const;
  // An integer flag in [min, max]; an error names the flag and the range.
  Result<uint64_t> GetUint(std::string_view name, uint64_t def, uint64_t min = 0,
                           uint64_t max = UINT64_MAX) const;
  // A duration flag (30s, 10m, 1h, 1d, 500ms) in [min, max].
  Result<std::chrono::milliseconds> GetDuration(
      std::string_view name, std::string_view def,
      std::chrono::milliseconds min = std::chrono::milliseconds(1),
      std::chrono::milliseconds max = kMaxDuration) const;
  // The --threads flag, clamped to [1, 256].
  Result<int> GetThreads(int def) const;
};

// One node of the tree. A group (run == nullptr) only holds subcommands; a
// command may have both (`backup META-URL` backs up, `backup list` lists).
struct Command {
  std::string_view name;
  std::string_view usage;    // positional arguments, e.g. "META-URL NAME"
  std::string_view summary;  // one line
  std::vector<FlagSpec> flags;
  size_t min_args = 0;
  size_t max_args = 0;  // SIZE_MAX for any
  int (*run)(const Args&) = nullptr;
  std::vector<const Command*> subcommands = {};
};

// The top level of the tree.
std::span<const Command* const> Commands();

// Prints "jfsbr CMD: message" on stderr and returns the exit code 1.
int Fail(const Args& args, const Status& st);
// Opens the volume of a META-URL.
Result<std::unique_ptr<Volume>> OpenVolume(const std::string& meta_url);
// Opens the volume of a.pos[0] and calls fn for each path a.pos[1..] with its
// inode and attr; the first error is reported and ends the command.
using PathFn = std::function<Status(Volume*, const std::string&, Ino, const Attr&)>;
int ForEachPath(const Args& a, const PathFn& fn);
// The object store a required URL flag (--storage) names.
Result<std::shared_ptr<ObjectStore>> OpenStorageFlag(const Args& a, std::string_view flag);
// Turns SIGTERM and SIGINT into a stop request: the returned flag becomes
// true (for the long-running commands: backup daemon, log start).
std::atomic<bool>& StopOnSignals();
// A moment as the PITR flags take it: a revision ("123") or a time (ParseTime).
struct Moment {
  std::optional<uint64_t> revision;
  std::optional<int64_t> time_ms;
};
Result<Moment> ParseMoment(const std::string& text);
// "123 Bytes" or "1.50 MiB (1572864 Bytes)", as JuiceFS prints sizes.
std::string FormatBytes(uint64_t n);
// What a restore's bucket guard did (backup/restore_guard.h), on stderr.
void PrintRestoreGuard(const RestoreMark& m);
// The before-setting step of a restore into a TKV engine (br restore,
// restore point): guards the bucket the restored setting names, unless
// --no-bucket-guard; the mark goes to *out. source and point_time say what
// state was restored.
std::function<Status(const std::string& setting)> BucketGuardHook(const Args& a, KvEngine* target,
                                                                  std::string source,
                                                                  int64_t point_time,
                                                                  std::optional<RestoreMark>* out);
// The flag that turns it off.
inline constexpr FlagSpec kNoBucketGuardFlag = {
    "no-bucket-guard", 0, "",
    "restore the state exactly: leave nextChunk as it was and record nothing in the bucket, "
    "even if it holds objects written after that state"};

// The top-level commands (one file per group of them).
extern const Command kFormatCommand, kStatusCommand, kImportCommand, kExportCommand, kLsCommand,
    kStatCommand, kCatCommand, kMkdirCommand, kRmCommand, kInfoCommand, kDumpCommand, kLoadCommand,
    kCheckCommand, kBenchCommand, kBackupCommand, kRestoreCommand, kBrCommand, kLogCommand,
    kGcCommand, kFsckCommand, kRestoreTrashCommand, kMountCommand, kDiffCommand;
// Subcommands defined beside the code they share (pitr_cmds.cc, gc_cmd.cc).
extern const Command kRestorePointCommand, kGcCompactCommand;

}  // namespace jfsbr::cli
