// check: every record of a snapshot read once, then the invariants verified on
// sorted arrays; repairs applied conditionally.
#include "fs/check.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "model/attr.h"
#include "model/records.h"
#include "model/setting.h"

namespace jfsbr {
namespace {

struct Node {
  Ino ino;
  Ino parent;
  uint64_t length;
  uint32_t nlink;
  FileType type;
};

struct Edge {
  Ino child;
  Ino parent;
  FileType type;
};

// One use of a slice: by a chunk record, or by a delayed-slices (L) record,
// which holds a ref until it expires (JuiceFS's compaction on a volume with
// trash keeps the replaced slices' refs until then).
struct SliceRef {
  uint64_t id;
  uint32_t size;
  bool delayed;
  bool operator<(const SliceRef& o) const { return std::tie(id, size) < std::tie(o.id, o.size); }
  bool Same(const SliceRef& o) const { return id == o.id && size == o.size; }
};

class Checker {
 public:
  Checker(MetaReader* r, size_t max, bool require_setting)
      : r_(r), max_(max), require_setting_(require_setting) {}

  Result<CheckReport> Run() {
    JFS_RETURN_IF_ERROR(Collect());
    if (!has_setting_ && require_setting_) {
      Problem("no volume setting: this is not a complete volume");
    }
    std::sort(nodes_.begin(), nodes_.end(), [](auto& a, auto& b) { return a.ino < b.ino; });
    std::sort(edges_.begin(), edges_.end(), [](auto& a, auto& b) {
      return std::tie(a.child, a.parent) < std::tie(b.child, b.parent);
    });
    std::sort(refs_.begin(), refs_.end());
    CheckEntries();
    CheckNodes();
    CheckDirs();
    CheckRefs();
    CheckCounters();
    report_.inodes = nodes_.size();
    report_.entries = edges_.size();
    return report_;
  }

 private:
  void Problem(std::string line) {
    if (report_.problem_count++ < max_) report_.problems.push_back(std::move(line));
  }
  void Warning(std::string line) {
    if (report_.warning_count++ < max_) report_.warnings.push_back(std::move(line));
  }

  // Proposes writing `fixed` (nullopt: deleting) at key.
  void Propose(RecordKey key, std::optional<std::string> fixed, std::string what) {
    auto seen = r_->Get(key);
    if (seen.ok()) report_.repairs.push_back({std::move(key), *seen, std::move(fixed), what});
  }

  void ProposeNlink(Ino ino, uint32_t nlink) {
    auto v = r_->Get(RecordKey::Attr(ino));
    if (!v.ok() || !*v) return;
    auto a = DecodeAttr(**v);
    if (!a.ok()) return;
    uint32_t old = a->nlink;
    a->nlink = nlink;
    report_.repairs.push_back({RecordKey::Attr(ino), *v, EncodeAttr(*a),
                               "inode " + std::to_string(ino) + ": nlink " + std::to_string(old) +
                                   " -> " + std::to_string(nlink)});
  }

  Status Collect() {
    // Sized from the inode counter up front: grown by doubling instead, the
    // arrays would briefly hold both copies (measured +10 MiB at 1.1 M inodes).
    JFS_ASSIGN_OR_RETURN(auto total, r_->Get(RecordKey::Counter("totalInodes")));
    if (total && total->size() == 8) {
      auto n = static_cast<size_t>(std::clamp<int64_t>(*DecodeCounterLE(*total), 0, 1 << 26));
      nodes_.reserve(n + n / 64 + 16);
      edges_.reserve(n + n / 64 + 16);
      refs_.reserve(n + n / 64 + 16);
    }
    Status bad;
    JFS_RETURN_IF_ERROR(r_->Scan(RecordRange::All(), [&](const RecordKey& k, std::string_view v) {
      bad = OnRecord(k, v);
      return bad.ok();
    }));
    return bad;
  }

  Status OnRecord(const RecordKey& p, std::string_view v) {
    using K = RecordKind;
    switch (p.kind) {
      case K::kSetting: {
        auto f = DecodeSetting(v);
        if (!f.ok()) return f.status();
        dir_stats_ = f->dir_stats;
        has_setting_ = true;
        break;
      }
      case K::kCounter:
        if (!IsTimestampCounter(p.name) && v.size() == 8) counters_[p.name] = *DecodeCounterLE(v);
        break;
      case K::kAttr: {
        auto a = DecodeAttr(v);
        if (!a.ok()) {
          Problem("inode " + std::to_string(p.ino) + ": " + a.status().message());
          break;
        }
        nodes_.push_back({p.ino, a->parent, a->length, a->nlink, a->type});
        break;
      }
      case K::kEntry: {
        auto d = DecodeDentry(v);
        if (!d.ok()) {
          Problem("entry in dir " + std::to_string(p.ino) + ": " + d.status().message());
          break;
        }
        edges_.push_back({d->ino, p.ino, d->type});
        break;
      }
      case K::kParent:
        parent_counters_[{p.ino, p.other}] = v.size() == 8 ? *DecodeCounterLE(v) : -1;
        break;
      case K::kChunk: {
        auto records = DecodeChunk(v);
        if (!records.ok()) {
          Problem("inode " + std::to_string(p.ino) + " chunk " + std::to_string(p.index) + ": " +
                  records.status().message());
          break;
        }
        for (const auto& r : *records) {
          if (r.id == 0) continue;
          refs_.push_back({r.id, r.size, false});
          max_slice_ = std::max(max_slice_, r.id);
        }
        break;
      }
      case K::kDelayedSlices: {
        auto slices = DecodeDelayedSlices(v);
        if (!slices.ok()) {
          Problem("delayed slices at " + std::to_string(p.ts) + ": " + slices.status().message());
          break;
        }
        for (const auto& s : *slices) refs_.push_back({s.id, s.size, true});
        break;
      }
      case K::kDetached:
        detached_.push_back(p.ino);
        break;
      case K::kDirStat:
        if (auto s = DecodeDirStat(v); s.ok())
          dir_stat_[p.ino] = *s;
        else
          Problem("dir " + std::to_string(p.ino) + " usage record: " + s.status().message());
        break;
      case K::kSliceRef:
        if (v.size() == 8) k_refs_[{p.id, p.index}] = *DecodeCounterLE(v);
        break;
      case K::kSustained:
        sustained_.push_back(p.ino);
        break;
      default:
        break;
    }
    return Status::OK();
  }

  const Node* FindNode(Ino ino) const {
    auto it = std::lower_bound(nodes_.begin(), nodes_.end(), ino,
                               [](const Node& n, Ino i) { return n.ino < i; });
    return it != nodes_.end() && it->ino == ino ? &*it : nullptr;
  }

  // Every entry points to an attr of the entry's type.
  void CheckEntries() {
    for (const Edge& e : edges_) {
      const Node* n = FindNode(e.child);
      if (n == nullptr) {
        Problem("dir " + std::to_string(e.parent) + " has an entry for inode " +
                std::to_string(e.child) + ", which has no attr");
      } else if (n->type != e.type) {
        Problem("dir " + std::to_string(e.parent) + " says inode " + std::to_string(e.child) +
                " is a " + std::string(FileTypeName(e.type)) + ", its attr says " +
                std::string(FileTypeName(n->type)));
      }
    }
  }

  // nlink, reachability and hard-link parents of every inode.
  void CheckNodes() {
    size_t e = 0;
    for (const Node& n : nodes_) {
      while (e < edges_.size() && edges_[e].child < n.ino) e++;
      std::map<Ino, int64_t> links;  // parent -> entries
      size_t count = 0;
      for (size_t j = e; j < edges_.size() && edges_[j].child == n.ino; j++, count++) {
        links[edges_[j].parent]++;
      }
      std::string id = "inode " + std::to_string(n.ino);
      bool special = n.ino == kRootInode || n.ino == kTrashInode;
      if (count == 0 && !special &&
          std::find(sustained_.begin(), sustained_.end(), n.ino) == sustained_.end()) {
        if (std::find(detached_.begin(), detached_.end(), n.ino) != detached_.end()) {
          Warning(id +
                  " is detached: the top of a clone that did not finish (gc --delete "
                  "removes it after a day)");
        } else {
          Problem(id + " is not reachable: no entry names it");
        }
      }
      if (n.type != FileType::kDirectory) {
        if (n.nlink != count && count > 0) {
          Problem(id + " has nlink " + std::to_string(n.nlink) + " but " + std::to_string(count) +
                  " entries");
          ProposeNlink(n.ino, static_cast<uint32_t>(count));
        }
        CheckParents(n, links, id);
      } else if (count > 1) {
        Problem(id + " is a directory with " + std::to_string(count) + " entries");
      } else if (count == 1 && !special && links.begin()->first != n.parent) {
        Problem(id + " is in dir " + std::to_string(links.begin()->first) +
                " but its parent field says " + std::to_string(n.parent));
      }
    }
  }

  void CheckParents(const Node& n, const std::map<Ino, int64_t>& links, const std::string& id) {
    if (n.parent > 0) {
      if (links.size() == 1 && links.begin()->second == 1 && links.begin()->first != n.parent) {
        Problem(id + " is in dir " + std::to_string(links.begin()->first) +
                " but its parent field says " + std::to_string(n.parent));
      } else if (links.size() > 1 || (links.size() == 1 && links.begin()->second > 1)) {
        Problem(id + " has several links but a parent field (" + std::to_string(n.parent) +
                ") instead of parent counters");
      }
      return;
    }
    for (const auto& [p, c] : links) {
      auto it = parent_counters_.find({n.ino, p});
      int64_t have = it == parent_counters_.end() ? 0 : it->second;
      if (have != c) {
        Problem(id + " has " + std::to_string(c) + " entries in dir " + std::to_string(p) +
                " but its parent counter says " + std::to_string(have));
        Propose(RecordKey::Parent(n.ino, p), EncodeCounterLE(c),
                id + ": parent counter in dir " + std::to_string(p) + " " + std::to_string(have) +
                    " -> " + std::to_string(c));
      }
    }
  }

  // nlink and the usage record of every directory, from its entries.
  void CheckDirs() {
    std::unordered_map<Ino, DirStat> sums;
    std::unordered_map<Ino, uint32_t> subdirs;
    for (const Edge& e : edges_) {
      const Node* c = FindNode(e.child);
      uint64_t len = c && c->type == FileType::kFile ? c->length : 0;
      DirStat& s = sums[e.parent];
      s.length += static_cast<int64_t>(len);
      s.space += Align4K(len);
      s.inodes++;
      if (e.type == FileType::kDirectory) subdirs[e.parent]++;
    }
    for (const Node& n : nodes_) {
      if (n.type != FileType::kDirectory) continue;
      std::string id = "dir " + std::to_string(n.ino);
      uint32_t want = IsTrashInode(n.ino) ? 2 : 2 + subdirs[n.ino];
      if (n.nlink != want) {
        Problem(id + " has nlink " + std::to_string(n.nlink) + ", want " + std::to_string(want));
        ProposeNlink(n.ino, want);
      }
      if (!dir_stats_) continue;
      auto u = dir_stat_.find(n.ino);
      DirStat want_stat = sums[n.ino];
      bool missing = u == dir_stat_.end();
      if (missing) {
        Warning(id + " has no usage record (U) yet: JuiceFS builds it on first use");
      } else if (!(u->second == want_stat)) {
        Warning(id + " usage record says " + Show(u->second) + ", its entries add up to " +
                Show(want_stat) + " (JuiceFS flushes these in the background)");
      }
      if (missing || !(u->second == want_stat)) {
        Propose(RecordKey::DirStat(n.ino), EncodeDirStat(want_stat),
                id + ": usage record -> " + Show(want_stat));
      }
    }
  }

  static std::string Show(const DirStat& s) {
    return "length " + std::to_string(s.length) + " space " + std::to_string(s.space) + " inodes " +
           std::to_string(s.inodes);
  }

  // Slice refs hold refs-1, where the refs are the chunk records using the slice
  // plus the delayed-slices records listing it. Too few refs is a problem: the
  // slice's objects go when one use drops its ref while others still read
  // them. More refs than uses only keeps objects longer (a binary dump carries
  // K records but not the L records that held them): a warning, never
  // lowered by a repair, since a use we cannot see would then lose data.
  void CheckRefs() {
    for (size_t i = 0; i < refs_.size();) {
      size_t j = i;
      int64_t delayed = 0;
      for (; j < refs_.size() && refs_[j].Same(refs_[i]); j++) delayed += refs_[j].delayed;
      int64_t n = static_cast<int64_t>(j - i);
      const std::string slice = "slice " + std::to_string(refs_[i].id);
      const std::string uses =
          std::to_string(n - delayed) + " times" +
          (delayed > 0 ? " (+" + std::to_string(delayed) + " delayed by a compaction)" : "");
      auto it = k_refs_.find({refs_[i].id, refs_[i].size});
      int64_t have = it == k_refs_.end() ? 0 : it->second;
      if (have < n - 1) {
        Problem(slice + " is used " + uses + " but its ref record says " +
                std::to_string(have + 1));
        Propose(RecordKey::SliceRef(refs_[i].id, refs_[i].size), EncodeCounterLE(n - 1),
                slice + ": refs " + std::to_string(have + 1) + " -> " + std::to_string(n));
      } else if (have > n - 1) {
        Warning(slice + " is used " + uses + " but its ref record says " +
                std::to_string(have + 1) + ": its objects are kept longer than needed");
      }
      if (it != k_refs_.end()) k_refs_.erase(it);
      report_.slices++;
      i = j;
    }
    for (const auto& [k, v] : k_refs_) {
      if (v > 0) {
        Warning("slice " + std::to_string(k.first) + " has " + std::to_string(v + 1) +
                " refs recorded but nothing uses it: its objects are kept");
      }
    }
  }

  void CheckCounters() {
    int64_t space = 0, inodes = 0;
    Ino max_ino = kRootInode;
    for (const Node& n : nodes_) {
      if (n.ino == kRootInode || n.ino == kTrashInode) continue;
      space += Align4K(n.type == FileType::kFile ? n.length : 0);
      inodes++;
      if (!IsTrashInode(n.ino)) max_ino = std::max(max_ino, n.ino);
    }
    auto fix = [&](const char* name, int64_t want) {
      Propose(RecordKey::Counter(name), EncodeCounterLE(want),
              std::string("counter ") + name + " " + std::to_string(counters_[name]) + " -> " +
                  std::to_string(want));
    };
    // JuiceFS adds to these in the background, so they lag after a crash.
    auto expect = [&](const char* name, int64_t want) {
      if (counters_[name] != want) {
        Warning(std::string("counter ") + name + " is " + std::to_string(counters_[name]) +
                ", the volume holds " + std::to_string(want) +
                " (JuiceFS flushes it in the background)");
        fix(name, want);
      }
    };
    expect("usedSpace", space);
    expect("totalInodes", inodes);
    if (counters_["nextInode"] <= static_cast<int64_t>(max_ino)) {
      Problem("counter nextInode is " + std::to_string(counters_["nextInode"]) +
              ", not above inode " + std::to_string(max_ino));
      fix("nextInode", static_cast<int64_t>(max_ino) + 1);
    }
    if (counters_["nextChunk"] <= static_cast<int64_t>(max_slice_)) {
      Problem("counter nextChunk is " + std::to_string(counters_["nextChunk"]) +
              ", not above slice " + std::to_string(max_slice_));
      fix("nextChunk", static_cast<int64_t>(max_slice_) + 1);
    }
  }

  MetaReader* r_;
  size_t max_;
  CheckReport report_;
  bool require_setting_;
  bool dir_stats_ = true, has_setting_ = false;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<SliceRef> refs_;
  std::vector<Ino> sustained_;
  std::vector<Ino> detached_;
  std::map<std::pair<Ino, Ino>, int64_t> parent_counters_;
  std::map<std::pair<uint64_t, uint32_t>, int64_t> k_refs_;
  std::unordered_map<Ino, DirStat> dir_stat_;
  std::map<std::string, int64_t> counters_;
  uint64_t max_slice_ = 0;
};

}  // namespace

Result<CheckReport> CheckVolume(MetaReader* snapshot, size_t max_problems, bool require_setting) {
  return Checker(snapshot, max_problems, require_setting).Run();
}

Result<RepairResult> ApplyRepairs(Meta* meta, const std::vector<Repair>& repairs) {
  RepairResult r;
  for (const auto& fix : repairs) {
    // Conditional on the value the check saw, and not retried: a record
    // that moved on is left to the next check.
    auto tx = meta->Begin();
    JFS_ASSIGN_OR_RETURN(auto now, tx->Get(fix.key));
    if (now != fix.seen) {
      r.skipped.push_back(fix.what);
      continue;
    }
    if (fix.fixed) {
      tx->Put(fix.key, *fix.fixed);
    } else {
      tx->Delete(fix.key);
    }
    Status st = tx->Commit();
    if (st.Is(Code::kConflict)) {
      r.skipped.push_back(fix.what);
    } else if (!st.ok()) {
      return st.Annotate(fix.what);
    } else {
      r.applied.push_back(fix.what);
    }
  }
  return r;
}

}  // namespace jfsbr
