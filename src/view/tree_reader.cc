// TreeReader: an explicit stack of open "entries" objects over a pull parser.
#include "view/tree_reader.h"

#include "dump/escape.h"
#include "dump/json_entry.h"
#include "util/coding.h"

namespace jfsbr {
namespace {

// FNV-1a, 64 bits: digests compared within one run, never stored.
struct Digest {
  uint64_t h = 14695981039346656037ull;
  void Add(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  }
  void Add(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; i++) b[i] = static_cast<char>(v >> (8 * i));
    Add(std::string_view(b, 8));
  }
};

std::string Child(const std::string& dir, std::string_view name) {
  std::string p = dir;
  if (p != "/") p.push_back('/');
  p.append(name);
  return p;
}

}  // namespace

int CompareTreePaths(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; i++) {
    if (a[i] == b[i]) continue;
    // The end of a component sorts before any byte of a longer name.
    unsigned ca = a[i] == '/' ? 0 : static_cast<unsigned char>(a[i]) + 1;
    unsigned cb = b[i] == '/' ? 0 : static_cast<unsigned char>(b[i]) + 1;
    return ca < cb ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

std::string EncodeTreeNode(const TreeNode& n) {
  std::string out;
  PutBE64(&out, n.ino);
  PutBE64(&out, n.parent);
  PutBE64(&out, n.content);
  PutBE64(&out, n.xattrs);
  PutBE64(&out, n.acl);
  std::string attr = EncodeAttr(n.attr);
  PutBE16(&out, static_cast<uint16_t>(attr.size()));
  out += attr;
  PutBE32(&out, static_cast<uint32_t>(n.target.size()));
  out += n.target;
  out += n.path;
  return out;
}

Result<TreeNode> DecodeTreeNode(std::string_view s) {
  TreeNode n;
  BEReader r(s);
  auto bad = [] { return Status::Corruption("a damaged diff spill record"); };
  if (r.remaining() < 42) return bad();
  n.ino = r.U64();
  n.parent = r.U64();
  n.content = r.U64();
  n.xattrs = r.U64();
  n.acl = r.U64();
  size_t alen = r.U16();
  if (r.remaining() < alen + 4) return bad();
  size_t at = s.size() - r.remaining();
  JFS_ASSIGN_OR_RETURN(n.attr, DecodeAttr(s.substr(at, alen)));
  r.Skip(alen);
  size_t tlen = r.U32();
  if (r.remaining() < tlen) return bad();
  at = s.size() - r.remaining();
  n.target = std::string(s.substr(at, tlen));
  n.path = std::string(s.substr(at + tlen));
  return n;
}

TreeReader::TreeReader(Source* in, std::string root, std::string dir, std::string name)
    : r_(in), root_(std::move(root)), dir_(std::move(dir)), name_(std::move(name)) {}

Result<bool> TreeReader::Next(TreeNode* node) {
  auto r = Step(node);
  if (!r.ok()) return r.status().Annotate(name_);
  return r;
}

TreeReader::Relation TreeReader::Relate(const std::string& path) const {
  if (dir_ == "/" || path == dir_) return Relation::kInside;
  if (path.size() > dir_.size() && path.compare(0, dir_.size(), dir_) == 0 &&
      path[dir_.size()] == '/') {
    return Relation::kInside;
  }
  if (path == "/" || (dir_.size() > path.size() && dir_.compare(0, path.size(), path) == 0 &&
                      dir_[path.size()] == '/')) {
    return Relation::kAncestor;
  }
  return Relation::kOutside;
}

Status TreeReader::Start() {
  started_ = true;
  JFS_RETURN_IF_ERROR(r_.BeginObject());
  std::string name;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r_.NextMember(&name));
    if (!more) return Status::Corruption("the dump has no FSTree");
    if (name == "FSTree") break;
    JFS_RETURN_IF_ERROR(r_.Skip());
  }
  return Status::OK();
}

Status TreeReader::ReadEntry(const std::string& path, Ino parent, TreeNode* node) {
  *node = TreeNode{};
  node->path = path;
  node->parent = parent;
  Digest content, xattrs, acl;
  bool have_attr = false;
  JFS_RETURN_IF_ERROR(r_.BeginObject());
  std::string key;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r_.NextMember(&key));
    if (!more) break;
    if (key == "attr") {
      JFS_RETURN_IF_ERROR(ReadJsonAttr(r_, &node->attr, &node->ino));
      have_attr = true;
    } else if (key == "chunks") {
      JFS_RETURN_IF_ERROR(ReadJsonChunks(r_, [&](uint32_t index, std::vector<SliceRecord> slices) {
        content.Add(index);
        for (const SliceRecord& s : slices) {
          content.Add(s.id), content.Add(s.pos), content.Add(s.size);
          content.Add(s.off), content.Add(s.len);
        }
        return Status::OK();
      }));
    } else if (key == "xattrs") {
      JFS_RETURN_IF_ERROR(ReadJsonXattrs(r_, [&](std::string name, std::string value) {
        xattrs.Add(name.size()), xattrs.Add(name), xattrs.Add(value.size()), xattrs.Add(value);
        return Status::OK();
      }));
    } else if (key == "posix_acl_access" || key == "posix_acl_default") {
      JFS_ASSIGN_OR_RETURN(std::string rule, ReadJsonAcl(r_));
      acl.Add(key), acl.Add(rule.size()), acl.Add(rule);
    } else if (key == "symlink") {
      JFS_ASSIGN_OR_RETURN(std::string t, r_.String());
      node->target = Unescape(t);
    } else if (key == "entries") {
      if (!have_attr) return r_.Error("\"attr\" before \"entries\"");
      JFS_RETURN_IF_ERROR(r_.BeginObject());
      stack_.push_back({path, node->ino});
      break;
    } else {
      JFS_RETURN_IF_ERROR(r_.Skip());
    }
  }
  if (!have_attr) return r_.Error("an \"attr\" in every entry");
  node->content = content.h;
  node->xattrs = xattrs.h;
  node->acl = acl.h;
  return Status::OK();
}

Status TreeReader::FinishObject() {
  std::string key;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r_.NextMember(&key));
    if (!more) return Status::OK();
    JFS_RETURN_IF_ERROR(r_.Skip());
  }
}

Result<bool> TreeReader::Step(TreeNode* node) {
  if (!started_) {
    JFS_RETURN_IF_ERROR(Start());
    Relation rel = Relate(root_);
    if (rel == Relation::kOutside) {
      return Status::NotFound(dir_ + " is not within the dump's tree (" + root_ + ")");
    }
    JFS_RETURN_IF_ERROR(ReadEntry(root_, 0, node));
    if (rel == Relation::kInside) {
      found_ = true;
      entries_++;
      return true;
    }
  }
  while (!stack_.empty()) {
    std::string name;
    JFS_ASSIGN_OR_RETURN(bool more, r_.NextMember(&name));
    if (!more) {  // the directory's entries are done; then the rest of its object
      stack_.pop_back();
      JFS_RETURN_IF_ERROR(FinishObject());
      continue;
    }
    std::string path = Child(stack_.back().path, Unescape(name));
    Ino parent = stack_.back().ino;
    Relation rel = Relate(path);
    if (rel == Relation::kOutside) {
      JFS_RETURN_IF_ERROR(r_.Skip());
      continue;
    }
    JFS_RETURN_IF_ERROR(ReadEntry(path, parent, node));
    if (rel == Relation::kInside) {
      found_ = true;
      entries_++;
      return true;
    }
  }
  if (!found_) return Status::NotFound("no directory " + dir_ + " in it");
  return false;
}

}  // namespace jfsbr
