// The CLI: a table of commands, each parsing its flags into a call of the
// library. main.cc dispatches and generates --help from the table.
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

#include "fs/volume.h"

namespace jfsbr::cli {

struct FlagSpec {
  std::string_view name;   // long name without "--"
  char short_name = 0;     // e.g. 'r' for -r; 0 if none
  std::string_view value;  // value placeholder ("N", "DIR"); empty for a switch
  std::string_view help;
  std::string_view def = {};  // default shown in help
};

struct Args {
  std::string command;
  std::vector<std::string> pos;
  std::map<std::string, std::string, std::less<>> flags;

  bool Has(std::string_view name) const { return flags.count(name) > 0; }
  std::string Get(std::string_view name, std::string_view def = {}) const;
  // A non-negative integer flag; an error names the flag.
  Result<uint64_t> GetUint(std::string_view name, uint64_t def) const;
  // A duration flag: 30s, 10m, 1h, 1d, 500ms.
  Result<std::chrono::milliseconds> GetDuration(std::string_view name, std::string_view def) const;
  // The --threads flag, clamped to [1, 256].
  Result<int> GetThreads(int def) const;
};

struct Command {
  std::string_view name;
  std::string_view usage;    // arguments, e.g. "META-URL NAME"
  std::string_view summary;  // one line
  std::vector<FlagSpec> flags;
  size_t min_args;
  size_t max_args;  // SIZE_MAX for any
  int (*run)(const Args&);
};

std::span<const Command> Commands();

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

// Command groups (one file each).
extern const Command kFormatCommand, kStatusCommand, kImportCommand, kExportCommand, kLsCommand,
    kStatCommand, kCatCommand, kMkdirCommand, kRmCommand, kInfoCommand, kDumpCommand, kLoadCommand,
    kCheckCommand, kBenchCommand, kBackupCommand, kRestoreCommand, kBrCommand, kLogCommand,
    kGcCommand, kFsckCommand, kRestoreTrashCommand;
// restore point (pitr_cmds.cc), reached through the restore command.
int RunRestorePoint(const Args& a);

}  // namespace jfsbr::cli
