// Reading what a dump needs of an inode: from a snapshot or from the spill.
#include "dump/node.h"

#include "util/coding.h"

namespace jfsbr {

Result<std::optional<AclRule>> AclCache::Get(uint32_t id) {
  if (id == 0) return std::optional<AclRule>();
  {
    std::lock_guard l(mu_);
    if (auto it = rules_.find(id); it != rules_.end()) return std::optional<AclRule>(it->second);
  }
  JFS_ASSIGN_OR_RETURN(auto v, reader_->Get(RecordKey::AclRule(id)));
  if (!v) return Status::Corruption("ACL rule " + std::to_string(id) + " is missing");
  JFS_ASSIGN_OR_RETURN(AclRule rule, DecodeAclRule(*v));
  std::lock_guard l(mu_);
  rules_[id] = rule;
  return std::optional<AclRule>(rule);
}

Status AddNodeKey(char type, std::string_view rest, std::string_view v, DumpedNode* n,
                  std::optional<std::string>* attr) {
  switch (type) {
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
      if (!records.ok()) return records.status().Annotate("inode " + std::to_string(n->ino));
      n->chunks.emplace_back(GetBE32(rest.data()), std::move(*records));
      break;
    }
    default:
      break;
  }
  return Status::OK();
}

Status FinishNode(AclCache* acls, FileType type, const std::optional<std::string>& attr,
                  DumpedNode* n) {
  if (attr) {
    auto a = DecodeAttr(*attr);
    if (!a.ok()) return a.status().Annotate("inode " + std::to_string(n->ino));
    n->attr = *a;
  } else {
    // As JuiceFS: a made-up attr of the dentry's type, nlink 1 (2 for a dir).
    n->found = false;
    n->attr = Attr();
    n->attr.type = type;
    n->attr.nlink = type == FileType::kDirectory ? 2 : 1;
  }
  // Only chunks inside the file's length are dumped.
  std::erase_if(n->chunks, [&](const auto& c) {
    return n->attr.type != FileType::kFile || uint64_t{c.first} * kChunkSize >= n->attr.length;
  });
  JFS_ASSIGN_OR_RETURN(n->access_acl, acls->Get(n->attr.access_acl));
  JFS_ASSIGN_OR_RETURN(n->default_acl, acls->Get(n->attr.default_acl));
  return Status::OK();
}

Result<std::vector<DumpedNode>> ReadDumpedNodes(MetaReader* reader, AclCache* acls,
                                                const std::vector<NodeRef>& refs) {
  std::vector<RecordRange> ranges;
  ranges.reserve(refs.size());
  for (const NodeRef& r : refs) {
    ranges.push_back(RecordRange::Node(r.ino, r.type == FileType::kDirectory));
  }
  std::vector<DumpedNode> nodes(refs.size());
  std::vector<std::optional<std::string>> attrs(refs.size());
  for (size_t i = 0; i < refs.size(); i++) nodes[i].ino = refs[i].ino;
  Status bad;
  std::string index;
  JFS_RETURN_IF_ERROR(reader->ScanMany(ranges, [&](size_t i, const RecordKey& k, auto v) {
    if (!bad.ok()) return;
    switch (k.kind) {
      case RecordKind::kAttr:
        bad = AddNodeKey('I', {}, v, &nodes[i], &attrs[i]);
        break;
      case RecordKind::kSymlink:
        bad = AddNodeKey('S', {}, v, &nodes[i], &attrs[i]);
        break;
      case RecordKind::kXattr:
        bad = AddNodeKey('X', k.name, v, &nodes[i], &attrs[i]);
        break;
      case RecordKind::kChunk:
        index.clear();
        PutBE32(&index, k.index);
        bad = AddNodeKey('C', index, v, &nodes[i], &attrs[i]);
        break;
      default:
        break;
    }
  }));
  JFS_RETURN_IF_ERROR(bad);
  for (size_t i = 0; i < refs.size(); i++) {
    JFS_RETURN_IF_ERROR(FinishNode(acls, refs[i].type, attrs[i], &nodes[i]));
  }
  return nodes;
}

}  // namespace jfsbr
