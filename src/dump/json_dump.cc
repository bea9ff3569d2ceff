// The JSON dump: the header, then the tree depth first, rendered ahead by a
// pool of threads and written in order.
#include "dump/json_dump.h"

#include <malloc.h>

#include <algorithm>
#include <deque>
#include <future>

#include "dump/json_render.h"
#include "dump/node.h"
#include "dump/tree_spill.h"
#include "model/setting.h"
#include "util/json.h"
#include "util/thread_pool.h"

namespace jfsbr {
namespace {

constexpr size_t kPageSize = 1024;  // directory entries listed and prefetched at a time
constexpr size_t kJobSize = 128;    // entries read (one etcd transaction) and rendered by one job

// A directory's records in the spill are read into memory at once up to this
// size; a larger one keeps 16 bytes a child and reads each child alone.
constexpr uint64_t kDirInMemory = 4 << 20;
// The spill's write buffers, shared by the scanning threads.
constexpr size_t kSpillMemory = 8 << 20;

// The counters JuiceFS dumps, in its order and with its (plural) names.
constexpr std::pair<const char*, const char*> kCounters[] = {
    {"usedSpace", "usedSpace"}, {"usedInodes", "totalInodes"},  {"nextInodes", "nextInode"},
    {"nextChunk", "nextChunk"}, {"nextSession", "nextSession"}, {"nextTrash", "nextTrash"},
};

// Writes a JSON object or array member list in goccy's MarshalIndent layout.
class IndentedList {
 public:
  IndentedList(std::string* out, int depth, char open) : out_(out), depth_(depth) {
    out_->push_back(open);
  }
  // Starts the next member (the key, if any, is the caller's).
  std::string* Next() {
    out_->append(count_++ ? ",\n" : "\n");
    out_->append(static_cast<size_t>(depth_ + 1) * 2, ' ');
    return out_;
  }
  void Key(std::string_view key) {
    Next();
    AppendGoQuoted(out_, key);
    out_->append(": ");
  }
  void End(char close) {
    if (count_) {
      out_->push_back('\n');
      out_->append(static_cast<size_t>(depth_) * 2, ' ');
    }
    out_->push_back(close);
  }

 private:
  std::string* out_;
  int depth_;
  int count_ = 0;
};

class JsonDumper {
 public:
  JsonDumper(MetaSnapshot* snap, Sink* out, const DumpOptions& opts)
      : snap_(snap), out_(out), opts_(opts), acls_(snap), pool_(opts.threads) {}

  Result<DumpStats> Run() {
    JFS_ASSIGN_OR_RETURN(VolumeFormat format, ReadVolumeSetting(snap_));
    JFS_ASSIGN_OR_RETURN(Ino root, ResolveRoot());
    bool full = root == kRootInode;
    if (full && opts_.spill) JFS_RETURN_IF_ERROR(Spill());
    std::string header;
    JFS_RETURN_IF_ERROR(Header(format, full, &header));
    JFS_RETURN_IF_ERROR(Write(header));
    JFS_ASSIGN_OR_RETURN(DumpedNode top, ReadDir(root));
    if (!top.found)
      return Status::Corruption("the root inode " + std::to_string(root) + " has no attr");
    JFS_RETURN_IF_ERROR(Dir("FSTree", top, 1));
    if (full && !opts_.skip_trash) {
      JFS_ASSIGN_OR_RETURN(DumpedNode trash, ReadDir(kTrashInode));
      JFS_RETURN_IF_ERROR(Write(","));
      JFS_RETURN_IF_ERROR(Dir("Trash", trash, 1));
    }
    JFS_RETURN_IF_ERROR(Write("\n}\n"));
    stats_.version = snap_->version();
    return stats_;
  }

 private:
  Status Write(std::string_view s) {
    stats_.bytes += s.size();
    return out_->Write(s);
  }

  // Files every inode under its parent in a temporary file (a scan in key
  // order), so that the walk reads each directory's children in one go.
  Status Spill() {
    std::string dir = opts_.spill_dir;
    if (dir.empty()) dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    JFS_ASSIGN_OR_RETURN(spill_, KeySpill::Create(dir, opts_.spill_index_limit));
    size_t threads = static_cast<size_t>(std::max(1, opts_.threads));
    size_t buffer = std::max<size_t>(1 << 20, kSpillMemory / threads);
    Status st = SpillInodes(snap_, opts_.threads, buffer, spill_.get(), opts_.scan_progress);
    malloc_trim(0);                    // the scan's buffers: back to the system before the walk
    if (st.Is(Code::kNotSupported)) {  // the index outgrew its limit
      spill_.reset();
      stats_.spill_given_up = true;
      return Status::OK();
    }
    JFS_RETURN_IF_ERROR(st);
    stats_.spilled_bytes = spill_->bytes();
    return Status::OK();
  }

  Result<DumpedNode> ReadDir(Ino ino) {
    JFS_ASSIGN_OR_RETURN(auto nodes,
                         ReadDumpedNodes(snap_, &acls_, {NodeRef{ino, FileType::kDirectory}}));
    return std::move(nodes[0]);
  }

  Result<Ino> ResolveRoot() {
    Ino cur = kRootInode;
    std::string_view path = opts_.subdir;
    size_t pos = 0;
    while (pos < path.size()) {
      size_t next = std::min(path.find('/', pos), path.size());
      std::string_view part = path.substr(pos, next - pos);
      pos = next + 1;
      if (part.empty() || part == ".") continue;
      JFS_ASSIGN_OR_RETURN(auto v, snap_->Get(RecordKey::Entry(cur, part)));
      if (!v) return Status::NotFound("subdir " + opts_.subdir + " does not exist");
      JFS_ASSIGN_OR_RETURN(Dentry d, DecodeDentry(*v));
      if (d.type != FileType::kDirectory) {
        return Status::NotDirectory("subdir " + opts_.subdir + " is not a directory");
      }
      cur = d.ino;
    }
    return cur;
  }

  // Everything before FSTree, as goccy's MarshalIndent writes it, without the
  // closing "\n}" and with a ',' instead.
  Status Header(VolumeFormat format, bool full, std::string* out) {
    if (!opts_.keep_secret) format = RedactSecrets(std::move(format), /*encrypt_key_too=*/false);
    FillDefaultTiers(&format);
    IndentedList top(out, 0, '{');
    top.Key("Setting");
    AppendFormatJson(out, format, "  ", 1, GoJson::kGoccy);  // as juicefs dump
    top.Key("Counters");
    IndentedList counters(out, 1, '{');
    for (const auto& [shown, stored] : kCounters) {
      JFS_ASSIGN_OR_RETURN(auto v, snap_->Get(RecordKey::Counter(stored)));
      int64_t n = 0;
      if (v) JFS_ASSIGN_OR_RETURN(n, DecodeCounterLE(*v));
      counters.Key(shown);
      out->append(std::to_string(n));
    }
    // JuiceFS 1.4's change log: its last id, shown while the log is on and
    // has one.
    JFS_ASSIGN_OR_RETURN(int64_t last_changelog, snap_->Counter("lastChangelog"));
    if (last_changelog != 0 && format.change_log) {
      counters.Key("lastChangelog");
      out->append(std::to_string(last_changelog));
    }
    counters.End('}');
    top.Key("Sustained");
    JFS_RETURN_IF_ERROR(Sustained(out));
    top.Key("DelFiles");
    JFS_RETURN_IF_ERROR(DelFiles(out));
    JFS_RETURN_IF_ERROR(Quotas(&top, out, "Quotas", RecordKind::kDirQuota));
    if (full) {
      JFS_RETURN_IF_ERROR(Quotas(&top, out, "UserQuotas", RecordKind::kUserQuota));
      JFS_RETURN_IF_ERROR(Quotas(&top, out, "GroupQuotas", RecordKind::kGroupQuota));
    }
    out->push_back(',');
    return Status::OK();
  }

  Status Sustained(std::string* out) {
    std::map<uint64_t, std::vector<Ino>> by_session;
    JFS_RETURN_IF_ERROR(snap_->ScanChecked(RecordRange::Kind(RecordKind::kSustained),
                                           [&](const RecordKey& p, auto) {
                                             by_session[p.id].push_back(p.ino);
                                             return Status::OK();
                                           }));
    IndentedList list(out, 1, '[');
    for (auto& [sid, inodes] : by_session) {
      std::sort(inodes.begin(), inodes.end());
      list.Next();
      IndentedList obj(out, 2, '{');
      obj.Key("sid");
      out->append(std::to_string(sid));
      obj.Key("inodes");
      IndentedList arr(out, 3, '[');
      for (Ino ino : inodes) arr.Next()->append(std::to_string(ino));
      arr.End(']');
      obj.End('}');
    }
    list.End(']');
    return Status::OK();
  }

  Status DelFiles(std::string* out) {
    struct Del {
      Ino ino;
      uint64_t length;
      int64_t expire;
    };
    std::vector<Del> dels;  // one per file awaiting data deletion: a short list
    JFS_RETURN_IF_ERROR(snap_->ScanChecked(
        RecordRange::Kind(RecordKind::kDelFile), [&](const RecordKey& p, auto v) -> Status {
          JFS_ASSIGN_OR_RETURN(int64_t expire, DecodeDelFileTime(v));
          dels.push_back({p.ino, p.id, expire});
          return Status::OK();
        }));
    std::sort(dels.begin(), dels.end(), [](auto& a, auto& b) {
      return std::tie(a.ino, a.length) < std::tie(b.ino, b.length);
    });
    IndentedList list(out, 1, '[');
    for (const auto& d : dels) {
      list.Next();
      IndentedList obj(out, 2, '{');
      obj.Key("inode");
      out->append(std::to_string(d.ino));
      obj.Key("length");
      out->append(std::to_string(d.length));
      obj.Key("expire");
      out->append(std::to_string(d.expire));
      obj.End('}');
    }
    list.End(']');
    return Status::OK();
  }

  // Dir (QD), user (QU) or group (QG) quotas: limits only, keyed by decimal id
  // in text order; user/group records with both limits -1 only carry usage.
  Status Quotas(IndentedList* top, std::string* out, std::string_view name, RecordKind kind) {
    std::vector<std::pair<std::string, Quota>> quotas;
    const bool dir = kind == RecordKind::kDirQuota;
    JFS_RETURN_IF_ERROR(
        snap_->ScanChecked(RecordRange::Kind(kind), [&](const RecordKey& p, auto v) -> Status {
          if (v.size() != 32) return Status::OK();
          JFS_ASSIGN_OR_RETURN(Quota q, DecodeQuota(v));
          if (!dir && q.max_space == -1 && q.max_inodes == -1) return Status::OK();
          quotas.emplace_back(std::to_string(dir ? p.ino : p.id), q);
          return Status::OK();
        }));
    if (quotas.empty()) return Status::OK();
    std::sort(quotas.begin(), quotas.end(), [](auto& a, auto& b) { return a.first < b.first; });
    top->Key(name);
    IndentedList map(out, 1, '{');
    for (const auto& [id, q] : quotas) {
      map.Key(id);
      IndentedList obj(out, 2, '{');
      obj.Key("maxSpace");
      out->append(std::to_string(q.max_space));
      obj.Key("maxInodes");
      out->append(std::to_string(q.max_inodes));
      obj.End('}');
    }
    map.End('}');
    return Status::OK();
  }

  using NodeFn = std::function<Status(size_t i, DumpedNode& node)>;

  // Where a directory's entries and their nodes come from.
  class Children {
   public:
    virtual ~Children() = default;
    // The next entries in name order (none at the end).
    virtual Result<std::vector<DirChild>> NextPage() = 0;
    // Calls fn with the node of page[i] for each i in [begin, end), in
    // order; called from the pool's threads.
    virtual Status ForEachNode(const std::vector<DirChild>& page, size_t begin, size_t end,
                               const NodeFn& fn) = 0;
  };

  // Entries listed a page at a time and nodes read from the snapshot.
  class SnapshotChildren : public Children {
   public:
    SnapshotChildren(JsonDumper* d, Ino dir) : d_(d), dir_(dir) {}
    Result<std::vector<DirChild>> NextPage() override {
      std::vector<DirChild> page;
      if (done_) return page;
      // From the name just after the last one listed.
      auto range = RecordRange::Entries(dir_, after_.empty() ? "" : after_ + std::string(1, '\0'));
      Status bad;
      JFS_RETURN_IF_ERROR(d_->snap_->Scan(range, [&](const RecordKey& k, auto v) {
        auto dentry = DecodeDentry(v);
        if (!dentry.ok()) {
          bad = dentry.status().Annotate("entry of inode " + std::to_string(dir_));
          return false;
        }
        page.push_back({k.name, *dentry});
        after_ = k.name;
        return page.size() < kPageSize;
      }));
      JFS_RETURN_IF_ERROR(bad);
      done_ = page.size() < kPageSize;
      return page;
    }
    Status ForEachNode(const std::vector<DirChild>& page, size_t begin, size_t end,
                       const NodeFn& fn) override {
      std::vector<NodeRef> refs;
      for (size_t i = begin; i < end; i++)
        refs.push_back({page[i].dentry.ino, page[i].dentry.type});
      JFS_ASSIGN_OR_RETURN(auto nodes, ReadDumpedNodes(d_->snap_, &d_->acls_, refs));
      for (size_t i = begin; i < end; i++) JFS_RETURN_IF_ERROR(fn(i, nodes[i - begin]));
      return Status::OK();
    }

   private:
    JsonDumper* d_;
    Ino dir_;
    std::string after_;
    bool done_ = false;
  };

  // A directory's records read back from the spill in one go; a child the
  // spill does not have under it is read from the snapshot.
  class SpillChildren : public Children {
   public:
    SpillChildren(JsonDumper* d, SpilledDir dir) : d_(d), dir_(std::move(dir)) {}
    Result<std::vector<DirChild>> NextPage() override { return dir_.NextChildren(kPageSize); }
    Status ForEachNode(const std::vector<DirChild>& page, size_t begin, size_t end,
                       const NodeFn& fn) override {
      DumpedNode n;  // reused: its vectors keep their memory
      std::string scratch;
      for (size_t i = begin; i < end; i++) {
        const Dentry& d = page[i].dentry;
        JFS_ASSIGN_OR_RETURN(std::string_view rec, dir_.Node(d.ino, &scratch));
        if (rec.empty()) {
          JFS_ASSIGN_OR_RETURN(auto read,
                               ReadDumpedNodes(d_->snap_, &d_->acls_, {{d.ino, d.type}}));
          JFS_RETURN_IF_ERROR(fn(i, read[0]));
          continue;
        }
        n.ino = d.ino;
        n.found = true;
        n.symlink.clear();
        n.xattrs.clear();
        n.chunks.clear();
        std::optional<std::string> attr;
        JFS_RETURN_IF_ERROR(DecodeSpilledNode(rec, &n, &attr));
        JFS_RETURN_IF_ERROR(FinishNode(&d_->acls_, d.type, attr, &n));
        JFS_RETURN_IF_ERROR(fn(i, n));
      }
      return Status::OK();
    }

   private:
    JsonDumper* d_;
    SpilledDir dir_;
  };

  Result<std::unique_ptr<Children>> OpenChildren(Ino dir) {
    if (spill_) {
      JFS_ASSIGN_OR_RETURN(SpilledDir d, SpilledDir::Read(*spill_, dir, kDirInMemory));
      return std::unique_ptr<Children>(new SpillChildren(this, std::move(d)));
    }
    return std::unique_ptr<Children>(new SnapshotChildren(this, dir));
  }

  // One job's output: its leaves rendered (each entry after the directory's
  // first with the comma before it), and the directories among them, which
  // the writer walks into at their place in the text.
  struct Prepared {
    struct SubDir {
      size_t at;     // offset in text
      size_t index;  // in the page
      DumpedNode node;
    };
    std::string text;
    std::vector<SubDir> dirs;
    uint64_t leaves = 0;
  };

  // Reads and renders children [begin, end) of a page (one job: per-entry
  // jobs would spend more on waking threads than on the work).
  Result<Prepared> Prepare(Children* children, const std::vector<DirChild>& page, size_t begin,
                           size_t end, bool first_in_dir, int depth) {
    Prepared out;
    JFS_RETURN_IF_ERROR(children->ForEachNode(page, begin, end, [&](size_t i, DumpedNode& n) {
      if (i > begin || !first_in_dir) out.text.push_back(',');
      if (n.attr.IsDir()) {
        out.dirs.push_back({out.text.size(), i, std::move(n)});
      } else {
        AppendLeafEntry(&out.text, page[i].name, n, depth + 2);
        out.leaves++;
      }
      return Status::OK();
    }));
    return out;
  }

  Status Dir(std::string_view name, const DumpedNode& node, int depth) {
    JFS_RETURN_IF_ERROR(Write(RenderDirHead(name, node, depth)));
    Tick(1);
    JFS_ASSIGN_OR_RETURN(std::unique_ptr<Children> children, OpenChildren(node.ino));
    bool first = true;
    while (true) {
      JFS_ASSIGN_OR_RETURN(std::vector<DirChild> page, children->NextPage());
      if (page.empty()) break;
      std::deque<std::future<Result<Prepared>>> ahead;
      for (size_t b = 0; b < page.size(); b += kJobSize) {
        size_t e = std::min(page.size(), b + kJobSize);
        bool first_in_dir = first && b == 0;
        Children* c = children.get();
        ahead.push_back(pool_.Submit([this, c, &page, b, e, first_in_dir, depth] {
          return Prepare(c, page, b, e, first_in_dir, depth);
        }));
      }
      first = false;
      for (size_t j = 0; j < ahead.size(); j++) {
        Result<Prepared> job = ahead[j].get();
        Status st = job.ok() ? WriteJob(&*job, page, depth) : job.status();
        if (!st.ok()) return Drain(&ahead, j + 1, st);
      }
    }
    return Write(RenderDirTail(depth));
  }

  Status WriteJob(Prepared* job, const std::vector<DirChild>& page, int depth) {
    size_t at = 0;
    for (auto& sub : job->dirs) {
      JFS_RETURN_IF_ERROR(Write(std::string_view(job->text).substr(at, sub.at - at)));
      JFS_RETURN_IF_ERROR(Dir(page[sub.index].name, sub.node, depth + 2));
      at = sub.at;
    }
    JFS_RETURN_IF_ERROR(Write(std::string_view(job->text).substr(at)));
    Tick(job->leaves);
    return Status::OK();
  }

  // Waits for the jobs still running (they use this object) and returns st.
  template <typename F>
  static Status Drain(std::deque<F>* ahead, size_t from, Status st) {
    for (size_t j = from; j < ahead->size(); j++) (*ahead)[j].wait();
    return st;
  }

  void Tick(uint64_t n) {
    uint64_t before = stats_.entries;
    stats_.entries += n;
    if (opts_.progress && before / 4096 != stats_.entries / 4096) opts_.progress(stats_.entries);
  }

  MetaSnapshot* snap_;
  std::unique_ptr<KeySpill> spill_;  // null: every directory is read from the snapshot
  Sink* out_;
  const DumpOptions& opts_;
  AclCache acls_;
  DumpStats stats_;
  ThreadPool pool_;  // last: joined first, while the members its jobs use still exist
};

}  // namespace

Result<DumpStats> DumpJson(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts) {
  BufferedSink buffered(out, 256 << 10);
  JsonDumper dumper(snapshot, &buffered, opts);
  JFS_ASSIGN_OR_RETURN(DumpStats stats, dumper.Run());
  JFS_RETURN_IF_ERROR(buffered.Flush());
  if (opts.progress) opts.progress(stats.entries);
  return stats;
}

}  // namespace jfsbr
