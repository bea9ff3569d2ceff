// Loading a JSON dump: a streaming parse of the tree, records written in bulk,
// everything the tree implies recomputed, the setting last.
#include "dump/json_load.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <unordered_map>

#include "dump/escape.h"
#include "dump/json_entry.h"
#include "dump/json_reader.h"
#include "dump/ref_counter.h"
#include "fs/check.h"
#include "model/attr.h"
#include "model/records.h"
#include "model/setting.h"

namespace jfsbr {
namespace {

// What a parent needs of a child entry once the child is read.
struct ChildInfo {
  Ino ino = 0;
  FileType type = FileType::kFile;
  uint64_t length = 0;                            // as dumped: 0 for all but regular files
  int64_t subtree_space = 0, subtree_inodes = 0;  // below the child, for dir quotas
};

// A non-directory with a dumped nlink > 1 is written once, at the end, with
// its links counted over the whole dump. Every occurrence adds (inode,
// parent) and the first its attr as written to sorters on disk, so a volume
// of hard links (a snapshot farm) loads in bounded memory; what stays in
// memory is 8 bytes of each one's dumped fields.
struct LinkUse {
  Ino ino;
  Ino parent;
};
struct LinkAttr {
  Ino ino;
  Attr attr;
};
struct ByInoThenParent {
  bool operator()(const LinkUse& a, const LinkUse& b) const {
    return a.ino < b.ino || (a.ino == b.ino && a.parent < b.parent);
  }
};
struct ByLinkIno {
  bool operator()(const LinkAttr& a, const LinkAttr& b) const { return a.ino < b.ino; }
};

// A hash of the fields every occurrence of a hard-linked inode must dump
// alike (two different attrs pass as the same with odds of 2^-64).
uint64_t NodeFingerprint(const Attr& a) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t v : {uint64_t(a.type), uint64_t(a.mode), uint64_t(a.uid), uint64_t(a.gid), a.length,
                     uint64_t(a.flags), uint64_t(a.mtime), uint64_t(a.mtimensec), uint64_t(a.ctime),
                     uint64_t(a.ctimensec), uint64_t(a.rdev)}) {
    h = (h ^ v) * 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

struct UgUsage {
  int64_t space = 0, inodes = 0;
};

class JsonLoader {
 public:
  JsonLoader(Source* in, Meta* target, const LoadOptions& opts)
      : reader_(in), target_(target), opts_(opts), writer_(target->NewBulkWriter(opts.threads)) {}

  Result<LoadStats> Run() {
    Status st = Top();
    Status written = writer_->Finish();  // always wait for the batches in flight
    JFS_RETURN_IF_ERROR(st);
    JFS_RETURN_IF_ERROR(written);
    JFS_RETURN_IF_ERROR(Finish());
    stats_.pairs = writer_->records() + final_pairs_;
    stats_.used_space = used_space_;
    stats_.used_inodes = used_inodes_;
    stats_.next_inode = next_inode_;
    stats_.next_chunk = next_chunk_;
    return stats_;
  }

 private:
  Status Top() {
    JFS_RETURN_IF_ERROR(reader_.BeginObject());
    std::string key;
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool more, reader_.NextMember(&key));
      if (!more) break;
      if (key == "Setting") {
        JFS_ASSIGN_OR_RETURN(JsonValue v, reader_.Value());
        auto f = SettingFromJson(v);
        if (!f.ok()) return f.status().Annotate("dump Setting");
        setting_ = EncodeSetting(*f);
        trash_days_ = f->trash_days;
      } else if (key == "Counters") {
        JFS_ASSIGN_OR_RETURN(JsonValue v, reader_.Value());
        if (v.kind != JsonValue::Kind::kObject) return reader_.Error("a Counters object");
        for (auto [name, dst] : {std::pair{"nextInodes", &dumped_next_inode_},
                                 std::pair{"nextChunk", &dumped_next_chunk_},
                                 std::pair{"nextSession", &dumped_next_session_},
                                 std::pair{"nextTrash", &dumped_next_trash_},
                                 std::pair{"lastChangelog", &last_changelog_}}) {
          if (const JsonValue* f = v.Find(name)) JFS_ASSIGN_OR_RETURN(*dst, f->AsInt());
        }
        has_counters_ = true;
      } else if (key == "DelFiles") {
        JFS_RETURN_IF_ERROR(DelFiles());
      } else if (key == "Quotas" || key == "UserQuotas" || key == "GroupQuotas") {
        JFS_RETURN_IF_ERROR(Quotas(key == "Quotas"       ? &dir_quotas_
                                   : key == "UserQuotas" ? &user_quotas_
                                                         : &group_quotas_));
      } else if (key == "FSTree") {
        if (seen_tree_) return reader_.Error("only one FSTree");
        seen_tree_ = true;
        JFS_RETURN_IF_ERROR(Entry(0).status());
      } else if (key == "Trash") {
        in_trash_ = true;
        JFS_RETURN_IF_ERROR(Entry(kRootInode, kTrashInode).status());
        in_trash_ = false;
      } else {  // Sustained (ignored by design, as JuiceFS), ChangeLog, unknown
        JFS_RETURN_IF_ERROR(reader_.Skip());
      }
    }
    JFS_RETURN_IF_ERROR(reader_.End());
    if (setting_.empty()) return Status::Corruption("the dump has no 'Setting'");
    if (!has_counters_) return Status::Corruption("invalid dumped meta: missing 'Counters'");
    if (!seen_tree_) return Status::Corruption("the dump has no 'FSTree'");
    return Status::OK();
  }

  Status DelFiles() {
    JFS_RETURN_IF_ERROR(reader_.BeginArray());
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool more, reader_.NextItem());
      if (!more) return Status::OK();
      JFS_ASSIGN_OR_RETURN(JsonValue v, reader_.Value());
      const JsonValue *ino = v.Find("inode"), *len = v.Find("length"), *exp = v.Find("expire");
      if (!ino || !len || !exp) return reader_.Error("a DelFiles item with inode, length, expire");
      JFS_ASSIGN_OR_RETURN(uint64_t i, ino->AsUint());
      JFS_ASSIGN_OR_RETURN(uint64_t l, len->AsUint());
      JFS_ASSIGN_OR_RETURN(int64_t e, exp->AsInt());
      JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::DelFile(i, l), EncodeDelFileTime(e)));
    }
  }

  Status Quotas(std::map<uint64_t, Quota>* out) {
    JFS_ASSIGN_OR_RETURN(JsonValue v, reader_.Value());
    if (v.kind != JsonValue::Kind::kObject) return reader_.Error("an object of quotas");
    for (const auto& [id, q] : v.members) {
      Quota quota;
      const JsonValue *ms = q.Find("maxSpace"), *mi = q.Find("maxInodes");
      if (ms) JFS_ASSIGN_OR_RETURN(quota.max_space, ms->AsInt());
      if (mi) JFS_ASSIGN_OR_RETURN(quota.max_inodes, mi->AsInt());
      uint64_t key = 0;
      auto r = std::from_chars(id.data(), id.data() + id.size(), key);
      if (r.ec != std::errc() || r.ptr != id.data() + id.size()) {
        return reader_.Error("a decimal quota key, not '" + id + "'");
      }
      (*out)[key] = quota;
    }
    return Status::OK();
  }

  // Identical rules share an id; ids are handed out in the order JuiceFS's
  // load hands them out: an entry's rules when the entry ends (after its
  // children), its access rule before its default rule.
  uint32_t AclId(const std::string& encoded) {
    if (encoded.empty()) return 0;
    auto [it, inserted] = acl_ids_.emplace(encoded, static_cast<uint32_t>(acl_ids_.size() + 1));
    return it->second;
  }

  // Chunks of a file: written (and their slices counted) for the first
  // occurrence of an inode only.
  Status Chunks(Ino ino, bool write) {
    return ReadJsonChunks(reader_, [&](uint32_t index, std::vector<SliceRecord> slices) {
      if (!write) return Status::OK();
      std::string value;
      for (const SliceRecord& r : slices) {
        AppendSliceRecord(&value, r);
        if (opts_.slice_refs) JFS_RETURN_IF_ERROR(slices_.Add(r.id, r.size));
        next_chunk_ = std::max<int64_t>(next_chunk_, static_cast<int64_t>(r.id) + 1);
      }
      if (value.empty()) return Status::OK();
      return writer_->Put(RecordKey::Chunk(ino, index), value);
    });
  }

  // Reads one entry object. parent 0 marks the FSTree root (loaded as inode
  // 1); expect_ino, if set, is the only inode the entry may have (the trash).
  Result<ChildInfo> Entry(Ino parent, Ino expect_ino = 0) {
    JFS_RETURN_IF_ERROR(reader_.BeginObject());
    Attr a;
    Ino ino = 0;
    bool have_attr = false, first = true;
    std::string symlink, key, access_rule, default_rule;
    ChildInfo info;
    DirStat usage;
    uint32_t subdirs = 0;
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool more, reader_.NextMember(&key));
      if (!more) break;
      if (key == "attr") {
        JFS_RETURN_IF_ERROR(ReadJsonAttr(reader_, &a, &ino));
        if (parent == 0) ino = kRootInode, parent = kRootInode;  // a subdir dump loads as root
        if (expect_ino != 0 && ino != expect_ino) {
          return reader_.Error("inode " + std::to_string(expect_ino) + " for this entry");
        }
        if (!a.IsDir() && (ino == kRootInode || ino == kTrashInode)) {
          return reader_.Error("a directory for inode " + std::to_string(ino));
        }
        a.parent = parent;
        have_attr = true;
        JFS_ASSIGN_OR_RETURN(first, FirstOccurrence(ino, a, parent));
        continue;
      }
      if (!have_attr) return reader_.Error("\"attr\" before \"" + key + "\"");
      if (key == "symlink") {
        JFS_ASSIGN_OR_RETURN(std::string s, reader_.String());
        symlink = Unescape(s);
      } else if (key == "xattrs") {
        JFS_RETURN_IF_ERROR(ReadJsonXattrs(reader_, [&](std::string name, std::string value) {
          if (!first) return Status::OK();  // a hard link's: written once
          return writer_->Put(RecordKey::Xattr(ino, name), std::move(value));
        }));
      } else if (key == "posix_acl_access") {
        JFS_ASSIGN_OR_RETURN(access_rule, ReadJsonAcl(reader_));
      } else if (key == "posix_acl_default") {
        JFS_ASSIGN_OR_RETURN(default_rule, ReadJsonAcl(reader_));
      } else if (key == "chunks") {
        JFS_RETURN_IF_ERROR(Chunks(ino, first && a.type == FileType::kFile));
      } else if (key == "entries") {
        if (!a.IsDir()) return reader_.Error("\"entries\" only in a directory");
        JFS_RETURN_IF_ERROR(reader_.BeginObject());
        std::string child_name;
        while (true) {
          JFS_ASSIGN_OR_RETURN(bool more_children, reader_.NextMember(&child_name));
          if (!more_children) break;
          std::string raw = Unescape(child_name);
          JFS_ASSIGN_OR_RETURN(ChildInfo c, Entry(ino));
          JFS_RETURN_IF_ERROR(
              writer_->Put(RecordKey::Entry(ino, raw), EncodeDentry({c.type, c.ino})));
          uint64_t len = c.type == FileType::kFile ? c.length : 0;
          usage.length += static_cast<int64_t>(len);
          usage.space += Align4K(len);
          usage.inodes++;
          info.subtree_space += Align4K(len) + c.subtree_space;
          info.subtree_inodes += 1 + c.subtree_inodes;
          if (c.type == FileType::kDirectory && !IsTrashInode(ino)) subdirs++;
        }
      } else {
        JFS_RETURN_IF_ERROR(reader_.Skip());
      }
    }
    if (!have_attr) return reader_.Error("an \"attr\" in every entry");
    info.ino = ino;
    info.type = a.type;
    info.length = a.type == FileType::kFile ? a.length : 0;
    if (first) {
      a.access_acl = AclId(access_rule);
      a.default_acl = AclId(default_rule);
      JFS_RETURN_IF_ERROR(WriteNode(ino, &a, symlink, usage, subdirs, info));
    }
    if (++stats_.entries % 4096 == 0 && opts_.progress) opts_.progress(stats_.entries);
    return info;
  }

  // User/group quota usage as JuiceFS rebuilds it after a load: a file counts
  // its aligned length, a directory 4 KiB, each one inode; symlinks and
  // special files count nothing, but their owners get a usage record too; the
  // trash counts only on a volume with trash days.
  void CountOwnerUsage(const Attr& a) {
    if (in_trash_ && trash_days_ <= 0) return;
    int64_t space = 0, inodes = 0;
    if (a.type == FileType::kFile || a.IsDir()) {
      space = Align4K(a.IsDir() ? 0 : a.length);
      inodes = 1;
    }
    for (UgUsage* x : {&user_usage_[a.uid], &group_usage_[a.gid]}) {
      x->space += space;
      x->inodes += inodes;
    }
  }

  // Counts the inode when first seen; false for a repeated hard link, which
  // must agree with the first occurrence.
  Result<bool> FirstOccurrence(Ino ino, const Attr& a, Ino parent) {
    if (!a.IsDir() && a.nlink > 1) {
      JFS_RETURN_IF_ERROR(link_uses_.Add({ino, parent}));
      auto [it, inserted] = link_prints_.try_emplace(ino, NodeFingerprint(a));
      if (!inserted) {
        if (it->second != NodeFingerprint(a)) {
          return reader_.Error("inode " + std::to_string(ino) +
                               " dumped again with other attributes (a damaged dump?)");
        }
        return false;
      }
    }
    if (opts_.verify) JFS_RETURN_IF_ERROR(inode_uses_.Add(ino, 0));
    if (ino > kRootInode && ino != kTrashInode) {
      used_space_ += Align4K(a.type == FileType::kFile ? a.length : 0);
      used_inodes_++;
      CountOwnerUsage(a);
    }
    if (ino < kTrashInode)
      next_inode_ = std::max<int64_t>(next_inode_, static_cast<int64_t>(ino) + 1);
    else
      next_trash_ = std::max<int64_t>(next_trash_, static_cast<int64_t>(ino - kTrashInode));
    return true;
  }

  // The attr (nlink and length recomputed), symlink target and dir usage of
  // a node's first occurrence.
  Status WriteNode(Ino ino, Attr* a, const std::string& symlink, const DirStat& usage,
                   uint32_t subdirs, const ChildInfo& info) {
    switch (a->type) {
      case FileType::kDirectory:
        a->length = 4096;
        a->nlink = 2 + subdirs;
        JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::DirStat(ino), EncodeDirStat(usage)));
        if (auto q = dir_quotas_.find(ino); q != dir_quotas_.end()) {
          q->second.used_space = info.subtree_space;
          q->second.used_inodes = info.subtree_inodes;
        }
        break;
      case FileType::kSymlink:
        a->length = symlink.size();
        a->nlink = 1;
        JFS_RETURN_IF_ERROR(writer_->Put(RecordKey::Symlink(ino), symlink));
        break;
      case FileType::kFile:
        a->nlink = 1;
        break;
      default:
        a->length = 0;
        a->nlink = 1;
        break;
    }
    if (link_prints_.count(ino) > 0) return link_attrs_.Add({ino, *a});  // settled at the end
    return writer_->Put(RecordKey::Attr(ino), EncodeAttr(*a));
  }

  // Everything that needs the whole tree, then the setting, last.
  Status Finish() {
    // Written as they are made: held until the end, the records of a
    // volume's hard links and shared slices grew with the volume.
    auto w = target_->NewBulkWriter(opts_.threads);
    Status st;
    auto put = [&](const RecordKey& k, std::string v) {
      final_pairs_++;
      if (st.ok()) st = w->Put(k, std::move(v));
    };
    JFS_RETURN_IF_ERROR(WriteHardLinks(put));
    JFS_RETURN_IF_ERROR(slices_.ForEachShared([&](uint64_t id, uint32_t size, uint32_t count) {
      put(RecordKey::SliceRef(id, size), EncodeCounterLE(count - 1));
    }));
    for (const auto& [encoded, id] : acl_ids_) put(RecordKey::AclRule(id), encoded);
    if (!acl_ids_.empty()) put(RecordKey::Counter("aclMaxId"), EncodeCounterLE(acl_ids_.size()));
    for (const auto& [ino, q] : dir_quotas_) put(RecordKey::DirQuota(ino), EncodeQuota(q));
    // With any user or group quota, every owner gets a record (no limits,
    // -1, unless the dump set some) holding its usage, as JuiceFS's rebuild.
    const bool owner_usage = !user_quotas_.empty() || !group_quotas_.empty();
    for (auto [quotas, usage, key] :
         {std::tuple{&user_quotas_, &user_usage_, &RecordKey::UserQuota},
          std::tuple{&group_quotas_, &group_usage_, &RecordKey::GroupQuota}}) {
      std::map<uint64_t, Quota> all = *quotas;
      if (owner_usage) {
        for (const auto& [id, u] : *usage) all.try_emplace(id, Quota{-1, -1, 0, 0});
      }
      for (auto [id, q] : all) {
        auto u = usage->find(static_cast<uint32_t>(id));
        if (u != usage->end()) q.used_space = u->second.space, q.used_inodes = u->second.inodes;
        put(key(id), EncodeQuota(q));
      }
    }
    put(RecordKey::Counter("usedSpace"), EncodeCounterLE(used_space_));
    put(RecordKey::Counter("totalInodes"), EncodeCounterLE(used_inodes_));
    // Id counters never go below what the source had handed out: an id is
    // never reused, e.g. a slice id whose objects are still in the store.
    next_inode_ = std::max(next_inode_, dumped_next_inode_);
    next_chunk_ = std::max(next_chunk_, dumped_next_chunk_);
    next_trash_ = std::max(next_trash_, dumped_next_trash_);
    put(RecordKey::Counter("nextInode"), EncodeCounterLE(next_inode_));
    put(RecordKey::Counter("nextChunk"), EncodeCounterLE(next_chunk_));
    put(RecordKey::Counter("nextSession"), EncodeCounterLE(dumped_next_session_));
    put(RecordKey::Counter("nextTrash"), EncodeCounterLE(next_trash_));
    // The change log's entries are in no dump; its last id is, so that the
    // log goes on numbering after it (a reader never sees an id again).
    if (last_changelog_ > 0) {
      put(RecordKey::Counter("lastChangelog"), EncodeCounterLE(last_changelog_));
    }
    JFS_RETURN_IF_ERROR(st);
    JFS_RETURN_IF_ERROR(w->Finish());
    if (opts_.verify) JFS_RETURN_IF_ERROR(VerifyUniqueInodes());
    if (opts_.before_setting) JFS_RETURN_IF_ERROR(opts_.before_setting());
    auto last = target_->Begin();
    last->Put(RecordKey::Setting(), setting_);
    final_pairs_++;
    return last->Commit();
  }

  // Each hard-linked inode's attr with nlink its entries, and with several,
  // parent 0 and a parent counter per directory.
  Status WriteHardLinks(const std::function<void(const RecordKey&, std::string)>& put) {
    link_prints_.clear();
    JFS_RETURN_IF_ERROR(link_attrs_.Finish());
    JFS_RETURN_IF_ERROR(link_uses_.Finish());
    LinkUse use;
    bool more = link_uses_.Next(&use);
    LinkAttr la;
    while (link_attrs_.Next(&la)) {
      std::vector<std::pair<Ino, int64_t>> per_parent;  // in parent order
      for (; more && use.ino == la.ino; more = link_uses_.Next(&use)) {
        if (per_parent.empty() || per_parent.back().first != use.parent) {
          per_parent.emplace_back(use.parent, 0);
        }
        per_parent.back().second++;
      }
      Attr a = la.attr;
      a.nlink = 0;
      for (auto [p, n] : per_parent) a.nlink += static_cast<uint32_t>(n);
      if (a.nlink > 1) {
        a.parent = 0;
        for (auto [p, n] : per_parent) put(RecordKey::Parent(la.ino, p), EncodeCounterLE(n));
      }
      put(RecordKey::Attr(la.ino), EncodeAttr(a));
    }
    JFS_RETURN_IF_ERROR(link_attrs_.status());
    return link_uses_.status();
  }

  // Everything else a JSON load writes is recomputed from the tree and so
  // consistent by construction; what a damaged dump can still do is give two
  // different entries the same inode (not hard links: those have nlink > 1).
  // Counted through sorted runs on disk (16 bytes an inode there).
  Status VerifyUniqueInodes() {
    uint64_t dup = 0;
    JFS_RETURN_IF_ERROR(inode_uses_.ForEachShared([&](uint64_t ino, uint32_t, uint32_t) {
      if (dup == 0) dup = ino;
    }));
    if (dup != 0) {
      return Status::Corruption("the dump gives inode " + std::to_string(dup) +
                                " to two different entries (a damaged dump?)");
    }
    return Status::OK();
  }

  JsonReader reader_;
  Meta* target_;
  const LoadOptions& opts_;
  std::unique_ptr<MetaBulkWriter> writer_;
  LoadStats stats_;
  std::string setting_;
  bool has_counters_ = false, seen_tree_ = false;
  int64_t used_space_ = 0, used_inodes_ = 0, next_inode_ = 2, next_chunk_ = 1, next_trash_ = 0;
  int64_t dumped_next_inode_ = 0, dumped_next_chunk_ = 0, dumped_next_session_ = 0,
          dumped_next_trash_ = 0, last_changelog_ = 0;
  uint64_t final_pairs_ = 0;
  // 8 MiB each: beside RocksDB's two 32 MiB memtables and the batches in
  // flight, a load of 1.1 M files peaks at ~115 MiB (16 MiB each: ~125).
  RefCounter slices_{"", 8 << 20};
  RefCounter inode_uses_{"", 8 << 20};             // first occurrences, for VerifyUniqueInodes
  std::unordered_map<Ino, uint64_t> link_prints_;  // hard links seen: NodeFingerprint
  ExternalSorter<LinkUse, ByInoThenParent> link_uses_{4 << 20};
  ExternalSorter<LinkAttr, ByLinkIno> link_attrs_{4 << 20};
  std::map<std::string, uint32_t> acl_ids_;
  std::map<uint64_t, Quota> dir_quotas_, user_quotas_, group_quotas_;
  std::map<uint32_t, UgUsage> user_usage_, group_usage_;
  int64_t trash_days_ = 0;
  bool in_trash_ = false;  // reading the "Trash" tree
};

}  // namespace

Status LoadVerdict(const CheckReport& r) {
  if (r.ok()) return Status::OK();
  std::string first;
  for (const auto& p : r.problems) first += (first.empty() ? "" : "; ") + p;
  return Status::Corruption("the dump loads into an inconsistent volume (" +
                            std::to_string(r.problem_count) + " problems: " + first + ")");
}

Status CheckLoadTarget(Meta* target) {
  JFS_ASSIGN_OR_RETURN(bool empty, target->Empty());
  if (!empty) {
    return Status::Exists("the target " + target->Describe() +
                          " is not empty; load only into an empty engine (--force clears it)");
  }
  return Status::OK();
}

Result<LoadStats> LoadJson(Source* in, Meta* target, const LoadOptions& opts) {
  JFS_RETURN_IF_ERROR(CheckLoadTarget(target));
  JsonLoader loader(in, target, opts);
  return loader.Run();
}

}  // namespace jfsbr
