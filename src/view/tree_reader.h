// Walking a JSON dump's tree (JuiceFS's format) one entry at a time, in the
// dump's order: a directory, then its entries by name, each directory's
// subtree before its next sibling. That order is the same for every dump of
// every engine, so two dumps can be merged by path (diff). Memory is the
// depth of the tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dump/json_reader.h"
#include "model/attr.h"

namespace jfsbr {

// One entry as diff compares it: what it is, and digests of what it holds.
struct TreeNode {
  std::string path;  // "/a/b" (names as stored, unescaped); "/" for the root
  Ino ino = 0;
  Ino parent = 0;  // the inode of the directory it is an entry of (0: the top)
  Attr attr;
  std::string target;    // a symlink's
  uint64_t content = 0;  // digest of the chunks' slices (what names the data)
  uint64_t xattrs = 0;   // digest of the xattrs' names and values
  uint64_t acl = 0;      // digest of the POSIX ACL rules
};

// -1, 0, 1 as a before, equal to or after b in the dump's order: by
// component, so "/a/x" (in "a") comes before "/a-b".
int CompareTreePaths(std::string_view a, std::string_view b);

// Bytes for a spill, and back.
std::string EncodeTreeNode(const TreeNode& n);
Result<TreeNode> DecodeTreeNode(std::string_view s);

class TreeReader {
 public:
  // in: a JSON dump whose FSTree is the directory `root`; only dir and what
  // is under it is returned (kNotFound at the end if the dump has no dir).
  // Errors name the dump as `name`.
  TreeReader(Source* in, std::string root, std::string dir, std::string name);

  // The next entry, false after the last.
  Result<bool> Next(TreeNode* node);
  uint64_t entries() const { return entries_; }

 private:
  struct Frame {
    std::string path;
    Ino ino;
  };
  enum class Relation { kInside, kAncestor, kOutside };
  Relation Relate(const std::string& path) const;
  Status Start();
  // Reads an entry object at path; a directory's entries are then open.
  Status ReadEntry(const std::string& path, Ino parent, TreeNode* node);
  Status FinishObject();
  Result<bool> Step(TreeNode* node);

  JsonReader r_;
  std::string root_, dir_, name_;
  bool started_ = false, found_ = false;
  std::vector<Frame> stack_;
  uint64_t entries_ = 0;
};

}  // namespace jfsbr
