// Chunk compaction: overlapping slice records merged into one new slice.
#include "fs/internal.h"
#include "fs/volume.h"
#include "model/chunk.h"

namespace jfsbr {

Result<Volume::Compacted> Volume::CompactChunk(Ino ino, uint32_t index,
                                               std::vector<SliceId>* unused_out) {
  Compacted c;
  const RecordKey ckey = RecordKey::Chunk(ino, index);
  JFS_ASSIGN_OR_RETURN(auto value, meta_->Get(ckey));
  if (!value || value->size() <= kSliceRecordBytes) return c;
  JFS_ASSIGN_OR_RETURN(auto records, DecodeChunk(*value));
  auto segments = ResolveChunk(records);  // holes read as zeros with or without records
  while (!segments.empty() && segments.back().id == 0) segments.pop_back();
  while (!segments.empty() && segments.front().id == 0) segments.erase(segments.begin());
  if (segments.empty()) return c;  // only holes: nothing to read
  const uint32_t start = segments.front().pos;
  uint32_t end = segments.back().pos + segments.back().len;
  // What a reader sees in [start, end), holes as zeros.
  std::string data(end - start, '\0');
  for (const auto& s : segments) {
    if (s.id == 0) continue;
    JFS_RETURN_IF_ERROR(ReadSegment(s.id, s.size, s.off, s.len, data.data() + (s.pos - start)));
  }
  JFS_ASSIGN_OR_RETURN(uint64_t id, NextSliceId());
  const uint64_t bs = block_bytes();
  for (uint64_t off = 0; off < data.size(); off += bs) {
    JFS_RETURN_IF_ERROR(
        PutBlock(id, static_cast<uint32_t>(off / bs), std::string_view(data).substr(off, bs)));
  }
  const uint32_t size = static_cast<uint32_t>(data.size());
  std::string head;
  AppendSliceRecord(&head, {start, id, size, 0, size});
  // The records are swapped out from the front, kRefsPerTxn a transaction when
  // each drops references (etcd's max-txn-ops), all at once when they go to
  // one L record. Any prefix of them replaced by the new slice reads the same,
  // since records later in the chunk lie over it and it holds what they show.
  const bool trash = format_.trash_days > 0;
  size_t done = 0;
  while (done < records.size()) {
    const size_t n = trash ? records.size() : std::min(kRefsPerTxn, records.size() - done);
    // The chunk as the last step left it, followed by anything appended since.
    const std::string expect = (done ? head : "") + value->substr(done * kSliceRecordBytes);
    std::vector<SliceId> unused;
    bool swapped = false;
    JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
      unused.clear();
      swapped = false;
      auto part = std::span(records).subspan(done, n);
      // The chunk and the references this step drops, in one request.
      std::vector<RecordKey> reads = trash ? std::vector<RecordKey>{} : fsi::SliceRefKeys(part);
      reads.push_back(ckey);
      JFS_RETURN_IF_ERROR(tx.Prefetch(reads));
      JFS_ASSIGN_OR_RETURN(auto now, tx.Get(ckey));
      if (!now || !now->starts_with(expect)) return Status::OK();
      const size_t replaced = (done ? head.size() : 0) + n * kSliceRecordBytes;
      tx.Put(ckey, head + now->substr(replaced));
      swapped = true;
      if (!trash) return fsi::DropRecordRefs(tx, part, &unused);
      std::vector<SliceId> old;
      for (const auto& r : part) {
        if (r.id != 0) old.push_back({r.id, r.size});
      }
      tx.Put(RecordKey::DelayedSlices(fsi::Now().sec, id), EncodeDelayedSlices(old));
      return Status::OK();
    }));
    if (!swapped) break;  // the chunk moved on
    done += n;
    if (unused_out) {
      unused_out->insert(unused_out->end(), unused.begin(), unused.end());
    } else {
      JFS_RETURN_IF_ERROR(DropSlices(unused, nullptr));
    }
  }
  if (done == 0) {  // the new slice is not used
    SliceId mine{id, size};
    JFS_RETURN_IF_ERROR(DropSlices({&mine, 1}, nullptr));
    return c;
  }
  c.records = done;
  c.bytes = size;
  c.changed = true;
  return c;
}

}  // namespace jfsbr
