// info: a path's summary (usage under it) and, for a file, its block objects.
#include "fs/info.h"

#include "model/block.h"
#include "model/chunk.h"

namespace jfsbr {

Result<Summary> Summarize(Volume* vol, Ino ino) {
  JFS_ASSIGN_OR_RETURN(Attr a, vol->GetAttr(ino));
  Summary s;
  if (!a.IsDir()) {
    s.files = 1;
    s.length = a.type == FileType::kFile ? a.length : 0;
    s.size = static_cast<uint64_t>(Align4K(s.length));
    return s;
  }
  s.dirs = 1;
  s.size = 4096;
  JFS_ASSIGN_OR_RETURN(auto entries, vol->ReadDir(ino));
  for (const auto& e : entries) {
    JFS_ASSIGN_OR_RETURN(Summary c, Summarize(vol, e.dentry.ino));
    s.files += c.files, s.dirs += c.dirs, s.length += c.length, s.size += c.size;
  }
  return s;
}

Result<std::vector<ObjectRow>> FileObjects(Volume* vol, Ino ino) {
  JFS_ASSIGN_OR_RETURN(Attr a, vol->GetAttr(ino));
  std::vector<ObjectRow> rows;
  if (a.type != FileType::kFile) return rows;
  const uint64_t bs = vol->block_bytes();
  const std::string prefix = vol->format().name + "/";
  for (uint64_t index = 0; index * kChunkSize < a.length; index++) {
    JFS_ASSIGN_OR_RETURN(auto records, vol->ReadChunk(ino, static_cast<uint32_t>(index)));
    for (const auto& seg : ResolveChunk(records)) {
      uint64_t pos = index * kChunkSize + seg.pos;
      if (pos >= a.length) break;
      uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(seg.len, a.length - pos));
      if (seg.id == 0) {
        // As juicefs info prints a hole: the hole slice's own size (0) and
        // the offset into it (a hole split by a later write keeps counting).
        rows.push_back({static_cast<uint32_t>(index), "", seg.size, seg.off, len, pos});
        continue;
      }
      // The blocks of the slice that hold [off, off+len).
      uint64_t off = seg.off, end = uint64_t{seg.off} + len;
      for (uint64_t b = off / bs; b * bs < end; b++) {
        uint32_t blen = BlockLen(seg.size, static_cast<uint32_t>(b), bs);
        uint64_t lo = std::max(off, b * bs), hi = std::min(end, b * bs + blen);
        rows.push_back(
            {static_cast<uint32_t>(index),
             prefix + BlockKey(seg.id, static_cast<uint32_t>(b), blen, vol->format().hash_prefix),
             blen, static_cast<uint32_t>(lo - b * bs), static_cast<uint32_t>(hi - lo),
             pos + (lo - off)});
      }
    }
  }
  return rows;
}

}  // namespace jfsbr
