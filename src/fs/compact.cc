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
  std::vector<SliceId> unused;
  bool swapped = false;
  JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
    unused.clear();
    swapped = false;
    JFS_ASSIGN_OR_RETURN(auto now, tx.Get(ckey));
    if (!now || now->compare(0, value->size(), *value) != 0) return Status::OK();
    std::string fresh;
    AppendSliceRecord(&fresh, {start, id, size, 0, size});
    fresh.append(*now, value->size());  // records appended since
    tx.Put(ckey, fresh);
    std::vector<SliceId> old;
    for (const auto& r : records) {
      if (r.id != 0) old.push_back({r.id, r.size});
    }
    if (format_.trash_days > 0) {
      tx.Put(RecordKey::DelayedSlices(fsi::Now().sec, id), EncodeDelayedSlices(old));
    } else {
      for (const auto& s : old) {
        JFS_ASSIGN_OR_RETURN(bool gone, fsi::DropSliceRef(tx, s));
        if (gone) unused.push_back(s);
      }
    }
    swapped = true;
    return Status::OK();
  }));
  if (!swapped) {  // the chunk moved on: the new slice is not used
    SliceId mine{id, size};
    JFS_RETURN_IF_ERROR(DropSlices({&mine, 1}, nullptr));
    return c;
  }
  if (unused_out) {
    unused_out->insert(unused_out->end(), unused.begin(), unused.end());
  } else {
    JFS_RETURN_IF_ERROR(DropSlices(unused, nullptr));
  }
  c.records = records.size();
  c.bytes = size;
  c.changed = true;
  return c;
}

}  // namespace jfsbr
