// What the fs/ files share: the clock, attr and usage helpers, slice refs.
#include "fs/internal.h"

#include <atomic>
#include <chrono>

namespace jfsbr::fsi {

std::atomic<int64_t> fake_clock{-1};  // < 0: the real clock

Timespec Now() {
  if (fake_clock >= 0) return {fake_clock++, 0};  // one second a call
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return {ns / 1000000000, static_cast<uint32_t>(ns % 1000000000)};
}

void SetMtime(Attr* a, Timespec t) {
  a->mtime = t.sec;
  a->mtimensec = t.nsec;
  SetCtime(a, t);
}

void SetCtime(Attr* a, Timespec t) {
  a->ctime = t.sec;
  a->ctimensec = t.nsec;
}

Result<Attr> GetAttr(MetaTxn& tx, Ino ino) {
  JFS_ASSIGN_OR_RETURN(auto v, tx.Get(RecordKey::Attr(ino)));
  if (!v) return Status::NotFound("inode " + std::to_string(ino));
  auto a = DecodeAttr(*v);
  if (!a.ok()) return a.status().Annotate("inode " + std::to_string(ino));
  return a;
}

Result<Attr> GetDirAttr(MetaTxn& tx, Ino parent) {
  JFS_ASSIGN_OR_RETURN(Attr a, GetAttr(tx, parent));
  if (!a.IsDir()) return Status::NotDirectory("inode " + std::to_string(parent));
  return a;
}

DirStat ChildStat(FileType type, uint64_t length) {
  uint64_t len = type == FileType::kFile ? length : 0;
  return {static_cast<int64_t>(len), Align4K(len), 1};
}

namespace {

Result<DirStat> RebuildDirStat(MetaTxn& tx, Ino dir) {
  DirStat st;
  std::vector<Ino> children;
  Status scan_error;
  JFS_RETURN_IF_ERROR(tx.Scan(RecordRange::Entries(dir), [&](const RecordKey&, auto v) {
    auto d = DecodeDentry(v);
    if (!d.ok()) {
      scan_error = d.status();
      return false;
    }
    children.push_back(d->ino);
    return true;
  }));
  JFS_RETURN_IF_ERROR(scan_error);
  for (Ino c : children) {
    JFS_ASSIGN_OR_RETURN(Attr a, GetAttr(tx, c));
    DirStat cs = ChildStat(a.type, a.length);
    st.length += cs.length;
    st.space += cs.space;
    st.inodes += cs.inodes;
  }
  return st;
}

}  // namespace

Status UpdateDirStat(MetaTxn& tx, const VolumeFormat& f, Ino dir, const DirStat& delta) {
  if (!f.dir_stats || (delta.length == 0 && delta.space == 0 && delta.inodes == 0)) {
    return Status::OK();
  }
  RecordKey key = RecordKey::DirStat(dir);
  JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key));
  DirStat st;
  if (v) {
    JFS_ASSIGN_OR_RETURN(st, DecodeDirStat(*v));
  } else {
    JFS_ASSIGN_OR_RETURN(st, RebuildDirStat(tx, dir));
  }
  st.length += delta.length;
  st.space += delta.space;
  st.inodes += delta.inodes;
  tx.Put(key, EncodeDirStat(st));
  return Status::OK();
}

Result<std::vector<std::pair<Ino, int64_t>>> Parents(MetaTxn& tx, Ino ino, const Attr& a) {
  std::vector<std::pair<Ino, int64_t>> out;
  if (a.parent > 0) {
    out.emplace_back(a.parent, 1);
    return out;
  }
  JFS_RETURN_IF_ERROR(tx.Scan(RecordRange::Parents(ino), [&](const RecordKey& k, auto) {
    out.emplace_back(k.other, 0);
    return true;
  }));
  // Read the counters through the txn so that a concurrent link conflicts.
  std::vector<std::pair<Ino, int64_t>> counted;
  for (auto& [p, n] : out) {
    JFS_ASSIGN_OR_RETURN(auto v, tx.Get(RecordKey::Parent(ino, p)));
    if (!v) continue;
    JFS_ASSIGN_OR_RETURN(n, DecodeCounterLE(*v));
    if (n > 0) counted.emplace_back(p, n);
  }
  return counted;
}

std::vector<RecordKey> SliceRefKeys(std::span<const SliceRecord> records) {
  std::vector<RecordKey> keys;
  keys.reserve(records.size());
  for (const auto& r : records) {
    if (r.id != 0) keys.push_back(RecordKey::SliceRef(r.id, r.size));
  }
  return keys;
}

Result<bool> DropSliceRef(MetaTxn& tx, const SliceId& s) {
  RecordKey kkey = RecordKey::SliceRef(s.id, s.size);
  JFS_ASSIGN_OR_RETURN(auto kv, tx.Get(kkey));
  int64_t refs_minus_one = 0;
  if (kv) {
    JFS_ASSIGN_OR_RETURN(refs_minus_one, DecodeCounterLE(*kv));
  }
  tx.Put(kkey, EncodeCounterLE(refs_minus_one - 1));
  return refs_minus_one - 1 < 0;
}

Status DropSliceRefs(MetaTxn& tx, std::span<const SliceId> slices, std::vector<SliceId>* unused) {
  std::vector<RecordKey> keys;
  keys.reserve(slices.size());
  for (const auto& s : slices) keys.push_back(RecordKey::SliceRef(s.id, s.size));
  JFS_RETURN_IF_ERROR(tx.Prefetch(keys));
  for (const auto& s : slices) {
    JFS_ASSIGN_OR_RETURN(bool gone, DropSliceRef(tx, s));
    if (gone) unused->push_back(s);
  }
  return Status::OK();
}

Status DropRecordRefs(MetaTxn& tx, std::span<const SliceRecord> records,
                      std::vector<SliceId>* unused) {
  std::vector<SliceId> slices;
  for (const auto& r : records) {
    if (r.id != 0) slices.push_back({r.id, r.size});
  }
  return DropSliceRefs(tx, slices, unused);
}

}  // namespace jfsbr::fsi

namespace jfsbr {

void TEST_UseFakeClock(int64_t start_sec) { fsi::fake_clock = start_sec; }
void TEST_UseRealClock() { fsi::fake_clock = -1; }

}  // namespace jfsbr
