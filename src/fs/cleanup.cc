// What gc --delete finishes: pending deleted files (D), slices waiting for
// deletion (K < 0), slices replaced by compaction (L) and expired trash.
#include <ctime>

#include "fs/internal.h"
#include "fs/volume.h"

namespace jfsbr {
namespace {

// Every record of a kind with its value (read first: the caller changes them).
Result<std::vector<std::pair<RecordKey, std::string>>> ScanAll(Meta* m, RecordKind kind) {
  std::vector<std::pair<RecordKey, std::string>> out;
  JFS_RETURN_IF_ERROR(m->Scan(RecordRange::Kind(kind), [&](const RecordKey& k, auto v) {
    out.emplace_back(k, v);
    return true;
  }));
  return out;
}

// The start of an hourly trash dir's hour ("2026-11-21-10", UTC); -1 if the
// name is not one.
int64_t HourStart(const std::string& name) {
  struct tm tm = {};
  const char* end = strptime(name.c_str(), "%Y-%m-%d-%H", &tm);
  if (end == nullptr || *end != '\0') return -1;
  return timegm(&tm);
}

}  // namespace

void Volume::SetObjectKeeper(std::function<bool(uint64_t)> keep) {
  keep_objects_ = std::move(keep);
}

Result<Volume::Cleaned> Volume::CleanupDeletedFiles() {
  Cleaned c;
  JFS_ASSIGN_OR_RETURN(auto files, ScanAll(meta_.get(), RecordKind::kDelFile));
  for (const auto& [p, v] : files) {
    JFS_ASSIGN_OR_RETURN(bool claimed, ClaimDeletedFile(p));
    if (!claimed) continue;
    JFS_RETURN_IF_ERROR(DeleteFileData(p.ino, p.id, &c));
    c.records++;
  }
  return c;
}

// A pending-delete record is claimed before its chunks go, in a transaction
// that finds no attr for its inode and moves the record's time on: a file
// created with staged chunks (CreateNode) removes the record as it gets its
// attr, and fails if the record's time is no longer its own. So a gc never
// deletes the chunks of a file that a create completes.
Result<bool> Volume::ClaimDeletedFile(const RecordKey& pending) {
  bool claimed = false;
  JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
    claimed = false;
    const std::vector<RecordKey> reads = {pending, RecordKey::Attr(pending.ino)};
    JFS_RETURN_IF_ERROR(tx.Prefetch(reads));
    JFS_ASSIGN_OR_RETURN(auto was, tx.Get(pending));
    if (!was) return Status::OK();
    JFS_ASSIGN_OR_RETURN(auto attr, tx.Get(RecordKey::Attr(pending.ino)));
    if (attr) return Status::OK();
    std::string now = EncodeDelFileTime(fsi::Now().sec);
    if (now == *was) now = EncodeDelFileTime(fsi::Now().sec + 1);
    tx.Put(pending, now);
    claimed = true;
    return Status::OK();
  }));
  return claimed;
}

Result<Volume::Cleaned> Volume::CleanupPendingSlices() {
  Cleaned c;
  JFS_ASSIGN_OR_RETURN(auto refs, ScanAll(meta_.get(), RecordKind::kSliceRef));
  std::vector<SliceId> pending;
  for (const auto& record : refs) {
    // Named, not bound: lambdas capture them (clang 14 refuses structured bindings there).
    const RecordKey& p = record.first;
    const std::string& v = record.second;
    JFS_ASSIGN_OR_RETURN(int64_t refs_minus_one, DecodeCounterLE(v));
    if (refs_minus_one < 0) {
      pending.push_back({p.id, p.index});
      c.records++;
    } else if (refs_minus_one == 0) {  // one reference: the record is redundant
      JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
        JFS_ASSIGN_OR_RETURN(auto now, tx.Get(p));
        if (now && *now == v) tx.Delete(p);
        return Status::OK();
      }));
      c.records++;
    }
  }
  JFS_RETURN_IF_ERROR(DropSlices(pending, &c));
  return c;
}

Result<Volume::Cleaned> Volume::PurgeDelayedSlices(int64_t before_sec) {
  Cleaned c;
  JFS_ASSIGN_OR_RETURN(auto delayed, ScanAll(meta_.get(), RecordKind::kDelayedSlices));
  for (const auto& record : delayed) {
    const RecordKey& p = record.first;
    if (p.ts >= before_sec) continue;
    JFS_RETURN_IF_ERROR(DropDelayedSlices(p, &c));
    c.records++;
  }
  return c;
}

// kRefsPerTxn references a transaction (etcd's max-txn-ops); between them the
// record keeps the slices whose references are not yet dropped.
Status Volume::DropDelayedSlices(const RecordKey& record, Cleaned* c) {
  for (bool more = true; more;) {
    std::vector<SliceId> unused;
    JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
      unused.clear();
      more = false;
      JFS_ASSIGN_OR_RETURN(auto now, tx.Get(record));
      if (!now) return Status::OK();
      JFS_ASSIGN_OR_RETURN(auto slices, DecodeDelayedSlices(*now));
      const size_t n = std::min(slices.size(), kRefsPerTxn);
      JFS_RETURN_IF_ERROR(fsi::DropSliceRefs(tx, std::span(slices).first(n), &unused));
      if (n == slices.size()) {
        tx.Delete(record);
      } else {
        slices.erase(slices.begin(), slices.begin() + static_cast<ptrdiff_t>(n));
        tx.Put(record, EncodeDelayedSlices(slices));
        more = true;
      }
      return Status::OK();
    }));
    JFS_RETURN_IF_ERROR(DropSlices(unused, c));
  }
  return Status::OK();
}

Result<Volume::Cleaned> Volume::PurgeTrash(int64_t before_sec) {
  Cleaned c;
  auto hours = ReadDir(kTrashInode);
  if (hours.status().Is(Code::kNotFound)) return c;  // no trash
  JFS_RETURN_IF_ERROR(hours.status());
  for (const auto& h : *hours) {
    int64_t start = HourStart(h.name);
    if (start < 0 || start >= before_sec) continue;
    JFS_RETURN_IF_ERROR(RemoveTree(h.dentry.ino, &c));
    JFS_RETURN_IF_ERROR(Rmdir(kTrashInode, h.name));
    c.records++;
  }
  return c;
}

// Removes everything under dir (inside the trash, so for good).
Status Volume::RemoveTree(Ino dir, Cleaned* c) {
  JFS_ASSIGN_OR_RETURN(auto entries, ReadDir(dir));
  for (const auto& e : entries) {
    if (e.dentry.type == FileType::kDirectory) {
      JFS_RETURN_IF_ERROR(RemoveTree(e.dentry.ino, c));
      JFS_RETURN_IF_ERROR(Rmdir(dir, e.name));
    } else {
      JFS_RETURN_IF_ERROR(Remove(dir, e.name, false, c));
    }
  }
  return Status::OK();
}

}  // namespace jfsbr
