// Reading what a dump needs of one inode from a snapshot: its attr,
// xattrs, ACL rules, symlink target and chunks (juicefs-formats.md §3.2).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meta/meta.h"
#include "model/attr.h"
#include "model/records.h"

namespace jfsbr {

struct DumpedNode {
  Ino ino = 0;
  bool found = true;  // false: the dentry points to no attr (the attr is made up)
  Attr attr;
  std::string symlink;
  std::vector<std::pair<std::string, std::string>> xattrs;  // sorted by name
  std::optional<AclRule> access_acl, default_acl;
  std::vector<std::pair<uint32_t, std::vector<SliceRecord>>> chunks;  // index < length/64 MiB
};

// ACL rules by id, read once each from the snapshot. Thread-safe.
class AclCache {
 public:
  explicit AclCache(MetaReader* reader) : reader_(reader) {}
  Result<std::optional<AclRule>> Get(uint32_t id);

 private:
  MetaReader* reader_;
  std::mutex mu_;
  std::map<uint32_t, AclRule> rules_;
};

struct NodeRef {
  Ino ino;
  FileType type;  // what the dentry says
};

// Adds one of an inode's records as the dump's spill files it (a type letter,
// what names it within the inode, the value): C (chunk; rest: the index
// BE32), I (attr, kept in *attr), S (symlink), X (xattr; rest: its name);
// others are ignored.
Status AddNodeKey(char type, std::string_view rest, std::string_view value, DumpedNode* n,
                  std::optional<std::string>* attr);
// Completes n once its keys are added: decodes the attr (or makes one up of
// the dentry's type, as JuiceFS does, when there is none), drops the chunks
// past the length and looks up the ACL rules.
Status FinishNode(AclCache* acls, FileType type, const std::optional<std::string>& attr,
                  DumpedNode* n);

// Reads the inodes refs name from reader (a dump's snapshot) in one
// ScanMany. Directories' entries are not read here (they are streamed
// separately).
Result<std::vector<DumpedNode>> ReadDumpedNodes(MetaReader* reader, AclCache* acls,
                                                const std::vector<NodeRef>& refs);

}  // namespace jfsbr
