#include <google/protobuf/stubs/logging.h>

#include <array>

#include "backup.pb.h"
#include "dump/binary.h"
#include "model/keys.h"
#include "model/records.h"
#include "model/setting.h"
#include "util/coding.h"

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
  BinaryDumper(KvSnapshot* snap, Sink* out, const BinaryDumpOptions& opts)
      : snap_(snap), w_(out), opts_(opts) {}

  Result<DumpStats> Run() {
    JFS_RETURN_IF_ERROR(Format());
    JFS_RETURN_IF_ERROR(Counters());
    JFS_RETURN_IF_ERROR(Mix());
    JFS_RETURN_IF_ERROR(Sustained());
    JFS_RETURN_IF_ERROR(Simple("D", 17, kDelFile, [](pb::Batch* b, auto k, auto v) {
      auto p = keys::Parse(k);
      auto* d = b->add_delfiles();
      d->set_inode(p.ino);
      d->set_length(p.id);
      d->set_expire(v.size() == 8 ? static_cast<int64_t>(GetBE64(v.data())) : 0);
    }));
    JFS_RETURN_IF_ERROR(Simple("K", 13, kSliceRef, [](pb::Batch* b, auto k, auto v) {
      auto p = keys::Parse(k);
      auto* r = b->add_slicerefs();
      r->set_id(p.id);
      r->set_size(p.index);
      r->set_refs((v.size() == 8 ? static_cast<int64_t>(GetLE64(v.data())) : 0) + 1);
    }));
    JFS_RETURN_IF_ERROR(Simple("R", 5, kAcl, [](pb::Batch* b, auto k, auto v) {
      auto* a = b->add_acls();
      a->set_id(static_cast<uint32_t>(keys::Parse(k).id));
      a->set_data(std::string(v));
    }));
    JFS_RETURN_IF_ERROR(Quotas());
    JFS_RETURN_IF_ERROR(Simple("U", 9, kStat, [](pb::Batch* b, auto k, auto v) {
      auto* s = b->add_dirstats();
      s->set_inode(keys::Parse(k).ino);
      if (auto st = DecodeDirStat(v); st.ok()) {
        s->set_datalength(st->length);
        s->set_usedspace(st->space);
        s->set_usedinodes(st->inodes);
      }
    }));
    JFS_RETURN_IF_ERROR(w_.Finish());
    DumpStats stats;
    stats.version = snap_->version();
    stats.entries = w_.records();
    stats.bytes = w_.bytes();
    return stats;
  }

 private:
  Status Format() {
    JFS_ASSIGN_OR_RETURN(auto setting, snap_->Get(keys::Setting()));
    if (!setting) return Status::NotFound("database is not formatted: no volume to dump");
    JFS_ASSIGN_OR_RETURN(VolumeFormat f, DecodeSetting(*setting));
    if (!opts_.keep_secret) f = RedactSecrets(std::move(f), /*encrypt_key_too=*/true);
    FillDefaultTiers(&f);
    pb::Format msg;
    msg.set_data(EncodeSetting(f));
    return w_.Write(kFormat, msg, 1);
  }

  Status Counters() {
    pb::Batch b;
    for (const char* name :
         {"usedSpace", "totalInodes", "nextInode", "nextChunk", "nextSession", "nextTrash"}) {
      JFS_ASSIGN_OR_RETURN(auto v, snap_->Get(keys::Counter(name)));
      auto* c = b.add_counters();
      c->set_key(name);
      c->set_value(v && v->size() == 8 ? static_cast<int64_t>(GetLE64(v->data())) : 0);
    }
    return w_.Write(kCounter, b, b.counters_size());
  }

  // Every A key, in key order, into node/edge/chunk/symlink/xattr/parent
  // segments of up to 10,000 records; then each type's remainder (possibly
  // empty, as JuiceFS writes them), in that fixed order.
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
    JFS_RETURN_IF_ERROR(snap_->Scan("A", "B", [&](std::string_view k, std::string_view v) {
      if (k.size() <= 9) return true;
      Ino ino = GetLE64(k.data() + 1);
      std::string_view rest = k.substr(10);
      uint32_t type = 0;
      switch (k[9]) {
        case 'I': {
          type = kNode;
          auto* n = lists[type].add_nodes();
          n->set_inode(ino);
          n->set_data(std::string(v));
          break;
        }
        case 'D': {
          auto d = DecodeDentry(v);
          if (!d.ok()) return true;
          type = kEdge;
          auto* e = lists[type].add_edges();
          e->set_parent(ino);
          e->set_inode(d->ino);
          e->set_name(std::string(rest));
          e->set_type(static_cast<uint32_t>(d->type));
          break;
        }
        case 'C': {
          if (rest.size() != 4) return true;
          type = kChunk;
          auto* c = lists[type].add_chunks();
          c->set_inode(ino);
          c->set_index(GetBE32(rest.data()));
          c->set_slices(std::string(v));
          break;
        }
        case 'S': {
          type = kSymlink;
          auto* s = lists[type].add_symlinks();
          s->set_inode(ino);
          s->set_target(std::string(v));
          break;
        }
        case 'X': {
          type = kXattr;
          auto* x = lists[type].add_xattrs();
          x->set_inode(ino);
          x->set_name(std::string(rest));
          x->set_value(std::string(v));
          break;
        }
        case 'P': {
          if (rest.size() != 8) return true;
          type = kParent;
          auto* p = lists[type].add_parents();
          p->set_inode(ino);
          p->set_parent(GetLE64(rest.data()));
          p->set_cnt(v.size() == 8 ? static_cast<int64_t>(GetLE64(v.data())) : 0);
          break;
        }
        default:
          return true;
      }
      if (++counts[type] >= kSegmentRecords) return flush(type);
      return true;
    }));
    JFS_RETURN_IF_ERROR(st);
    for (uint32_t type : kTypes) {
      if (!flush(type)) return st;
    }
    return Status::OK();
  }

  Status Sustained() {
    std::map<uint64_t, std::vector<Ino>> by_session;
    JFS_RETURN_IF_ERROR(snap_->Scan("SS", keys::PrefixEnd("SS"), [&](auto k, auto) {
      if (k.size() == 18) {
        auto p = keys::Parse(k);
        by_session[p.id].push_back(p.ino);
      }
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

  // One segment of every key with prefix and length key_len.
  template <typename F>
  Status Simple(std::string_view prefix, size_t key_len, uint32_t type, F add) {
    pb::Batch b;
    uint64_t n = 0;
    JFS_RETURN_IF_ERROR(snap_->Scan(prefix, keys::PrefixEnd(prefix), [&](auto k, auto v) {
      if (k.size() == key_len) {
        add(&b, k, v);
        n++;
      }
      return true;
    }));
    return w_.Write(type, b, n);
  }

  Status Quotas() {
    pb::Batch b;
    uint64_t n = 0;
    for (const auto& kind : {std::pair{"QD", 0u}, std::pair{"QU", 1u}, std::pair{"QG", 2u}}) {
      const char* prefix = kind.first;
      uint32_t qtype = kind.second;  // (not a structured binding: lambdas capture it)
      JFS_RETURN_IF_ERROR(snap_->Scan(prefix, keys::PrefixEnd(prefix), [&](auto k, auto v) {
        auto q = DecodeQuota(v);
        if (k.size() != 10 || !q.ok()) return true;
        auto p = keys::Parse(k);
        pb::Quota* m = qtype == 0   ? b.add_quotas()
                       : qtype == 1 ? b.add_userquotas()
                                    : b.add_groupquotas();
        m->set_key(qtype == 0 ? p.ino : p.id);
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

  KvSnapshot* snap_;
  SegmentWriter w_;
  const BinaryDumpOptions& opts_;
};

}  // namespace

Result<DumpStats> DumpBinary(KvSnapshot* snapshot, Sink* out, const BinaryDumpOptions& opts) {
  BufferedSink buffered(out, 1 << 20);
  BinaryDumper dumper(snapshot, &buffered, opts);
  JFS_ASSIGN_OR_RETURN(DumpStats stats, dumper.Run());
  JFS_RETURN_IF_ERROR(buffered.Flush());
  return stats;
}

}  // namespace jfsbr
