// The restore guard: a listing of chunks/ for the slice ids in use, the
// counter raised past them, the mark written.
#include "backup/restore_guard.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "model/block.h"
#include "model/records.h"
#include "util/clock.h"
#include "util/json.h"

namespace jfsbr {
namespace {

constexpr const char* kRestoreDir = "jfsbr/restores/";

}  // namespace

std::string EncodeRestoreMark(const RestoreMark& m) {
  std::string out;
  GoObjectWriter w(&out, "  ", 0);
  w.Int("mark_version", 1);
  w.String("source", m.source);
  w.String("target", m.target);
  w.Int("point_time", m.point_time);
  w.Int("restored_at", m.restored_at);
  w.Uint("point_next_chunk", m.point_next_chunk);
  w.Uint("next_chunk", m.next_chunk);
  w.Uint("newer_objects", m.newer_objects);
  w.Uint("newer_bytes", m.newer_bytes);
  w.End();
  return out + "\n";
}

Result<RestoreMark> DecodeRestoreMark(std::string_view json) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, ParseJson(json));
  if (v.kind != JsonValue::Kind::kObject)
    return Status::Corruption("restore mark is not an object");
  RestoreMark m;
  JFS_ASSIGN_OR_RETURN(m.source, StringMember(v, "source"));
  JFS_ASSIGN_OR_RETURN(m.target, StringMember(v, "target"));
  JFS_ASSIGN_OR_RETURN(m.point_time, IntMember(v, "point_time"));
  JFS_ASSIGN_OR_RETURN(m.restored_at, IntMember(v, "restored_at"));
  JFS_ASSIGN_OR_RETURN(m.point_next_chunk, UintMember(v, "point_next_chunk"));
  JFS_ASSIGN_OR_RETURN(m.next_chunk, UintMember(v, "next_chunk"));
  JFS_ASSIGN_OR_RETURN(m.newer_objects, UintMember(v, "newer_objects"));
  JFS_ASSIGN_OR_RETURN(m.newer_bytes, UintMember(v, "newer_bytes"));
  return m;
}

Result<RestoreMark> GuardRestoredBucket(Meta* target, ObjectStore* store, bool hash_prefix,
                                        RestoreMark mark, int threads) {
  int64_t next = 0;
  {
    JFS_ASSIGN_OR_RETURN(auto snap, target->Snapshot());
    JFS_ASSIGN_OR_RETURN(next, snap->Counter("nextChunk"));
  }
  mark.point_next_chunk = static_cast<uint64_t>(std::max<int64_t>(next, 0));
  if (mark.restored_at == 0) mark.restored_at = UnixSeconds();
  std::atomic<uint64_t> max_id{0}, objects{0}, bytes{0};
  Status listed = ListRanges(
      store, "chunks/", ChunkListingBoundaries(hash_prefix), threads, [&](const ObjectInfo& o) {
        auto n = ParseBlockName(o.key);
        // Counted by time only strictly after the state's second
        // (the state's own objects share it); gc's Covers keeps
        // that second too.
        bool by_time =
            mark.point_time > 0 && o.mtime > mark.point_time && o.mtime <= mark.restored_at;
        if (!n || (n->id < mark.point_next_chunk && !by_time)) {
          return Status::OK();
        }
        objects++;
        bytes += o.size;
        uint64_t seen = max_id.load();
        while (n->id > seen && !max_id.compare_exchange_weak(seen, n->id)) {
        }
        return Status::OK();
      });
  JFS_RETURN_IF_ERROR(listed.Annotate("listing the volume's objects (" + store->Describe() + ")"));
  mark.newer_objects = objects;
  mark.newer_bytes = bytes;
  mark.next_chunk = std::max(mark.point_next_chunk, max_id.load() + 1);
  if (mark.newer_objects == 0) {
    mark.next_chunk = mark.point_next_chunk;
    return mark;  // nothing was written after this state: nothing to guard
  }
  // The raise, before the setting: a restored volume never hands out an
  // id whose objects exist.
  if (mark.next_chunk > mark.point_next_chunk) {
    auto tx = target->Begin();
    tx->Put(RecordKey::Counter("nextChunk"),
            EncodeCounterLE(static_cast<int64_t>(mark.next_chunk)));
    JFS_RETURN_IF_ERROR(tx->Commit().Annotate("raising nextChunk"));
  }
  mark.key = std::string(kRestoreDir) +
             FormatTime(mark.restored_at, "restore-%Y-%m-%d-%H%M%S-", /*utc=*/true) +
             std::to_string(mark.next_chunk) + ".json";
  JFS_RETURN_IF_ERROR(store->Put(mark.key, EncodeRestoreMark(mark)).Annotate("restore mark"));
  return mark;
}

Result<std::vector<RestoreMark>> ListRestoreMarks(ObjectStore* store) {
  JFS_ASSIGN_OR_RETURN(auto objects, ListAll(store, kRestoreDir));
  std::vector<RestoreMark> out;
  for (const auto& o : objects) {
    JFS_ASSIGN_OR_RETURN(std::string text, store->Get(o.key));
    auto m = DecodeRestoreMark(text);
    if (!m.ok()) return m.status().Annotate(o.key);
    m->key = o.key;
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace jfsbr
