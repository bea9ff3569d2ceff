// diff: what changed between two states of a volume, from their trees alone
// (slices name the data: content is compared by the slices and objects a
// file is made of, never by reading the data).
//
// Both trees are read once, in the dump's order, and merged by path: an
// entry at the same path with the same inode is compared field by field; an
// entry only one side has is spilled (SortedSpill, bounded memory) and, once
// both trees are read, the two sides' spilled entries are paired by inode
// number: a pair is a rename (or a move), unless the entry kept its name and
// directory and only a directory above it was renamed, in which case only
// its own changes are reported. Memory: the trees' depth and the spill's
// budget.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "view/tree_reader.h"

namespace jfsbr {

struct DiffEntry {
  enum class Op { kAdded, kRemoved, kChanged, kRenamed };
  Op op = Op::kChanged;
  std::string path;  // where it is in B (in A when removed)
  std::string from;  // kRenamed: where it was in A
  FileType type = FileType::kFile;
  Ino ino = 0;
  // kChanged, kRenamed: what differs, of: type, content, size, mode, owner,
  // mtime, ctime, atime, xattrs, acl, target, links, flags, rdev.
  std::vector<std::string> what;
};

struct DiffStats {
  uint64_t a_entries = 0, b_entries = 0;
  uint64_t added = 0, removed = 0, changed = 0, renamed = 0;
  uint64_t spilled_bytes = 0;
};

struct DiffOptions {
  std::string scratch_dir = "/tmp";  // the spill's temporary file
  size_t memory_bytes = 64 << 20;    // the spill's budget
  // Called now and then with the entries read from both sides so far.
  std::function<void(uint64_t entries)> progress;
};

// What differs between two states of one entry (the `what` names above).
std::vector<std::string> NodeChanges(const TreeNode& a, const TreeNode& b);

// Compares the trees a and b read; fn gets every difference: changes at the
// same path in tree order first, then renames, removals and additions by
// inode number.
Result<DiffStats> DiffTrees(TreeReader* a, TreeReader* b, const DiffOptions& o,
                            const std::function<Status(const DiffEntry&)>& fn);

// One line for people ("+ /a", "- /a", "M /a (content, mtime)",
// "R /a -> /b"), and one JSON object (docs/format/diff.md).
std::string DiffEntryText(const DiffEntry& e);
std::string DiffEntryJson(const DiffEntry& e);

}  // namespace jfsbr
