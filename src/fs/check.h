// check: the invariants of a volume's metadata, verified from one snapshot
// (or from the records a load sends, as they go).
//
// Every dentry points to an attr of its type; a directory's nlink is 2 plus
// its subdirectories (trash dirs stay 2); a non-directory's nlink equals the
// entries naming it, and its parent field or parent records say where they
// are; each directory's usage record (U) equals the sum over its children;
// usedSpace/totalInodes equal the totals; nextInode and nextChunk are above
// every id in use; K refs match the chunk records plus the delayed (L)
// records; every inode is reachable.
//
// Some differences are normal on a volume JuiceFS writes and are warnings,
// not problems: usage records and the usedSpace/totalInodes counters lag
// (JuiceFS flushes them in the background), a missing usage record (built on
// first use), a detached node (the top dir of an interrupted clone), more
// refs recorded than uses (objects kept longer, never lost). A warning's
// record may still have a repair; a problem is an inconsistency that can
// lose or misreport data.
//
// Memory: bounded by memory_bytes whatever the volume's size. Attrs, entries,
// slice uses and the rest are sorted through temporary files ($TMPDIR) once
// they outgrow it: about 100 bytes a file on disk. Problems are reported as
// one line each.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meta/meta.h"

namespace jfsbr {

// A fix for a problem the metadata itself can settle (nlink, a usage
// record, a counter, a slice ref or parent counter): the record's value in
// the checked snapshot and the value it should have.
struct Repair {
  RecordKey key;
  std::optional<std::string> seen;   // nullopt: absent
  std::optional<std::string> fixed;  // nullopt: delete the record
  std::string what;                  // one line for people
};

struct CheckReport {
  uint64_t inodes = 0;
  uint64_t entries = 0;
  uint64_t slices = 0;
  uint64_t temp_bytes = 0;  // written to sort what outgrew memory
  uint64_t problem_count = 0;
  std::vector<std::string> problems;  // the first max_problems, one line each
  uint64_t warning_count = 0;
  std::vector<std::string> warnings;  // the first max_problems, one line each
  std::vector<Repair> repairs;        // for every problem that has one
  bool ok() const { return problem_count == 0; }
};

// require_setting = false checks a volume whose setting is not written yet
// (a load verifying what it wrote before it writes the setting).
Result<CheckReport> CheckVolume(MetaReader* snapshot, size_t max_problems = 100,
                                bool require_setting = true, size_t memory_bytes = 32 << 20);

// The same checks over records handed in one at a time, in any order: how a
// load verifies what it sends without reading it back. No repairs are
// proposed (there is no snapshot to read a record's value from).
class StreamChecker {
 public:
  virtual ~StreamChecker() = default;
  virtual Status Add(const RecordKey& key, std::string_view value) = 0;
  virtual Result<CheckReport> Finish() = 0;
};
std::unique_ptr<StreamChecker> NewStreamChecker(size_t max_problems = 100,
                                                bool require_setting = true,
                                                size_t memory_bytes = 32 << 20);

struct RepairResult {
  std::vector<std::string> applied;
  std::vector<std::string> skipped;  // the record changed since the check
};
// Applies each repair only if its record still holds the value the check saw
// (a volume in use may have moved on; rerun check then).
Result<RepairResult> ApplyRepairs(Meta* meta, const std::vector<Repair>& repairs);

}  // namespace jfsbr
