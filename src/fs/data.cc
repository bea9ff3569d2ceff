// File data: writing slices, reading through overlapping slices, truncation,
// and deleting the data of removed files.
#include <cstring>

#include "fs/internal.h"
#include "fs/volume.h"
#include "fs/write_rules.h"
#include "model/block.h"
#include "model/chunk.h"

namespace jfsbr {

using fsi::GetAttr;
using fsi::PutAttr;

namespace {

Result<Attr> GetFileAttr(MetaTxn& tx, Ino ino) {
  JFS_ASSIGN_OR_RETURN(Attr a, fsi::GetAttr(tx, ino));
  if (a.IsDir()) return Status::IsDirectory("inode " + std::to_string(ino));
  if (a.type != FileType::kFile) {
    return Status::InvalidArgument("inode " + std::to_string(ino) + " is not a regular file");
  }
  return a;
}

void AppendToChunk(std::string* value, const SliceRecord& r) {
  std::string rec;
  AppendSliceRecord(&rec, r);
  for (size_t i = 0; i + kSliceRecordBytes <= value->size(); i += kSliceRecordBytes) {
    if (value->compare(i, kSliceRecordBytes, rec) == 0) return;  // identical write: ignored
  }
  value->append(rec);
}

Status AppendRecordTx(MetaTxn& tx, Ino ino, uint32_t index, const SliceRecord& r) {
  RecordKey key = RecordKey::Chunk(ino, index);
  JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key));
  std::string value = v.value_or("");
  if (value.size() % kSliceRecordBytes != 0) {
    return Status::Corruption("chunk " + std::to_string(index) + " of inode " +
                              std::to_string(ino) + " has a torn value");
  }
  AppendToChunk(&value, r);
  tx.Put(key, std::move(value));
  return Status::OK();
}

// Sets a's length to new_length and charges the change to its parents' usage
// and the volume counters.
Status ChangeLength(MetaTxn& tx, const VolumeFormat& f, Ino ino, Attr* a, uint64_t new_length) {
  int64_t dl = static_cast<int64_t>(new_length) - static_cast<int64_t>(a->length);
  int64_t ds = Align4K(new_length) - Align4K(a->length);
  a->length = new_length;
  if (dl == 0 && ds == 0) return Status::OK();
  JFS_ASSIGN_OR_RETURN(auto parents, fsi::Parents(tx, ino, *a));
  for (const auto& [p, n] : parents) {
    JFS_RETURN_IF_ERROR(fsi::UpdateDirStat(tx, f, p, {dl * n, ds * n, 0}));
  }
  fsi::AddUsage(tx, ds, 0);
  return Status::OK();
}

}  // namespace

Status SliceWriter::Append(std::string_view data) {
  const uint64_t bs = vol_->block_bytes();
  while (!data.empty()) {
    if (!open_) {
      JFS_RETURN_IF_ERROR(vol_->writable());  // before any block is uploaded
      JFS_ASSIGN_OR_RETURN(cur_.record.id, vol_->NextSliceId());
      cur_.index = static_cast<uint32_t>(offset_ / kChunkSize);
      cur_.record.pos = static_cast<uint32_t>(offset_ % kChunkSize);
      cur_.record.size = cur_.record.off = cur_.record.len = 0;
      uploaded_ = 0;
      block_.clear();
      block_.reserve(bs);
      open_ = true;
    }
    uint64_t room = kChunkSize - (uint64_t{cur_.record.pos} + cur_.record.size);
    size_t take = std::min<uint64_t>({data.size(), room, bs - block_.size()});
    block_.append(data.substr(0, take));
    data.remove_prefix(take);
    cur_.record.size += static_cast<uint32_t>(take);
    offset_ += take;
    if (block_.size() == bs) {
      JFS_RETURN_IF_ERROR(
          vol_->PutBlock(cur_.record.id, static_cast<uint32_t>(uploaded_ / bs), block_));
      uploaded_ += static_cast<uint32_t>(bs);
      block_.clear();
    }
    if (uint64_t{cur_.record.pos} + cur_.record.size == kChunkSize)
      JFS_RETURN_IF_ERROR(FinishSlice());
  }
  return Status::OK();
}

Status SliceWriter::FinishSlice() {
  if (!block_.empty()) {
    const uint64_t bs = vol_->block_bytes();
    JFS_RETURN_IF_ERROR(
        vol_->PutBlock(cur_.record.id, static_cast<uint32_t>(uploaded_ / bs), block_));
    block_.clear();
  }
  cur_.record.len = cur_.record.size;
  done_.push_back(cur_);
  open_ = false;
  return Status::OK();
}

Result<std::vector<ChunkSlice>> SliceWriter::Finish() {
  if (open_ && cur_.record.size > 0) JFS_RETURN_IF_ERROR(FinishSlice());
  open_ = false;
  return std::move(done_);
}

Status Volume::PutBlock(uint64_t id, uint32_t index, std::string_view data) {
  JFS_RETURN_IF_ERROR(codec_status_);
  std::string key = BlockKey(id, index, static_cast<uint32_t>(data.size()), format_.hash_prefix);
  if (codec_.identity()) return store_->Put(key, data);
  JFS_ASSIGN_OR_RETURN(std::string stored, codec_.Encode(data));
  return store_->Put(key, stored);
}

Status Volume::AttachSlices(Ino ino, const std::vector<ChunkSlice>& slices) {
  if (slices.empty()) return Status::OK();
  JFS_RETURN_IF_ERROR(write_refusal_);
  uint64_t start = UINT64_MAX;
  for (const auto& s : slices) {
    start = std::min(start, uint64_t{s.index} * kChunkSize + s.record.pos);
  }
  return meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(Attr a, GetFileAttr(tx, ino));
    JFS_RETURN_IF_ERROR(fsi::CheckWrite(ino, a, start));
    uint64_t end = a.length;
    for (const auto& s : slices) {
      JFS_RETURN_IF_ERROR(AppendRecordTx(tx, ino, s.index, s.record));
      end = std::max(end, uint64_t{s.index} * kChunkSize + s.record.pos + s.record.len);
    }
    fsi::SetMtime(&a, fsi::Now());
    JFS_RETURN_IF_ERROR(ChangeLength(tx, format_, ino, &a, end));
    PutAttr(tx, ino, a);
    return Status::OK();
  });
}

Status Volume::Write(Ino ino, uint64_t offset, std::string_view data) {
  SliceWriter w(this, offset);
  JFS_RETURN_IF_ERROR(w.Append(data));
  JFS_ASSIGN_OR_RETURN(auto slices, w.Finish());
  return AttachSlices(ino, slices);
}

Result<std::vector<SliceRecord>> Volume::ReadChunk(Ino ino, uint32_t index) {
  JFS_ASSIGN_OR_RETURN(auto v, meta_->Get(RecordKey::Chunk(ino, index)));
  if (!v) return std::vector<SliceRecord>{};
  return DecodeChunk(*v);
}

Status Volume::ReadSegment(uint64_t id, uint32_t size, uint32_t off, uint32_t len, char* dst) {
  JFS_RETURN_IF_ERROR(codec_status_);
  const uint64_t bs = block_bytes();
  while (len > 0) {
    uint32_t index = static_cast<uint32_t>(off / bs);
    uint32_t boff = static_cast<uint32_t>(off % bs);
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(len, bs - boff));
    const uint32_t blen = BlockLen(size, index, bs);
    std::string key = BlockKey(id, index, blen, format_.hash_prefix);
    std::string data;
    if (codec_.identity()) {
      JFS_ASSIGN_OR_RETURN(data, store_->Get(key, boff, n));
    } else {  // a compressed block is read whole
      JFS_ASSIGN_OR_RETURN(std::string stored, store_->Get(key));
      auto block = codec_.Decode(stored, blen);
      if (!block.ok()) return block.status().Annotate("object " + key);
      data = block->substr(boff, n);
    }
    if (data.size() != n) {
      return Status::Corruption("object " + key + " is shorter than its name says");
    }
    memcpy(dst, data.data(), n);
    dst += n, off += n, len -= n;
  }
  return Status::OK();
}

Result<std::string> Volume::Read(Ino ino, uint64_t offset, uint64_t len) {
  JFS_ASSIGN_OR_RETURN(Attr a, GetAttr(ino));
  if (a.type != FileType::kFile) return Status::IsDirectory("inode " + std::to_string(ino));
  uint64_t end = std::min(a.length, offset + len);
  if (offset >= end) return std::string();
  std::string out(end - offset, '\0');
  for (uint64_t index = offset / kChunkSize; index * kChunkSize < end; index++) {
    JFS_ASSIGN_OR_RETURN(auto records, ReadChunk(ino, static_cast<uint32_t>(index)));
    uint64_t base = index * kChunkSize;
    for (const auto& seg : ResolveChunk(records)) {
      uint64_t lo = std::max(offset, base + seg.pos);
      uint64_t hi = std::min(end, base + seg.pos + seg.len);
      if (lo >= hi || seg.id == 0) continue;
      uint32_t within = static_cast<uint32_t>(lo - base - seg.pos);
      JFS_RETURN_IF_ERROR(ReadSegment(seg.id, seg.size, seg.off + within,
                                      static_cast<uint32_t>(hi - lo), out.data() + (lo - offset)));
    }
  }
  return out;
}

Status Volume::Truncate(Ino ino, uint64_t length) {
  JFS_RETURN_IF_ERROR(write_refusal_);
  return meta_->Transact([&](MetaTxn& tx) {
    JFS_ASSIGN_OR_RETURN(Attr a, GetFileAttr(tx, ino));
    JFS_RETURN_IF_ERROR(fsi::CheckChange(ino, a, "truncate"));
    if (length == a.length) return Status::OK();
    // Zero-slices cover [left, right), the range between old and new length.
    uint64_t left = std::min(a.length, length), right = std::max(a.length, length);
    uint32_t first = static_cast<uint32_t>(left / kChunkSize);
    uint32_t last = static_cast<uint32_t>(right / kChunkSize);
    if (last - first > 1) {
      std::vector<uint32_t> middle;
      JFS_RETURN_IF_ERROR(
          tx.Scan(RecordRange::Chunks(ino, first + 1, last), [&](const RecordKey& k, auto) {
            middle.push_back(k.index);
            return true;
          }));
      for (uint32_t index : middle) {
        JFS_RETURN_IF_ERROR(
            AppendRecordTx(tx, ino, index, {0, 0, 0, 0, static_cast<uint32_t>(kChunkSize)}));
      }
    }
    uint64_t first_end = (uint64_t{first} + 1) * kChunkSize;
    uint32_t l = static_cast<uint32_t>(std::min(right, first_end) - left);
    JFS_RETURN_IF_ERROR(
        AppendRecordTx(tx, ino, first, {static_cast<uint32_t>(left % kChunkSize), 0, 0, 0, l}));
    if (right > first_end && right % kChunkSize > 0) {
      JFS_RETURN_IF_ERROR(
          AppendRecordTx(tx, ino, last, {0, 0, 0, 0, static_cast<uint32_t>(right % kChunkSize)}));
    }
    fsi::SetMtime(&a, fsi::Now());
    JFS_RETURN_IF_ERROR(ChangeLength(tx, format_, ino, &a, length));
    PutAttr(tx, ino, a);
    return Status::OK();
  });
}

Status Volume::DeleteFileData(Ino ino, uint64_t length, Cleaned* cleaned) {
  std::vector<RecordKey> chunk_keys;
  // The chunks the length reaches, as JuiceFS deletes them: an engine that
  // cannot list an inode's chunks cheaply (Redis) probes just these.
  const auto chunks = static_cast<uint32_t>((length + kChunkSize - 1) / kChunkSize);
  JFS_RETURN_IF_ERROR(
      meta_->Scan(RecordRange::Chunks(ino, 0, chunks), [&](const RecordKey& k, auto) {
        chunk_keys.push_back(k);
        return true;
      }));
  for (const auto& ck : chunk_keys) JFS_RETURN_IF_ERROR(DeleteChunk(ck, cleaned));
  return meta_->Transact([&](MetaTxn& tx) {
    tx.Delete(RecordKey::DelFile(ino, length));
    return Status::OK();
  });
}

// From the head, kRefsPerTxn records a transaction, each dropping the
// references of exactly the records it removes: however fragmented the chunk,
// a transaction stays within etcd's max-txn-ops, and after any step the chunk
// and the references still agree (the file is gone: nobody reads the rest).
Status Volume::DeleteChunk(const RecordKey& ck, Cleaned* cleaned) {
  for (bool more = true; more;) {
    std::vector<SliceId> unused;
    JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
      unused.clear();
      more = false;
      JFS_ASSIGN_OR_RETURN(auto v, tx.Get(ck));
      if (!v) return Status::OK();
      JFS_ASSIGN_OR_RETURN(auto records, DecodeChunk(*v));
      const size_t n = std::min(records.size(), kRefsPerTxn);
      if (n == records.size()) {
        tx.Delete(ck);
      } else {
        tx.Put(ck, v->substr(n * kSliceRecordBytes));
        more = true;
      }
      return fsi::DropRecordRefs(tx, std::span(records).first(n), &unused);
    }));
    JFS_RETURN_IF_ERROR(DropSlices(unused, cleaned));
  }
  return Status::OK();
}

Status Volume::DropSlices(std::span<const SliceId> slices, Cleaned* cleaned) {
  for (const auto& s : slices) {
    if (keep_objects_ && keep_objects_(s.id)) {
      if (cleaned) cleaned->kept++;
      continue;
    }
    for (uint32_t i = 0; i < BlockCount(s.size, block_bytes()); i++) {
      JFS_RETURN_IF_ERROR(store_->Delete(
          BlockKey(s.id, i, BlockLen(s.size, i, block_bytes()), format_.hash_prefix)));
    }
    if (cleaned) cleaned->slices++, cleaned->bytes += s.size;
  }
  for (size_t i = 0; i < slices.size(); i += kRefsPerTxn) {
    auto part = slices.subspan(i, std::min(kRefsPerTxn, slices.size() - i));
    JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
      for (const auto& s : part) tx.Delete(RecordKey::SliceRef(s.id, s.size));
      return Status::OK();
    }));
  }
  return Status::OK();
}

}  // namespace jfsbr
