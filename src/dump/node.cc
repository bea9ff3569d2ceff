#include "dump/node.h"

#include "model/keys.h"

namespace jfsbr {

Result<std::optional<AclRule>> AclCache::Get(uint32_t id) {
  if (id == 0) return std::optional<AclRule>();
  {
    std::lock_guard l(mu_);
    if (auto it = rules_.find(id); it != rules_.end()) return std::optional<AclRule>(it->second);
  }
  JFS_ASSIGN_OR_RETURN(auto v, reader_->Get(keys::AclRule(id)));
  if (!v) return Status::Corruption("ACL rule " + std::to_string(id) + " is missing");
  JFS_ASSIGN_OR_RETURN(AclRule rule, DecodeAclRule(*v));
  std::lock_guard l(mu_);
  rules_[id] = rule;
  return std::optional<AclRule>(rule);
}

namespace {

// One pass over the inode's keys: C (chunks), I (attr), S (symlink), X
// (xattrs). Directories start at I, skipping their D (entry) keys.
Status ScanInode(KvCursor* cur, Ino ino, bool is_dir, DumpedNode* n,
                 std::optional<std::string>* attr) {
  std::string prefix = keys::InodePrefix(ino);
  cur->Seek(is_dir ? keys::Attr(ino) : prefix);
  for (; cur->Valid(); cur->Next()) {
    std::string_view k = cur->key(), v = cur->value();
    if (k.substr(0, prefix.size()) != prefix) break;
    if (k.size() < 10) continue;
    std::string_view rest = k.substr(10);
    switch (k[9]) {
      case 'I':
        if (rest.empty()) *attr = std::string(v);
        break;
      case 'S':
        if (rest.empty()) n->symlink = std::string(v);
        break;
      case 'X':
        n->xattrs.emplace_back(std::string(rest), std::string(v));
        break;
      case 'C': {
        if (rest.size() != 4) break;
        auto records = DecodeChunk(v);
        if (!records.ok()) return records.status().Annotate("inode " + std::to_string(ino));
        n->chunks.emplace_back(keys::Parse(k).index, std::move(*records));
        break;
      }
      default:
        break;
    }
  }
  return cur->status();
}

}  // namespace

Result<DumpedNode> ReadDumpedNode(KvCursor* cursor, AclCache* acls, Ino ino, FileType type) {
  DumpedNode n;
  n.ino = ino;
  std::optional<std::string> attr;
  JFS_RETURN_IF_ERROR(ScanInode(cursor, ino, type == FileType::kDirectory, &n, &attr));
  if (attr) {
    auto a = DecodeAttr(*attr);
    if (!a.ok()) return a.status().Annotate("inode " + std::to_string(ino));
    n.attr = *a;
  } else {
    // As JuiceFS: a made-up attr of the dentry's type, nlink 1 (2 for a dir).
    n.found = false;
    n.attr = Attr();
    n.attr.type = type;
    n.attr.nlink = type == FileType::kDirectory ? 2 : 1;
  }
  // Only chunks inside the file's length are dumped.
  std::erase_if(n.chunks, [&](const auto& c) {
    return n.attr.type != FileType::kFile || uint64_t{c.first} * kChunkSize >= n.attr.length;
  });
  JFS_ASSIGN_OR_RETURN(n.access_acl, acls->Get(n.attr.access_acl));
  JFS_ASSIGN_OR_RETURN(n.default_acl, acls->Get(n.attr.default_acl));
  return n;
}

}  // namespace jfsbr
