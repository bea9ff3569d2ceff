// Filing every inode's records under its parent directories, and reading a
// directory back from the spill.
#include "dump/tree_spill.h"

#include <algorithm>
#include <atomic>

#include "util/coding.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

constexpr uint32_t kEntriesPerRecord = 4096;
constexpr size_t kAttrParentOffset = 63;  // the parent field of an attr (juicefs-formats.md §1.4)

// Files the records of one shard of the inodes, inode by inode (an inode's
// records come together).
class InodeFiler {
 public:
  explicit InodeFiler(KeySpill::Writer* out) : out_(out) {}

  Status Record(const RecordKey& k, std::string_view v) {
    if (k.kind == RecordKind::kUnknown) return Status::OK();
    if (!open_ || k.ino != ino_) {
      JFS_RETURN_IF_ERROR(Finish());
      Start(k.ino);
    }
    char type;
    std::string_view rest;
    switch (k.kind) {
      case RecordKind::kEntry:
        PutLE16(&entries_, static_cast<uint16_t>(k.name.size()));
        entries_.append(k.name);
        PutLE16(&entries_, static_cast<uint16_t>(v.size()));
        entries_.append(v);
        if (++entry_count_ == kEntriesPerRecord) return FlushEntries();
        return Status::OK();
      case RecordKind::kParent:
        parents_.push_back(k.other);
        return Status::OK();
      case RecordKind::kAttr:
        type = 'I';
        has_attr_ = true;
        if (v.size() >= kAttrParentOffset + 8) attr_parent_ = GetBE64(v.data() + kAttrParentOffset);
        break;
      case RecordKind::kChunk:
        type = 'C';
        index_.clear();
        PutBE32(&index_, k.index);
        rest = index_;
        break;
      case RecordKind::kSymlink:
        type = 'S';
        break;
      case RecordKind::kXattr:
        type = 'X';
        rest = k.name;
        break;
      default:
        return Status::OK();
    }
    node_.push_back(type);
    PutLE16(&node_, static_cast<uint16_t>(rest.size()));
    node_.append(rest);
    PutLE32(&node_, static_cast<uint32_t>(v.size()));
    node_.append(v);
    return Status::OK();
  }

  // Files the inode read so far.
  Status Finish() {
    if (!open_) return Status::OK();
    open_ = false;
    if (entry_count_) JFS_RETURN_IF_ERROR(FlushEntries());
    if (!has_attr_) return Status::OK();  // nothing to file: a dentry to it reads the snapshot
    if (parents_.empty() && attr_parent_) parents_.push_back(attr_parent_);
    std::sort(parents_.begin(), parents_.end());
    parents_.erase(std::unique(parents_.begin(), parents_.end()), parents_.end());
    for (Ino p : parents_) JFS_RETURN_IF_ERROR(out_->Add(p, node_));
    return Status::OK();
  }

 private:
  void Start(Ino ino) {
    open_ = true;
    ino_ = ino;
    has_attr_ = false;
    attr_parent_ = 0;
    seq_ = 0;
    parents_.clear();
    node_.assign(1, 'N');
    PutLE64(&node_, ino);
    StartEntries();
  }

  void StartEntries() {
    entries_.assign(1, 'E');
    PutLE32(&entries_, seq_++);
    entry_count_ = 0;
  }

  Status FlushEntries() {
    Status st = out_->Add(ino_, entries_);
    StartEntries();
    return st;
  }

  KeySpill::Writer* out_;
  bool open_ = false, has_attr_ = false;
  Ino ino_ = 0, attr_parent_ = 0;
  uint32_t seq_ = 0, entry_count_ = 0;
  std::vector<Ino> parents_;
  std::string node_, entries_, index_;
};

Status BadSpill(const std::string& what) {
  return Status::Corruption("the dump's temporary file is damaged: " + what);
}

// Reads one length-prefixed field (u16 or u32 length) from *in.
template <typename Len>
bool Field(std::string_view* in, std::string_view* out) {
  if (in->size() < sizeof(Len)) return false;
  size_t len = sizeof(Len) == 2 ? GetLE16(in->data()) : GetLE32(in->data());
  if (in->size() - sizeof(Len) < len) return false;
  *out = in->substr(sizeof(Len), len);
  in->remove_prefix(sizeof(Len) + len);
  return true;
}

}  // namespace

Status SpillInodes(MetaReader* reader, int threads, size_t buffer_bytes, KeySpill* spill,
                   const std::function<void(uint64_t keys)>& progress) {
  size_t n = static_cast<size_t>(std::max(1, threads));
  std::atomic<uint64_t> keys{0};
  return ParallelFor(n, static_cast<int>(n), [&](size_t i) {
    auto writer = spill->NewWriter(buffer_bytes);
    InodeFiler filer(writer.get());
    uint64_t mine = 0;
    auto shard = RecordRange::InodeShard(static_cast<int>(i), static_cast<int>(n));
    JFS_RETURN_IF_ERROR(reader->ScanChecked(shard, [&](const RecordKey& k, std::string_view v) {
      if (++mine % 65536 == 0) {
        uint64_t total = keys.fetch_add(65536) + 65536;
        if (i == 0 && progress) progress(total);
      }
      return filer.Record(k, v);
    }));
    JFS_RETURN_IF_ERROR(filer.Finish());
    return writer->Flush();
  });
}

// Gives n bytes at offset (n may be cut at the end of what there is).
using ViewFn = std::function<Result<std::string_view>(uint64_t offset, size_t n)>;

// Calls fn(offset, payload head, payload length) for each record of the
// extent (records are [len u32][payload]), viewing it in chunks with view;
// the head is the payload's first 9 bytes, or all of it if shorter.
Status WalkExtent(const ViewFn& view, KeySpill::Extent e,
                  const std::function<Status(uint64_t, std::string_view, uint32_t)>& fn) {
  constexpr size_t kChunk = 1 << 20, kHead = 4 + 9;
  std::string_view chunk;
  uint64_t chunk_at = e.offset, pos = e.offset, end = e.offset + e.length;
  while (pos < end) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kHead, end - pos));
    if (pos + want > chunk_at + chunk.size()) {
      chunk_at = pos;
      JFS_ASSIGN_OR_RETURN(chunk,
                           view(pos, static_cast<size_t>(std::min<uint64_t>(kChunk, end - pos))));
    }
    std::string_view at = chunk.substr(pos - chunk_at, want);
    if (at.size() < 4) return BadSpill("a record is cut short");
    uint32_t len = GetLE32(at.data());
    if (len > end - pos - 4) return BadSpill("a record is cut short");
    JFS_RETURN_IF_ERROR(fn(pos + 4, at.substr(4, std::min<size_t>(len, 9)), len));
    pos += 4 + uint64_t{len};
  }
  return Status::OK();
}

Result<SpilledDir> SpilledDir::Read(const KeySpill& spill, Ino dir, uint64_t max_in_memory) {
  SpilledDir d;
  d.spill_ = &spill;
  d.dir_ = dir;
  std::vector<KeySpill::Extent> extents = spill.Find(dir);
  uint64_t total = 0, records = 0;
  for (const auto& e : extents) {
    total += e.length;
    records += e.records;
  }
  // Sized from the spill's counts: grown by doubling, the index of a
  // directory of 1 M children held three times its size at the last step.
  d.nodes_.reserve(records);
  d.in_memory_ = total <= max_in_memory;
  std::string buf;
  ViewFn view = [&](uint64_t offset, size_t n) -> Result<std::string_view> {
    buf.resize(n);
    JFS_RETURN_IF_ERROR(spill.Read(offset, n, buf.data()));
    return std::string_view(buf);
  };
  if (d.in_memory_) {
    d.data_.resize(total);
    size_t at = 0;
    for (const auto& e : extents) {
      JFS_RETURN_IF_ERROR(spill.Read(e.offset, e.length, d.data_.data() + at));
      at += e.length;
    }
    extents = {{0, static_cast<uint32_t>(total), static_cast<uint32_t>(records)}};
    view = [&](uint64_t offset, size_t n) -> Result<std::string_view> {
      return std::string_view(d.data_).substr(offset, n);
    };
  }
  for (const auto& e : extents) {
    JFS_RETURN_IF_ERROR(WalkExtent(view, e, [&](uint64_t at, std::string_view head, uint32_t len) {
      if (head.size() >= 5 && head[0] == 'E') {
        d.parts_.push_back({GetLE32(head.data() + 1), at + 5, len - 5});
      } else if (head.size() == 9 && head[0] == 'N') {
        d.nodes_.push_back({GetLE64(head.data() + 1), at + 9, len - 9});
      } else {
        return BadSpill("unknown record");
      }
      return Status::OK();
    }));
  }
  std::sort(d.parts_.begin(), d.parts_.end());
  std::sort(d.nodes_.begin(), d.nodes_.end());
  return d;
}

Status SpilledDir::ReadPart() {
  const Ref& r = parts_[next_part_++];
  if (in_memory_) {
    part_ = std::string_view(data_).substr(r.offset, r.length);
    return Status::OK();
  }
  data_.resize(r.length);
  JFS_RETURN_IF_ERROR(spill_->Read(r.offset, r.length, data_.data()));
  part_ = data_;
  return Status::OK();
}

Result<std::vector<DirChild>> SpilledDir::NextChildren(size_t max) {
  std::vector<DirChild> out;
  while (out.size() < max) {
    if (part_.empty()) {
      if (next_part_ == parts_.size()) break;
      JFS_RETURN_IF_ERROR(ReadPart());
      continue;
    }
    std::string_view name, value;
    if (!Field<uint16_t>(&part_, &name) || !Field<uint16_t>(&part_, &value)) {
      return BadSpill("an entry is cut short");
    }
    auto dentry = DecodeDentry(value);
    if (!dentry.ok()) return dentry.status().Annotate("entry of inode " + std::to_string(dir_));
    out.push_back({std::string(name), *dentry});
  }
  return out;
}

Result<std::string_view> SpilledDir::Node(Ino ino, std::string* scratch) const {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), Ref{ino, 0, 0});
  if (it == nodes_.end() || it->key != ino) return std::string_view();
  if (in_memory_) return std::string_view(data_).substr(it->offset, it->length);
  scratch->resize(it->length);
  JFS_RETURN_IF_ERROR(spill_->Read(it->offset, it->length, scratch->data()));
  return std::string_view(*scratch);
}

Status DecodeSpilledNode(std::string_view record, DumpedNode* n, std::optional<std::string>* attr) {
  while (!record.empty()) {
    char type = record[0];
    record.remove_prefix(1);
    std::string_view rest, value;
    if (!Field<uint16_t>(&record, &rest) || !Field<uint32_t>(&record, &value)) {
      return BadSpill("a node is cut short");
    }
    JFS_RETURN_IF_ERROR(AddNodeKey(type, rest, value, n, attr));
  }
  return Status::OK();
}

}  // namespace jfsbr
