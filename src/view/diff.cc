// DiffTrees: a merge of two trees by path, then a join by inode of what only
// one side has.
#include "view/diff.h"

#include "util/json.h"
#include "view/sorted_spill.h"

namespace jfsbr {
namespace {

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The spilled entries of one inode, and what they become.
class InodeJoin {
 public:
  explicit InodeJoin(const std::function<Status(const DiffEntry&)>& fn, DiffStats* stats)
      : fn_(fn), stats_(stats) {}

  Status Add(uint64_t ino, std::string_view payload) {
    if (ino != ino_) JFS_RETURN_IF_ERROR(Flush());
    ino_ = ino;
    JFS_ASSIGN_OR_RETURN(TreeNode n, DecodeTreeNode(payload.substr(1)));
    (payload[0] == 'A' ? lost_ : gained_).push_back(std::move(n));
    return Status::OK();
  }

  // Pairs what one side lost with what the other gained (hard links: in
  // order, the same names first).
  Status Flush() {
    for (auto it = lost_.begin(); it != lost_.end();) {
      auto same = std::find_if(gained_.begin(), gained_.end(), [&](const TreeNode& g) {
        return BaseName(g.path) == BaseName(it->path) && g.parent == it->parent;
      });
      if (same == gained_.end()) {
        ++it;
        continue;
      }
      JFS_RETURN_IF_ERROR(Pair(*it, *same));
      gained_.erase(same);
      it = lost_.erase(it);
    }
    size_t pairs = std::min(lost_.size(), gained_.size());
    for (size_t i = 0; i < pairs; i++) JFS_RETURN_IF_ERROR(Pair(lost_[i], gained_[i]));
    for (size_t i = pairs; i < lost_.size(); i++) {
      stats_->removed++;
      JFS_RETURN_IF_ERROR(Emit(DiffEntry::Op::kRemoved, lost_[i], {}, {}));
    }
    for (size_t i = pairs; i < gained_.size(); i++) {
      stats_->added++;
      JFS_RETURN_IF_ERROR(Emit(DiffEntry::Op::kAdded, gained_[i], {}, {}));
    }
    lost_.clear();
    gained_.clear();
    return Status::OK();
  }

 private:
  // An entry that kept its name and directory moved only with a directory
  // above it: its own changes only.
  Status Pair(const TreeNode& a, const TreeNode& b) {
    auto what = NodeChanges(a, b);
    if (BaseName(a.path) == BaseName(b.path) && a.parent == b.parent) {
      if (what.empty()) return Status::OK();
      stats_->changed++;
      return Emit(DiffEntry::Op::kChanged, b, {}, std::move(what));
    }
    stats_->renamed++;
    return Emit(DiffEntry::Op::kRenamed, b, a.path, std::move(what));
  }
  Status Emit(DiffEntry::Op op, const TreeNode& n, std::string from,
              std::vector<std::string> what) {
    DiffEntry e;
    e.op = op;
    e.path = n.path;
    e.from = std::move(from);
    e.type = n.attr.type;
    e.ino = n.ino;
    e.what = std::move(what);
    return fn_(e);
  }

  const std::function<Status(const DiffEntry&)>& fn_;
  DiffStats* stats_;
  uint64_t ino_ = 0;
  std::vector<TreeNode> lost_, gained_;
};

}  // namespace

std::vector<std::string> NodeChanges(const TreeNode& a, const TreeNode& b) {
  std::vector<std::string> w;
  const Attr &x = a.attr, &y = b.attr;
  if (x.type != y.type) w.push_back("type");
  if (a.content != b.content) w.push_back("content");
  if (x.length != y.length) w.push_back("size");
  if (x.mode != y.mode) w.push_back("mode");
  if (x.uid != y.uid || x.gid != y.gid) w.push_back("owner");
  if (x.mtime != y.mtime || x.mtimensec != y.mtimensec) w.push_back("mtime");
  if (x.ctime != y.ctime || x.ctimensec != y.ctimensec) w.push_back("ctime");
  if (x.atime != y.atime || x.atimensec != y.atimensec) w.push_back("atime");
  if (a.xattrs != b.xattrs) w.push_back("xattrs");
  if (a.acl != b.acl) w.push_back("acl");
  if (a.target != b.target) w.push_back("target");
  if (x.nlink != y.nlink) w.push_back("links");
  if (x.flags != y.flags) w.push_back("flags");
  if (x.rdev != y.rdev) w.push_back("rdev");
  return w;
}

Result<DiffStats> DiffTrees(TreeReader* a, TreeReader* b, const DiffOptions& o,
                            const std::function<Status(const DiffEntry&)>& fn) {
  DiffStats stats;
  SortedSpill spill(o.scratch_dir, o.memory_bytes);
  auto only = [&](char side, const TreeNode& n) {
    return spill.Add(n.ino, std::string(1, side) + EncodeTreeNode(n));
  };
  TreeNode x, y;
  uint64_t steps = 0;
  JFS_ASSIGN_OR_RETURN(bool has_a, a->Next(&x));
  JFS_ASSIGN_OR_RETURN(bool has_b, b->Next(&y));
  while (has_a || has_b) {
    int c = !has_a ? 1 : !has_b ? -1 : CompareTreePaths(x.path, y.path);
    if (c == 0 && x.ino == y.ino) {
      auto what = NodeChanges(x, y);
      if (!what.empty()) {
        stats.changed++;
        DiffEntry e;
        e.path = y.path;
        e.type = y.attr.type;
        e.ino = y.ino;
        e.what = std::move(what);
        JFS_RETURN_IF_ERROR(fn(e));
      }
    } else {
      if (c <= 0) JFS_RETURN_IF_ERROR(only('A', x));
      if (c >= 0) JFS_RETURN_IF_ERROR(only('B', y));
    }
    if (c <= 0) JFS_ASSIGN_OR_RETURN(has_a, a->Next(&x));
    if (c >= 0) JFS_ASSIGN_OR_RETURN(has_b, b->Next(&y));
    if (o.progress && ++steps % 4096 == 0) o.progress(a->entries() + b->entries());
  }
  InodeJoin join(fn, &stats);
  JFS_RETURN_IF_ERROR(
      spill.ForEach([&](uint64_t ino, std::string_view p) { return join.Add(ino, p); }));
  JFS_RETURN_IF_ERROR(join.Flush());
  stats.a_entries = a->entries();
  stats.b_entries = b->entries();
  stats.spilled_bytes = spill.spilled_bytes();
  return stats;
}

namespace {

const char* OpName(DiffEntry::Op op) {
  switch (op) {
    case DiffEntry::Op::kAdded:
      return "added";
    case DiffEntry::Op::kRemoved:
      return "removed";
    case DiffEntry::Op::kRenamed:
      return "renamed";
    default:
      return "changed";
  }
}

std::string Shown(const std::string& path, FileType t) {
  return t == FileType::kDirectory && path != "/" ? path + "/" : path;
}

}  // namespace

std::string DiffEntryText(const DiffEntry& e) {
  static const char kMark[] = {'+', '-', 'M', 'R'};
  std::string s(1, kMark[static_cast<int>(e.op)]);
  s += ' ';
  if (e.op == DiffEntry::Op::kRenamed) s += Shown(e.from, e.type) + " -> ";
  s += Shown(e.path, e.type);
  if (!e.what.empty()) {
    s += " (";
    for (size_t i = 0; i < e.what.size(); i++) s += (i ? ", " : "") + e.what[i];
    s += ")";
  }
  return s;
}

std::string DiffEntryJson(const DiffEntry& e) {
  std::string s = "{\"op\":\"";
  s += OpName(e.op);
  s += "\",\"path\":";
  AppendGoQuoted(&s, e.path);
  if (e.op == DiffEntry::Op::kRenamed) {
    s += ",\"from\":";
    AppendGoQuoted(&s, e.from);
  }
  s += ",\"type\":\"" + std::string(FileTypeName(e.type)) + "\",\"inode\":" + std::to_string(e.ino);
  if (e.op == DiffEntry::Op::kChanged || e.op == DiffEntry::Op::kRenamed) {
    s += ",\"changes\":[";
    for (size_t i = 0; i < e.what.size(); i++) s += (i ? ",\"" : "\"") + e.what[i] + "\"";
    s += "]";
  }
  s += "}";
  return s;
}

}  // namespace jfsbr
