// gc: the slice inventory (metadata and retained backups), the parallel
// listing, then cleanups and deletions.
#include "gc/gc.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "backup/backup.h"
#include "model/block.h"
#include "model/records.h"
#include "util/clock.h"
#include "util/external_sorter.h"
#include "util/task_group.h"

namespace jfsbr {
namespace {

// Where a loader writes a backup when gc only wants its slices: a Meta that
// keeps nothing but the slices of the chunk records written into it.
class SliceCollector final : public Meta {
 public:
  explicit SliceCollector(SliceInventory* inv) : inv_(inv) {}

  Result<std::optional<std::string>> Get(const RecordKey&) override {
    return std::optional<std::string>();
  }
  Status Scan(const RecordRange&, const RecordFn&) override { return Status::OK(); }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override {
    return Status::NotSupported("a slice collector keeps nothing to read");
  }
  Result<uint64_t> Version() override { return uint64_t{0}; }
  std::unique_ptr<MetaTxn> Begin() override { return std::make_unique<Txn>(this); }
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int) override {
    return std::make_unique<Writer>(this);
  }
  Result<bool> Empty() override { return true; }
  Status Clear() override { return Status::OK(); }
  std::string Describe() const override { return "slice collector"; }

 private:
  Status Record(const RecordKey& k, std::string_view v) {
    if (k.kind != RecordKind::kChunk) return Status::OK();
    JFS_ASSIGN_OR_RETURN(auto records, DecodeChunk(v));
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& r : records) {
      if (r.id != 0) inv_->Add(r.id, r.size, SliceUse::kBackup);
    }
    return Status::OK();
  }

  class Writer final : public MetaBulkWriter {
   public:
    explicit Writer(SliceCollector* c) : c_(c) {}
    Status Put(const RecordKey& k, std::string v) override {
      n_++;
      return c_->Record(k, v);
    }
    Status Finish() override { return Status::OK(); }
    uint64_t records() const override { return n_; }

   private:
    SliceCollector* c_;
    uint64_t n_ = 0;
  };

  class Txn final : public MetaTxn {  // the loader's last write: the setting
   public:
    explicit Txn(SliceCollector* c) : c_(c) {}
    Result<std::optional<std::string>> Get(const RecordKey&) override {
      return std::optional<std::string>();
    }
    Status Scan(const RecordRange&, const RecordFn&) override { return Status::OK(); }
    void Put(const RecordKey& k, std::string v) override {
      if (st_.ok()) st_ = c_->Record(k, v);
    }
    void Delete(const RecordKey&) override {}
    void Add(const RecordKey&, int64_t) override {}
    Status Commit() override { return st_; }

   private:
    SliceCollector* c_;
    Status st_;
  };

  std::mutex mu_;
  SliceInventory* inv_;
};

// The slices the volume's metadata uses, from one snapshot.
Status ReadInventory(Meta* meta, SliceInventory* inv, GcReport* r) {
  JFS_ASSIGN_OR_RETURN(auto snap, meta->Snapshot());
  JFS_ASSIGN_OR_RETURN(int64_t next, snap->Counter("nextChunk"));
  r->next_chunk = static_cast<uint64_t>(next);
  auto kind = [](RecordKind k) { return RecordRange::Kind(k); };
  JFS_RETURN_IF_ERROR(
      snap->ScanChecked(kind(RecordKind::kChunk), [&](const RecordKey& p, auto v) -> Status {
        auto records = DecodeChunk(v);
        if (!records.ok()) return records.status().Annotate(Describe(p));
        for (const auto& s : *records) {
          if (s.id != 0) inv->Add(s.id, s.size, SliceUse::kUsed);
        }
        return Status::OK();
      }));
  JFS_RETURN_IF_ERROR(
      snap->ScanChecked(kind(RecordKind::kSliceRef), [&](const RecordKey& p, auto v) -> Status {
        auto refs = DecodeCounterLE(v);
        if (!refs.ok()) return refs.status().Annotate(Describe(p));
        if (*refs < 0) inv->Add(p.id, p.index, SliceUse::kPending);
        return Status::OK();
      }));
  JFS_RETURN_IF_ERROR(snap->ScanChecked(kind(RecordKind::kDelayedSlices),
                                        [&](const RecordKey& p, auto v) -> Status {
                                          auto slices = DecodeDelayedSlices(v);
                                          if (!slices.ok())
                                            return slices.status().Annotate(Describe(p));
                                          for (const auto& s : *slices)
                                            inv->Add(s.id, s.size, SliceUse::kTrash);
                                          return Status::OK();
                                        }));
  return snap->Scan(kind(RecordKind::kDelFile), [&](const RecordKey&, auto) {
    r->delfiles++;
    return true;
  });
}

void CountInventory(const SliceInventory& inv, uint64_t bs, GcReport* r) {
  for (const auto& [id, m] : inv.entries()) {
    switch (m.use) {
      case SliceUse::kUsed:
        r->used_slices++, r->used_bytes += m.size;
        r->expected_objects += BlockCount(m.size, bs);
        break;
      case SliceUse::kPending:
        r->pending_slices++, r->pending_bytes += m.size;
        break;
      case SliceUse::kTrash:
        r->trash_slices++, r->trash_bytes += m.size;
        break;
      case SliceUse::kBackup:
        r->backup_slices++;
        break;
    }
  }
}

constexpr size_t kExamples = 10;

// Lists and classifies every object under chunks/, in parallel ranges.
class Lister {
 public:
  Lister(ObjectStore* store, const SliceInventory& inv, VolumeLayout layout, int64_t cutoff,
         GcProgress* progress, GcReport* report)
      : store_(store),
        inv_(inv),
        layout_(layout),
        cutoff_(cutoff),
        progress_(progress),
        report_(report) {}

  Status Run(int threads) {
    Status st = ListRanges(store_, "chunks/", ChunkListingBoundaries(layout_.hash_prefix), threads,
                           [this](const ObjectInfo& o) { return Classify(o); });
    return st.Annotate("listing " + store_->Describe() + " chunks/");
  }
  std::vector<ObjectInfo>& leaked() { return leaked_; }

 private:
  Status Classify(ObjectInfo o) {
    if (o.size == 0 || o.mtime == 0) {  // some stores list these unreliably: ask again
      auto h = store_->Head(o.key);
      if (h.ok()) {
        o = *h;
      } else if (!h.status().Is(Code::kNotFound)) {
        return h.status();
      } else {
        return Status::OK();  // deleted meanwhile
      }
    }
    ObjectClass c = ClassifyObject(o.key, o.mtime, inv_, layout_, cutoff_);
    int ci = static_cast<int>(c);
    progress_->objects[ci]++;
    progress_->bytes[ci] += o.size;
    progress_->listed++;
    if (c == ObjectClass::kLeaked || c == ObjectClass::kForeign) {
      std::lock_guard<std::mutex> l(mu_);
      auto& examples =
          c == ObjectClass::kLeaked ? report_->leaked_examples : report_->foreign_examples;
      if (examples.size() < kExamples) examples.push_back(o.key);
      if (c == ObjectClass::kLeaked) leaked_.push_back(std::move(o));
    }
    return Status::OK();
  }

  ObjectStore* store_;
  const SliceInventory& inv_;
  VolumeLayout layout_;
  int64_t cutoff_;
  GcProgress* progress_;
  GcReport* report_;
  std::mutex mu_;
  std::vector<ObjectInfo> leaked_;
};

// Compacts every chunk holding several slice records, `threads` at a time.
// The chunks found by the scan wait in an external sorter (8 MiB in memory,
// the rest on disk) and are compacted in batches after it, once the snapshot
// is released: a badly fragmented volume costs disk, not memory.
Status CompactChunks(Volume* vol, int threads, GcReport* r) {
  ExternalSorter<ChunkId, std::less<ChunkId>> found(8 << 20);
  {
    JFS_ASSIGN_OR_RETURN(auto snap, vol->meta()->Snapshot());
    Status added;
    auto all = RecordRange::Kind(RecordKind::kChunk);
    JFS_RETURN_IF_ERROR(snap->Scan(all, [&](const RecordKey& p, auto v) {
      if (v.size() > kSliceRecordBytes) added = found.Add({p.ino, p.index});
      return added.ok();
    }));
    JFS_RETURN_IF_ERROR(added);
  }
  JFS_RETURN_IF_ERROR(found.Finish());
  // The replaced slices' objects and references go after each batch, in
  // groups of one transaction each: one commit a chunk, not one more per
  // replaced slice. Until then they are pending deletes, so batches are kept
  // short (16,384 chunks).
  constexpr size_t kBatch = 1 << 14, kDrop = Volume::kRefsPerTxn;
  std::vector<ChunkId> batch;
  std::vector<SliceId> unused;
  std::mutex mu;
  for (bool more = true; more;) {
    batch.clear();
    unused.clear();
    ChunkId c;
    while (batch.size() < kBatch && (more = found.Next(&c))) batch.push_back(c);
    JFS_RETURN_IF_ERROR(found.status());
    JFS_RETURN_IF_ERROR(ParallelFor(batch.size(), threads, [&](size_t i) -> Status {
      std::vector<SliceId> freed;
      auto done = vol->CompactChunk(batch[i].ino, batch[i].index, &freed);
      if (!done.ok()) {
        return done.status().Annotate("compacting inode " + std::to_string(batch[i].ino));
      }
      std::lock_guard l(mu);
      unused.insert(unused.end(), freed.begin(), freed.end());
      if (done->changed) {
        r->chunks_compacted++;
        r->records_compacted += done->records;
        r->compacted_bytes += done->bytes;
      }
      return Status::OK();
    }));
    JFS_RETURN_IF_ERROR(ParallelFor((unused.size() + kDrop - 1) / kDrop, threads, [&](size_t i) {
      std::span<const SliceId> part(unused);
      part = part.subspan(i * kDrop, std::min(kDrop, unused.size() - i * kDrop));
      return vol->DropSlices(part, nullptr).Annotate("deleting the replaced slices");
    }));
  }
  return Status::OK();
}

// Raises nextChunk from `seen` (what the inventory read) to `past`, only if
// it still is `seen`; false if ids were handed out meanwhile.
Result<bool> ReserveSliceIds(Meta* meta, uint64_t seen, uint64_t past) {
  auto tx = meta->Begin();
  JFS_ASSIGN_OR_RETURN(int64_t now, tx->Counter("nextChunk"));
  if (static_cast<uint64_t>(now) != seen) return false;
  tx->Put(RecordKey::Counter("nextChunk"), EncodeCounterLE(static_cast<int64_t>(past)));
  Status st = tx->Commit();
  if (st.Is(Code::kConflict)) return false;
  JFS_RETURN_IF_ERROR(st);
  return true;
}

Status DeleteLeaked(Volume* vol, std::vector<ObjectInfo> leaked, int threads, GcProgress* progress,
                    GcReport* r) {
  // Objects of ids never handed out go last, once no client can get those ids.
  uint64_t max_id = 0;
  auto unallocated = std::partition(leaked.begin(), leaked.end(), [&](const ObjectInfo& o) {
    auto n = ParseBlockName(o.key);
    if (n && n->id >= r->next_chunk) {
      max_id = std::max(max_id, n->id);
      return false;
    }
    return true;
  });
  r->unallocated = static_cast<uint64_t>(leaked.end() - unallocated);
  if (r->unallocated > 0) {
    JFS_ASSIGN_OR_RETURN(bool reserved, ReserveSliceIds(vol->meta(), r->next_chunk, max_id + 1));
    if (reserved) {
      r->raised_next_chunk = max_id + 1;
    } else {
      r->unallocated_kept = true;
      leaked.erase(unallocated, leaked.end());
    }
  }
  std::atomic<uint64_t> bytes{0};
  ObjectStore* store = vol->store();
  Status st = ParallelFor(leaked.size(), threads, [&](size_t i) {
    JFS_RETURN_IF_ERROR(
        store->Delete(leaked[i].key).Annotate("deleting leaked object " + leaked[i].key));
    progress->deleted++;
    bytes += leaked[i].size;
    return Status::OK();
  });
  r->leaked_deleted = progress->deleted;
  r->leaked_deleted_bytes = bytes;
  return st;
}

}  // namespace

Status AddBackupSlices(ObjectStore* store, const std::string& name, SliceInventory* inv) {
  SliceCollector collector(inv);
  LoadOptions o;
  o.verify = false;
  o.threads = 1;
  auto r = RestoreBackup(store, name, &collector, o);
  if (!r.ok()) return r.status().Annotate("reading the slices of backup " + name);
  return Status::OK();
}

Result<GcReport> RunGc(Volume* vol, const GcOptions& opts, GcProgress* progress) {
  auto log = [&](const std::string& s) {
    if (opts.log) opts.log(s);
  };
  GcReport r;
  int64_t now = opts.now ? opts.now : UnixSeconds();
  if (opts.compact) {
    JFS_RETURN_IF_ERROR(vol->maintenance_writable().Annotate("compacting"));
    JFS_RETURN_IF_ERROR(CompactChunks(vol, opts.threads, &r));
  }
  SliceInventory backups;
  if (opts.keep_backup_slices) {
    JFS_ASSIGN_OR_RETURN(auto list, ListBackups(vol->store()));
    for (const auto& b : list) {
      log("reading the slices of backup " + b.name + " (" + std::to_string(r.backups + 1) + "/" +
          std::to_string(list.size()) + ")");
      JFS_RETURN_IF_ERROR(AddBackupSlices(vol->store(), b.name, &backups));
      backups.Seal();  // backups share most slices: keep one entry each
      r.backups++;
    }
    backups.Seal();  // even with no backup: Find needs it
    if (r.backups) {
      log("kept the slices of " + std::to_string(r.backups) + " retained backups (" +
          std::to_string(backups.size()) + " slices)");
    }
  }
  JFS_ASSIGN_OR_RETURN(r.restores, ListRestoreMarks(vol->store()));
  SliceInventory inv;
  JFS_RETURN_IF_ERROR(ReadInventory(vol->meta(), &inv, &r));
  for (const auto& [id, m] : backups.entries()) inv.Add(id, m.size, SliceUse::kBackup);
  inv.Seal();
  CountInventory(inv, vol->block_bytes(), &r);

  VolumeLayout layout{vol->block_bytes(), vol->format().hash_prefix};
  Lister lister(vol->store(), inv, layout, now - opts.skip_newer_sec, progress, &r);
  Status listed = lister.Run(opts.threads);
  r.listed = progress->listed;
  for (int c = 0; c < kObjectClasses; c++) {
    r.objects[c] = progress->objects[c];
    r.bytes[c] = progress->bytes[c];
  }
  if (!listed.ok()) {
    return listed.Annotate(opts.remove ? "nothing was deleted" : "gc incomplete");
  }
  std::vector<ObjectInfo>& leaked = lister.leaked();
  auto after = std::partition(leaked.begin(), leaked.end(), [&](const ObjectInfo& o) {
    auto n = ParseBlockName(o.key);
    return !n || std::none_of(r.restores.begin(), r.restores.end(),
                              [&](const RestoreMark& m) { return m.Covers(n->id, o.mtime); });
  });
  for (auto it = after; it != leaked.end(); ++it) {
    r.after_restore++;
    r.after_restore_bytes += it->size;
  }
  if (!opts.delete_after_restore) leaked.erase(after, leaked.end());
  if (opts.remove) {  // cleanups only drop references: leaked objects stay leaked
    vol->SetObjectKeeper([&](uint64_t id) { return backups.Find(id) != nullptr; });
    struct Unset {
      Volume* v;
      ~Unset() { v->SetObjectKeeper(nullptr); }
    } unset{vol};
    int64_t trash_secs = vol->format().trash_days * 86400;
    if (vol->writable().ok()) {
      JFS_ASSIGN_OR_RETURN(r.trash_purged, vol->PurgeTrash(now - trash_secs));
    } else {
      r.trash_kept_why = vol->writable().message();
    }
    if (!vol->maintenance_writable().ok()) {
      r.cleanups_kept_why = vol->maintenance_writable().message();
    } else {
      JFS_ASSIGN_OR_RETURN(r.files_cleaned, vol->CleanupDeletedFiles());
      JFS_ASSIGN_OR_RETURN(r.pending_cleaned, vol->CleanupPendingSlices());
      JFS_ASSIGN_OR_RETURN(r.delayed_purged, vol->PurgeDelayedSlices(now - trash_secs));
    }
    JFS_RETURN_IF_ERROR(DeleteLeaked(vol, std::move(leaked), opts.threads, progress, &r));
  }
  return r;
}

}  // namespace jfsbr
