// check: every record of a snapshot (or of a load's stream) read once into
// sorted runs, then the invariants verified by merge joins over them; repairs
// applied conditionally.
//
// Records come in the engine's key order or the dump's, neither the order
// any invariant needs, so each kind goes to an ExternalSorter: attrs by inode,
// entries by child, slice uses and ref records by slice, parent counters by
// inode, usage records by directory. Joining attrs with the entries naming
// them checks types, nlink, parents and reachability, and emits what every
// entry adds to its directory; those sums (by directory) joined with the
// directories and their usage records check dir nlink and usage.
#include "fs/check.h"

#include <algorithm>
#include <map>
#include <optional>

#include "model/attr.h"
#include "model/records.h"
#include "model/setting.h"
#include "util/external_sorter.h"

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

// The uses of a slice: by chunk records, and by delayed-slices (L) records,
// each of which holds a ref until it expires (JuiceFS's compaction on a
// volume with trash keeps the replaced slices' refs until then).
struct SliceUses {
  uint64_t id;
  uint32_t size;
  uint32_t uses;     // chunk records and L records
  uint32_t delayed;  // of which L records
};

// A slice's ref record (K): refs - 1.
struct SliceRefs {
  uint64_t id;
  uint32_t size;
  int64_t extra;
};

// A parent counter (A ino P parent): entries of a hard-linked inode in a dir.
struct ParentCount {
  Ino ino;
  Ino parent;
  int64_t count;
};

// A directory's usage record (U), or what its entries add up to.
struct DirUsage {
  Ino dir;
  DirStat stat;
  uint64_t subdirs;
};

struct ByIno {
  bool operator()(const Node& a, const Node& b) const { return a.ino < b.ino; }
};
struct ByChild {
  bool operator()(const Edge& a, const Edge& b) const {
    return std::tie(a.child, a.parent) < std::tie(b.child, b.parent);
  }
};
struct BySlice {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return std::tie(a.id, a.size) < std::tie(b.id, b.size);
  }
};
struct SumUses {
  bool operator()(SliceUses& into, const SliceUses& u) const {
    if (into.id != u.id || into.size != u.size) return false;
    into.uses += u.uses;
    into.delayed += u.delayed;
    return true;
  }
};
struct ByInoParent {
  bool operator()(const ParentCount& a, const ParentCount& b) const {
    return std::tie(a.ino, a.parent) < std::tie(b.ino, b.parent);
  }
};
struct ByDir {
  bool operator()(const DirUsage& a, const DirUsage& b) const { return a.dir < b.dir; }
};
struct SumUsage {
  bool operator()(DirUsage& into, const DirUsage& u) const {
    if (into.dir != u.dir) return false;
    into.stat.length += u.stat.length;
    into.stat.space += u.stat.space;
    into.stat.inodes += u.stat.inodes;
    into.subdirs += u.subdirs;
    return true;
  }
};

std::string Show(const DirStat& s) {
  return "length " + std::to_string(s.length) + " space " + std::to_string(s.space) + " inodes " +
         std::to_string(s.inodes);
}

// head = the sorter's next record, or nothing at its end (errors: in its
// status(), checked after the loop that reads it).
template <typename Sorter, typename T>
void Advance(Sorter* s, std::optional<T>* head) {
  if (T next; s->Next(&next)) {
    *head = next;
  } else {
    head->reset();
  }
}

// Calls skip(v) for every record of `s` before `key` (by less) and returns
// the one equal to it, if any; `head` carries the first record past it.
template <typename Sorter, typename T, typename Less, typename Skip>
bool SeekTo(Sorter* s, std::optional<T>* head, const T& key, Less less, Skip skip) {
  while (*head && less(**head, key)) {
    skip(**head);
    Advance(s, head);
  }
  return *head && !less(key, **head);
}

class Checker : public StreamChecker {
 public:
  Checker(MetaReader* r, size_t max, bool require_setting, size_t memory)
      : r_(r),
        max_(max),
        require_setting_(require_setting),
        nodes_(memory / 4),
        edges_(memory / 4),
        uses_(memory / 8),
        refs_(memory / 16),
        parents_(memory / 16),
        usage_(memory / 16),
        sums_(memory / 4),
        dirs_(memory / 16) {}

  Result<CheckReport> Run() {
    JFS_RETURN_IF_ERROR(Collect());
    return Finish();
  }

  Status Add(const RecordKey& key, std::string_view value) override { return OnRecord(key, value); }

  Result<CheckReport> Finish() override {
    if (!has_setting_ && require_setting_) {
      Problem("no volume setting: this is not a complete volume");
    }
    std::sort(sustained_.begin(), sustained_.end());
    std::sort(detached_.begin(), detached_.end());
    JFS_RETURN_IF_ERROR(nodes_.Finish());
    JFS_RETURN_IF_ERROR(edges_.Finish());
    JFS_RETURN_IF_ERROR(parents_.Finish());
    JFS_RETURN_IF_ERROR(JoinNodesAndEntries());
    JFS_RETURN_IF_ERROR(CheckDirs());
    JFS_RETURN_IF_ERROR(CheckRefs());
    CheckCounters();
    report_.inodes = nodes_.added();
    report_.entries = edges_.added();
    for (uint64_t b : {nodes_.spilled_bytes(), edges_.spilled_bytes(), uses_.spilled_bytes(),
                       refs_.spilled_bytes(), parents_.spilled_bytes(), usage_.spilled_bytes(),
                       sums_.spilled_bytes(), dirs_.spilled_bytes()}) {
      report_.temp_bytes += b;
    }
    return report_;
  }

 private:
  void Problem(std::string line) {
    if (report_.problem_count++ < max_) report_.problems.push_back(std::move(line));
  }
  void Warning(std::string line) {
    if (report_.warning_count++ < max_) report_.warnings.push_back(std::move(line));
  }

  // Proposes writing `fixed` (nullopt: deleting) at key. Records handed in
  // without a snapshot have no repairs: there is nothing to read them from.
  void Propose(RecordKey key, std::optional<std::string> fixed, std::string what) {
    if (r_ == nullptr) return;
    auto seen = r_->Get(key);
    if (seen.ok()) report_.repairs.push_back({std::move(key), *seen, std::move(fixed), what});
  }

  void ProposeNlink(Ino ino, uint32_t nlink) {
    if (r_ == nullptr) return;
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
    Status bad;
    auto all = RecordRange::AllInAnyOrder();  // the checks take records in any order
    JFS_RETURN_IF_ERROR(r_->Scan(all, [&](const RecordKey& k, std::string_view v) {
      bad = OnRecord(k, v);
      return bad.ok();
    }));
    return bad;
  }

  // A record, in any order: a snapshot's scan or a load's stream.
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
        return nodes_.Add({p.ino, a->parent, a->length, a->nlink, a->type});
      }
      case K::kEntry: {
        auto d = DecodeDentry(v);
        if (!d.ok()) {
          Problem("entry in dir " + std::to_string(p.ino) + ": " + d.status().message());
          break;
        }
        return edges_.Add({d->ino, p.ino, d->type});
      }
      case K::kParent:
        return parents_.Add({p.ino, p.other, v.size() == 8 ? *DecodeCounterLE(v) : -1});
      case K::kChunk: {
        auto records = DecodeChunk(v);
        if (!records.ok()) {
          Problem("inode " + std::to_string(p.ino) + " chunk " + std::to_string(p.index) + ": " +
                  records.status().message());
          break;
        }
        for (const auto& r : *records) {
          if (r.id == 0) continue;
          JFS_RETURN_IF_ERROR(uses_.Add({r.id, r.size, 1, 0}));
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
        for (const auto& s : *slices) JFS_RETURN_IF_ERROR(uses_.Add({s.id, s.size, 1, 1}));
        break;
      }
      case K::kDetached:
        detached_.push_back(p.ino);
        break;
      case K::kDirStat:
        if (auto s = DecodeDirStat(v); s.ok()) return usage_.Add({p.ino, *s, 0});
        Problem("dir " + std::to_string(p.ino) +
                " usage record: " + DecodeDirStat(v).status().message());
        break;
      case K::kSliceRef:
        if (v.size() == 8) return refs_.Add({p.id, p.index, *DecodeCounterLE(v)});
        break;
      case K::kSustained:
        sustained_.push_back(p.ino);
        break;
      default:
        break;
    }
    return Status::OK();
  }

  // Attrs (by inode) joined with the entries naming them (by child) and the
  // parent counters (by inode).
  Status JoinNodesAndEntries() {
    Node n;
    bool has_node = nodes_.Next(&n);
    std::optional<Edge> edge;
    Advance(&edges_, &edge);
    std::optional<ParentCount> pc;
    Advance(&parents_, &pc);
    while (has_node || edge) {
      if (!has_node || (edge && edge->child < n.ino)) {  // an entry without an attr
        Problem("dir " + std::to_string(edge->parent) + " has an entry for inode " +
                std::to_string(edge->child) + ", which has no attr");
        JFS_RETURN_IF_ERROR(
            sums_.Add({edge->parent, {0, 0, 1}, edge->type == FileType::kDirectory}));
        Advance(&edges_, &edge);
        continue;
      }
      std::map<Ino, int64_t> links;  // parent -> entries
      uint32_t count = 0;
      for (; edge && edge->child == n.ino; count++) {
        JFS_RETURN_IF_ERROR(OnEntry(n, *edge));
        links[edge->parent]++;
        Advance(&edges_, &edge);
      }
      std::map<Ino, int64_t> counters;                        // parent -> parent counter
      while (pc && pc->ino < n.ino) Advance(&parents_, &pc);  // counters of no attr
      while (pc && pc->ino == n.ino) {
        counters[pc->parent] = pc->count;
        Advance(&parents_, &pc);
      }
      JFS_RETURN_IF_ERROR(CheckNode(n, links, count, counters));
      has_node = nodes_.Next(&n);
    }
    JFS_RETURN_IF_ERROR(nodes_.status());
    JFS_RETURN_IF_ERROR(edges_.status());
    return parents_.status();
  }

  // An entry naming attr n: the same type, and what it adds to its dir.
  Status OnEntry(const Node& n, const Edge& e) {
    if (n.type != e.type) {
      Problem("dir " + std::to_string(e.parent) + " says inode " + std::to_string(e.child) +
              " is a " + std::string(FileTypeName(e.type)) + ", its attr says " +
              std::string(FileTypeName(n.type)));
    }
    uint64_t len = n.type == FileType::kFile ? n.length : 0;
    return sums_.Add({e.parent,
                      {static_cast<int64_t>(len), static_cast<int64_t>(Align4K(len)), 1},
                      e.type == FileType::kDirectory});
  }

  // nlink, reachability and hard-link parents of inode n, named by `count`
  // entries; the totals of CheckCounters.
  Status CheckNode(const Node& n, const std::map<Ino, int64_t>& links, uint32_t count,
                   const std::map<Ino, int64_t>& counters) {
    std::string id = "inode " + std::to_string(n.ino);
    bool special = n.ino == kRootInode || n.ino == kTrashInode;
    if (count == 0 && !special &&
        !std::binary_search(sustained_.begin(), sustained_.end(), n.ino)) {
      if (std::binary_search(detached_.begin(), detached_.end(), n.ino)) {
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
        ProposeNlink(n.ino, count);
      }
      CheckParents(n, links, counters, id);
    } else if (count > 1) {
      Problem(id + " is a directory with " + std::to_string(count) + " entries");
    } else if (count == 1 && !special && links.begin()->first != n.parent) {
      Problem(id + " is in dir " + std::to_string(links.begin()->first) +
              " but its parent field says " + std::to_string(n.parent));
    }
    if (!special) {
      used_space_ += Align4K(n.type == FileType::kFile ? n.length : 0);
      used_inodes_++;
      if (!IsTrashInode(n.ino)) max_ino_ = std::max(max_ino_, n.ino);
    }
    return n.type == FileType::kDirectory ? dirs_.Add(n) : Status::OK();
  }

  void CheckParents(const Node& n, const std::map<Ino, int64_t>& links,
                    const std::map<Ino, int64_t>& counters, const std::string& id) {
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
      auto it = counters.find(p);
      int64_t have = it == counters.end() ? 0 : it->second;
      if (have != c) {
        Problem(id + " has " + std::to_string(c) + " entries in dir " + std::to_string(p) +
                " but its parent counter says " + std::to_string(have));
        Propose(RecordKey::Parent(n.ino, p), EncodeCounterLE(c),
                id + ": parent counter in dir " + std::to_string(p) + " " + std::to_string(have) +
                    " -> " + std::to_string(c));
      }
    }
  }

  // nlink and the usage record of every directory (by inode), from the sums
  // of its entries and its usage record (both by directory).
  Status CheckDirs() {
    JFS_RETURN_IF_ERROR(dirs_.Finish());
    JFS_RETURN_IF_ERROR(sums_.Finish());
    JFS_RETURN_IF_ERROR(usage_.Finish());
    std::optional<DirUsage> sum, usage;
    Advance(&sums_, &sum);
    Advance(&usage_, &usage);
    auto skip = [](const DirUsage&) {};
    Node n;
    while (dirs_.Next(&n)) {
      DirUsage key{n.ino, {}, 0};
      DirUsage want = SeekTo(&sums_, &sum, key, ByDir(), skip) ? *sum : key;
      std::string id = "dir " + std::to_string(n.ino);
      uint64_t want_nlink = IsTrashInode(n.ino) ? 2 : 2 + want.subdirs;
      if (n.nlink != want_nlink) {
        Problem(id + " has nlink " + std::to_string(n.nlink) + ", want " +
                std::to_string(want_nlink));
        ProposeNlink(n.ino, static_cast<uint32_t>(want_nlink));
      }
      if (!dir_stats_) continue;
      bool found = SeekTo(&usage_, &usage, key, ByDir(), skip);
      if (!found) {
        Warning(id + " has no usage record (U) yet: JuiceFS builds it on first use");
      } else if (!(usage->stat == want.stat)) {
        Warning(id + " usage record says " + Show(usage->stat) + ", its entries add up to " +
                Show(want.stat) + " (JuiceFS flushes these in the background)");
      }
      if (!found || !(usage->stat == want.stat)) {
        Propose(RecordKey::DirStat(n.ino), EncodeDirStat(want.stat),
                id + ": usage record -> " + Show(want.stat));
      }
    }
    JFS_RETURN_IF_ERROR(dirs_.status());
    JFS_RETURN_IF_ERROR(sums_.status());
    return usage_.status();
  }

  // Slice refs hold refs-1, where the refs are the chunk records using the slice
  // plus the delayed-slices records listing it. Too few refs is a problem: the
  // slice's objects go when one use drops its ref while others still read
  // them. More refs than uses only keeps objects longer (a binary dump carries
  // K records but not the L records that held them): a warning, never
  // lowered by a repair, since a use we cannot see would then lose data.
  Status CheckRefs() {
    JFS_RETURN_IF_ERROR(uses_.Finish());
    JFS_RETURN_IF_ERROR(refs_.Finish());
    std::optional<SliceRefs> ref;
    Advance(&refs_, &ref);
    auto unused = [this](const SliceRefs& k) {
      if (k.extra > 0) {
        Warning("slice " + std::to_string(k.id) + " has " + std::to_string(k.extra + 1) +
                " refs recorded but nothing uses it: its objects are kept");
      }
    };
    SliceUses u;
    while (uses_.Next(&u)) {
      SliceRefs key{u.id, u.size, 0};
      int64_t have = 0;
      if (SeekTo(&refs_, &ref, key, BySlice(), unused)) {  // taken: not left unused
        have = ref->extra;
        Advance(&refs_, &ref);
      }
      int64_t n = u.uses;
      const std::string slice = "slice " + std::to_string(u.id);
      const std::string uses =
          std::to_string(n - u.delayed) + " times" +
          (u.delayed > 0 ? " (+" + std::to_string(u.delayed) + " delayed by a compaction)" : "");
      if (have < n - 1) {
        Problem(slice + " is used " + uses + " but its ref record says " +
                std::to_string(have + 1));
        Propose(RecordKey::SliceRef(u.id, u.size), EncodeCounterLE(n - 1),
                slice + ": refs " + std::to_string(have + 1) + " -> " + std::to_string(n));
      } else if (have > n - 1) {
        Warning(slice + " is used " + uses + " but its ref record says " +
                std::to_string(have + 1) + ": its objects are kept longer than needed");
      }
      report_.slices++;
    }
    JFS_RETURN_IF_ERROR(uses_.status());
    // Past the last use: every ref record left.
    SeekTo(&refs_, &ref, SliceRefs{UINT64_MAX, UINT32_MAX, 0}, BySlice(), unused);
    if (ref) unused(*ref);
    return refs_.status();
  }

  void CheckCounters() {
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
    expect("usedSpace", used_space_);
    expect("totalInodes", used_inodes_);
    if (counters_["nextInode"] <= static_cast<int64_t>(max_ino_)) {
      Problem("counter nextInode is " + std::to_string(counters_["nextInode"]) +
              ", not above inode " + std::to_string(max_ino_));
      fix("nextInode", static_cast<int64_t>(max_ino_) + 1);
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
  ExternalSorter<Node, ByIno> nodes_;
  ExternalSorter<Edge, ByChild> edges_;
  ExternalSorter<SliceUses, BySlice, SumUses> uses_;
  ExternalSorter<SliceRefs, BySlice> refs_;
  ExternalSorter<ParentCount, ByInoParent> parents_;
  ExternalSorter<DirUsage, ByDir> usage_;
  ExternalSorter<DirUsage, ByDir, SumUsage> sums_;  // what each dir's entries add up to
  ExternalSorter<Node, ByIno> dirs_;                // the directories, from the join
  std::vector<Ino> sustained_;
  std::vector<Ino> detached_;
  std::map<std::string, int64_t> counters_;
  uint64_t max_slice_ = 0;
  int64_t used_space_ = 0, used_inodes_ = 0;
  Ino max_ino_ = kRootInode;
};

}  // namespace

Result<CheckReport> CheckVolume(MetaReader* snapshot, size_t max_problems, bool require_setting,
                                size_t memory_bytes) {
  return Checker(snapshot, max_problems, require_setting, memory_bytes).Run();
}

std::unique_ptr<StreamChecker> NewStreamChecker(size_t max_problems, bool require_setting,
                                                size_t memory_bytes) {
  return std::make_unique<Checker>(nullptr, max_problems, require_setting, memory_bytes);
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
