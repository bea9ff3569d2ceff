// The binary dump (V2): segments of protobuf records from one snapshot, EOS,
// footer.
#include <google/protobuf/stubs/logging.h>

#include <array>
#include <functional>
#include <future>

#include "binary_format.pb.h"
#include "dump/binary.h"
#include "model/records.h"
#include "model/setting.h"
#include "util/coding.h"
#include "util/external_sorter.h"

namespace jfsbr {
namespace {

constexpr size_t kSegmentRecords = 10000;

enum SegmentType : uint32_t {
  kFormat = 1,
  kCounter,
  kNode,
  kEdge,
  kChunk,
  kSliceRef,
  kSymlink,
  kSustained,
  kDelFile,
  kXattr,
  kAcl,
  kStat,
  kQuota,
  kParent,
  kChangeLog,
};

const char* SegmentName(uint32_t type) {
  static const char* const kNames[] = {
      "unknown",   "format",  "counter", "node", "edge", "chunk", "sliceRef", "symlink",
      "sustained", "delFile", "xattr",   "acl",  "stat", "quota", "parent",   "changeLog"};
  return type < 16 ? kNames[type] : "unknown";
}

// Frames segments and keeps the footer's index of them.
class SegmentWriter {
 public:
  explicit SegmentWriter(Sink* out) : out_(out) {}

  Status Write(uint32_t type, const google::protobuf::Message& msg, uint64_t records) {
    std::string payload;
    if (!msg.SerializeToString(&payload)) return Status::IOError("cannot encode a segment");
    std::string head;
    PutBE32(&head, type);
    PutBE64(&head, payload.size());
    auto& info = (*footer_.mutable_infos())[SegmentName(type)];
    info.add_offset(pos_);
    info.set_num(info.num() + records);
    pos_ += head.size() + payload.size();
    stats_records_ += records;
    JFS_RETURN_IF_ERROR(out_->Write(head));
    return out_->Write(payload);
  }

  Status Finish() {
    std::string tail;
    PutBE32(&tail, kBinaryMagic);  // end of segments
    footer_.set_magic(kBinaryMagic);
    footer_.set_version(kBinaryVersion);
    std::string data;
    google::protobuf::io::StringOutputStream raw(&data);
    {
      google::protobuf::io::CodedOutputStream coded(&raw);
      coded.SetSerializationDeterministic(true);  // sorted map keys: same bytes every time
      footer_.SerializeToCodedStream(&coded);
    }
    tail += data;
    PutBE64(&tail, data.size());
    pos_ += tail.size();
    return out_->Write(tail);
  }

  uint64_t bytes() const { return pos_; }
  uint64_t records() const { return stats_records_; }

 private:
  Sink* out_;
  uint64_t pos_ = 0, stats_records_ = 0;
  pb::Footer footer_;
};

class BinaryDumper {
 public:
  BinaryDumper(MetaSnapshot* snap, Sink* out, const DumpOptions& opts)
      : snap_(snap), w_(out), opts_(opts) {}

  Result<DumpStats> Run() {
    JFS_RETURN_IF_ERROR(Format());
    JFS_RETURN_IF_ERROR(Counters());
    JFS_RETURN_IF_ERROR(Mix());
    JFS_RETURN_IF_ERROR(Sustained());
    JFS_RETURN_IF_ERROR(Simple(RecordKind::kDelFile, kDelFile, [](pb::Batch* b, auto& k, auto v) {
      auto* d = b->add_delfiles();
      d->set_inode(k.ino);
      d->set_length(k.id);
      d->set_expire(v.size() == 8 ? static_cast<int64_t>(GetBE64(v.data())) : 0);
    }));
    JFS_RETURN_IF_ERROR(Simple(RecordKind::kSliceRef, kSliceRef, [](pb::Batch* b, auto& k, auto v) {
      auto* r = b->add_slicerefs();
      r->set_id(k.id);
      r->set_size(k.index);
      r->set_refs((v.size() == 8 ? static_cast<int64_t>(GetLE64(v.data())) : 0) + 1);
    }));
    JFS_RETURN_IF_ERROR(Simple(RecordKind::kAclRule, kAcl, [](pb::Batch* b, auto& k, auto v) {
      auto* a = b->add_acls();
      a->set_id(static_cast<uint32_t>(k.id));
      a->set_data(std::string(v));
    }));
    JFS_RETURN_IF_ERROR(Quotas());
    JFS_RETURN_IF_ERROR(Simple(RecordKind::kDirStat, kStat, [](pb::Batch* b, auto& k, auto v) {
      auto* s = b->add_dirstats();
      s->set_inode(k.ino);
      if (auto st = DecodeDirStat(v); st.ok()) {
        s->set_datalength(st->length);
        s->set_usedspace(st->space);
        s->set_usedinodes(st->inodes);
      }
    }));
    JFS_RETURN_IF_ERROR(w_.Finish());
    if (damaged_ > 0) {
      // The file is complete but for them: say so rather than pass it as a copy.
      return Status::Corruption(std::to_string(damaged_) +
                                " damaged records were left out of the binary dump (the first: " +
                                first_damaged_ + "); run 'jfsbr check'");
    }
    DumpStats stats;
    stats.version = snap_->version();
    stats.entries = w_.records();
    stats.bytes = w_.bytes();
    return stats;
  }

 private:
  void Damaged(std::string what) {
    if (damaged_++ == 0) first_damaged_ = std::move(what);
  }

  Status Format() {
    JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(snap_));
    if (!opts_.keep_secret) f = RedactSecrets(std::move(f), /*encrypt_key_too=*/true);
    FillDefaultTiers(&f);
    change_log_ = f.change_log;
    pb::Format msg;
    msg.set_data(EncodeSetting(f));
    return w_.Write(kFormat, msg, 1);
  }

  Status Counters() {
    pb::Batch b;
    for (const char* name :
         {"usedSpace", "totalInodes", "nextInode", "nextChunk", "nextSession", "nextTrash"}) {
      JFS_ASSIGN_OR_RETURN(auto v, snap_->Get(RecordKey::Counter(name)));
      auto* c = b.add_counters();
      c->set_key(name);
      c->set_value(v && v->size() == 8 ? static_cast<int64_t>(GetLE64(v->data())) : 0);
    }
    // As JuiceFS on Redis and SQL: the change log's last id, after the rest,
    // while the log is on and has one (the entries are not dumped).
    JFS_ASSIGN_OR_RETURN(int64_t last_changelog, snap_->Counter("lastChangelog"));
    if (change_log_ && last_changelog > 0) {
      auto* c = b.add_counters();
      c->set_key("lastChangelog");
      c->set_value(last_changelog);
    }
    return w_.Write(kCounter, b, b.counters_size());
  }

  // Every inode's records, in the engine's order (kind by kind where kinds
  // are stored apart), into node/edge/chunk/symlink/xattr/parent segments
  // of up to 10,000 records; then each type's remainder (possibly empty, as
  // JuiceFS writes them), in that fixed order.
  Status Mix() {
    static constexpr std::array<uint32_t, 6> kTypes = {kNode,    kEdge,  kChunk,
                                                       kSymlink, kXattr, kParent};
    std::map<uint32_t, pb::Batch> lists;
    std::map<uint32_t, uint64_t> counts;
    Status st;
    auto flush = [&](uint32_t type) {
      st = w_.Write(type, lists[type], counts[type]);
      lists[type].Clear();
      counts[type] = 0;
      if (opts_.progress) opts_.progress(w_.records());
      return st.ok();
    };
    auto add = [&](const RecordKey& k, std::string_view v) {
      uint32_t type = 0;
      switch (k.kind) {
        case RecordKind::kAttr: {
          type = kNode;
          auto* n = lists[type].add_nodes();
          n->set_inode(k.ino);
          n->set_data(std::string(v));
          break;
        }
        case RecordKind::kEntry: {
          auto d = DecodeDentry(v);
          if (!d.ok()) {
            Damaged(Describe(k) + ": " + d.status().message());
            return true;
          }
          type = kEdge;
          auto* e = lists[type].add_edges();
          e->set_parent(k.ino);
          e->set_inode(d->ino);
          e->set_name(k.name);
          e->set_type(static_cast<uint32_t>(d->type));
          break;
        }
        case RecordKind::kChunk: {
          type = kChunk;
          auto* c = lists[type].add_chunks();
          c->set_inode(k.ino);
          c->set_index(k.index);
          c->set_slices(std::string(v));
          break;
        }
        case RecordKind::kSymlink: {
          type = kSymlink;
          auto* s = lists[type].add_symlinks();
          s->set_inode(k.ino);
          s->set_target(std::string(v));
          break;
        }
        case RecordKind::kXattr: {
          type = kXattr;
          auto* x = lists[type].add_xattrs();
          x->set_inode(k.ino);
          x->set_name(k.name);
          x->set_value(std::string(v));
          break;
        }
        case RecordKind::kParent: {
          type = kParent;
          auto* p = lists[type].add_parents();
          p->set_inode(k.ino);
          p->set_parent(k.other);
          p->set_cnt(v.size() == 8 ? static_cast<int64_t>(GetLE64(v.data())) : 0);
          break;
        }
        default:
          Damaged("a record of inode " + std::to_string(k.ino) + " of no known kind");
          return true;
      }
      if (++counts[type] >= kSegmentRecords) return flush(type);
      return true;
    };
    if (snap_->KindsStoredApart()) {
      // A table at a time in its stored order (no index lookups): the
      // loaders, jfsbr's and JuiceFS's, take records in any order.
      for (RecordKind kind : {RecordKind::kAttr, RecordKind::kEntry, RecordKind::kChunk,
                              RecordKind::kSymlink, RecordKind::kXattr, RecordKind::kParent}) {
        JFS_RETURN_IF_ERROR(snap_->Scan(RecordRange::KindInAnyOrder(kind), add));
        if (!st.ok()) break;
      }
    } else {
      JFS_RETURN_IF_ERROR(ScanInodes(add));
    }
    JFS_RETURN_IF_ERROR(st);
    for (uint32_t type : kTypes) {
      if (!flush(type)) return st;
    }
    return Status::OK();
  }

  // Calls add for every inode record in the engine's order. Where the
  // shards concatenate (TKV), the second half of the key space is read on a
  // thread into a temporary file meanwhile and replayed after the first: on
  // etcd, two ranges served at once (as the JSON dump reads them).
  Status ScanInodes(const std::function<bool(const RecordKey&, std::string_view)>& add) {
    if (!snap_->ShardsConcatenate() || opts_.threads < 2) {
      return snap_->Scan(RecordRange::InodeShard(0, 1), add);
    }
    RunFile later("");
    std::vector<size_t> pieces;  // what each append wrote: whole records
    auto second = std::async(std::launch::async, [&] { return SaveShard(1, 2, &later, &pieces); });
    Status first = snap_->Scan(RecordRange::InodeShard(0, 2), add);
    JFS_RETURN_IF_ERROR(second.get());  // (waited for before `later` goes)
    JFS_RETURN_IF_ERROR(first);
    return Replay(later, pieces, add);
  }

  // Shard i of n as records [kind u8][ino u64][other u64][index u32][name
  // len u32][value len u32][name][value], in appends of about 1 MiB.
  Status SaveShard(int i, int n, RunFile* out, std::vector<size_t>* pieces) {
    std::string buf;
    auto spill = [&]() -> Status {
      JFS_RETURN_IF_ERROR(out->Append(buf.data(), buf.size()).status());
      pieces->push_back(buf.size());
      buf.clear();
      return Status::OK();
    };
    JFS_RETURN_IF_ERROR(snap_->ScanChecked(
        RecordRange::InodeShard(i, n), [&](const RecordKey& k, std::string_view v) -> Status {
          buf.push_back(static_cast<char>(k.kind));
          PutLE64(&buf, k.ino);
          PutLE64(&buf, k.other);
          PutLE32(&buf, k.index);
          PutLE32(&buf, static_cast<uint32_t>(k.name.size()));
          PutLE32(&buf, static_cast<uint32_t>(v.size()));
          buf += k.name;
          buf += v;
          return buf.size() >= (1 << 20) ? spill() : Status::OK();
        }));
    return buf.empty() ? Status::OK() : spill();
  }

  Status Replay(const RunFile& in, const std::vector<size_t>& pieces,
                const std::function<bool(const RecordKey&, std::string_view)>& add) {
    constexpr size_t kHead = 1 + 8 + 8 + 4 + 4 + 4;
    std::string buf;
    RecordKey k;
    uint64_t offset = 0;
    for (size_t piece : pieces) {
      buf.resize(piece);
      JFS_RETURN_IF_ERROR(in.Read(offset, buf.data(), piece));
      offset += piece;
      for (std::string_view rest(buf); !rest.empty();) {
        const char* head = rest.data();
        uint32_t name_len = GetLE32(head + 21), value_len = GetLE32(head + 25);
        k.kind = static_cast<RecordKind>(head[0]);
        k.ino = GetLE64(head + 1);
        k.other = GetLE64(head + 9);
        k.index = GetLE32(head + 17);
        k.name.assign(head + kHead, name_len);
        if (!add(k, rest.substr(kHead + name_len, value_len))) return Status::OK();
        rest.remove_prefix(kHead + name_len + value_len);
      }
    }
    return Status::OK();
  }

  Status Sustained() {
    std::map<uint64_t, std::vector<Ino>> by_session;
    JFS_RETURN_IF_ERROR(
        snap_->Scan(RecordRange::Kind(RecordKind::kSustained), [&](const RecordKey& k, auto) {
          by_session[k.id].push_back(k.ino);
          return true;
        }));
    pb::Batch b;
    for (auto& [sid, inodes] : by_session) {
      std::sort(inodes.begin(), inodes.end());
      auto* s = b.add_sustained();
      s->set_sid(sid);
      for (Ino i : inodes) s->add_inodes(i);
    }
    return w_.Write(kSustained, b, b.sustained_size());
  }

  // One segment of every record of a kind.
  template <typename F>
  Status Simple(RecordKind kind, uint32_t type, F add) {
    pb::Batch b;
    uint64_t n = 0;
    JFS_RETURN_IF_ERROR(
        snap_->Scan(RecordRange::Kind(kind), [&](const RecordKey& k, std::string_view v) {
          add(&b, k, v);
          n++;
          return true;
        }));
    return w_.Write(type, b, n);
  }

  Status Quotas() {
    pb::Batch b;
    uint64_t n = 0;
    for (const auto& kind :
         {std::pair{RecordKind::kDirQuota, 0u}, std::pair{RecordKind::kUserQuota, 1u},
          std::pair{RecordKind::kGroupQuota, 2u}}) {
      uint32_t qtype = kind.second;  // (not a structured binding: lambdas capture it)
      JFS_RETURN_IF_ERROR(
          snap_->Scan(RecordRange::Kind(kind.first), [&](const RecordKey& k, std::string_view v) {
            auto q = DecodeQuota(v);
            if (!q.ok()) {
              Damaged(Describe(k) + ": " + q.status().message());
              return true;
            }
            pb::Quota* m = qtype == 0   ? b.add_quotas()
                           : qtype == 1 ? b.add_userquotas()
                                        : b.add_groupquotas();
            m->set_key(qtype == 0 ? k.ino : k.id);
            m->set_maxspace(q->max_space);
            m->set_maxinodes(q->max_inodes);
            m->set_usedspace(q->used_space);
            m->set_usedinodes(q->used_inodes);
            m->set_type(qtype);
            n++;
            return true;
          }));
    }
    if (n == 0) return Status::OK();  // no quota segment at all, as JuiceFS
    return w_.Write(kQuota, b, n);
  }

  MetaSnapshot* snap_;
  SegmentWriter w_;
  const DumpOptions& opts_;
  bool change_log_ = false;  // the setting's, read by Format()
  uint64_t damaged_ = 0;
  std::string first_damaged_;
};

}  // namespace

Result<DumpStats> DumpBinary(MetaSnapshot* snapshot, Sink* out, const DumpOptions& opts) {
  BufferedSink buffered(out, 1 << 20);
  BinaryDumper dumper(snapshot, &buffered, opts);
  JFS_ASSIGN_OR_RETURN(DumpStats stats, dumper.Run());
  JFS_RETURN_IF_ERROR(buffered.Flush());
  return stats;
}

}  // namespace jfsbr
