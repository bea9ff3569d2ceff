// What every Meta implementation shares: retries, defaults, descriptions.
#include "meta/meta.h"

#include "model/records.h"
#include "util/retry.h"

namespace jfsbr {

std::string Describe(const RecordKey& k) {
  auto ino = [&](const std::string& what) {
    return std::string(what) + " of inode " + std::to_string(k.ino);
  };
  switch (k.kind) {
    case RecordKind::kSetting:
      return "the setting";
    case RecordKind::kCounter:
      return "counter " + k.name;
    case RecordKind::kAttr:
      return ino("attr");
    case RecordKind::kEntry:
      return ino("entry '" + k.name + "'");
    case RecordKind::kParent:
      return ino("parent " + std::to_string(k.other));
    case RecordKind::kChunk:
      return ino("chunk " + std::to_string(k.index));
    case RecordKind::kSymlink:
      return ino("symlink target");
    case RecordKind::kXattr:
      return ino("xattr '" + k.name + "'");
    case RecordKind::kDelFile:
      return ino("pending delete");
    case RecordKind::kSliceRef:
      return "ref of slice " + std::to_string(k.id);
    case RecordKind::kDelayedSlices:
      return "delayed slices " + std::to_string(k.ts) + "/" + std::to_string(k.id);
    case RecordKind::kDirStat:
      return ino("usage record");
    case RecordKind::kDirQuota:
      return ino("quota");
    case RecordKind::kUserQuota:
      return "quota of user " + std::to_string(k.id);
    case RecordKind::kGroupQuota:
      return "quota of group " + std::to_string(k.id);
    case RecordKind::kAclRule:
      return "ACL rule " + std::to_string(k.id);
    case RecordKind::kSessionExpire:
    case RecordKind::kSessionInfo:
      return "session " + std::to_string(k.id);
    case RecordKind::kSustained:
      return ino("sustained inode of session " + std::to_string(k.id) + ",");
    case RecordKind::kDetached:
      return ino("detached node");
    case RecordKind::kTool:
      return "jfsbr's " + k.name;
    case RecordKind::kUnknown:
      break;
  }
  return "an unknown record";
}

Status MetaReader::ScanMany(const std::vector<RecordRange>& ranges, const RangeRecordFn& fn) {
  for (size_t i = 0; i < ranges.size(); i++) {
    JFS_RETURN_IF_ERROR(Scan(ranges[i], [&](const RecordKey& k, std::string_view v) {
      fn(i, k, v);
      return true;
    }));
  }
  return Status::OK();
}

Status MetaReader::ScanChecked(const RecordRange& range, const CheckedRecordFn& fn) {
  Status st;
  JFS_RETURN_IF_ERROR(Scan(range, [&](const RecordKey& k, std::string_view v) {
    st = fn(k, v);
    return st.ok();
  }));
  return st;
}

Result<int64_t> MetaReader::Counter(std::string_view name) {
  JFS_ASSIGN_OR_RETURN(auto v, Get(RecordKey::Counter(name)));
  if (!v) return int64_t{0};
  return IsTimestampCounter(name) ? DecodeCounterBE(*v) : DecodeCounterLE(*v);
}

Result<VolumeFormat> ReadVolumeSetting(MetaReader* reader) {
  JFS_ASSIGN_OR_RETURN(auto setting, reader->Get(RecordKey::Setting()));
  if (!setting) {
    return Status::NotFound("database is not formatted: it holds no volume (run 'jfsbr format')");
  }
  auto f = DecodeSetting(*setting);
  if (!f.ok()) return f.status().Annotate("the volume's setting");
  return f;
}

Result<std::unique_ptr<MetaSnapshot>> Meta::SnapshotAt(uint64_t) {
  return Status::NotSupported(Describe() + " keeps no history to read an earlier version from");
}

Status Meta::Transact(const std::function<Status(MetaTxn&)>& body, int max_attempts) {
  return RetryOnConflict(
      [&]() -> Status {
        auto txn = Begin();
        JFS_RETURN_IF_ERROR(body(*txn));
        return txn->Commit();
      },
      max_attempts);
}

namespace {

// Forwards everything; owns nothing.
class BorrowedMeta : public Meta {
 public:
  explicit BorrowedMeta(Meta* m) : m_(m) {}
  Result<std::optional<std::string>> Get(const RecordKey& k) override { return m_->Get(k); }
  Status Scan(const RecordRange& r, const RecordFn& fn) override { return m_->Scan(r, fn); }
  Status ScanMany(const std::vector<RecordRange>& r, const RangeRecordFn& fn) override {
    return m_->ScanMany(r, fn);
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override { return m_->Snapshot(); }
  Result<std::unique_ptr<MetaSnapshot>> SnapshotForReaders(int readers) override {
    return m_->SnapshotForReaders(readers);
  }
  Result<std::unique_ptr<MetaSnapshot>> SnapshotAt(uint64_t v) override {
    return m_->SnapshotAt(v);
  }
  Result<uint64_t> Version() override { return m_->Version(); }
  std::unique_ptr<MetaTxn> Begin() override { return m_->Begin(); }
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) override {
    return m_->NewBulkWriter(threads);
  }
  Result<bool> Empty() override { return m_->Empty(); }
  Status Clear() override { return m_->Clear(); }
  std::string Describe() const override { return m_->Describe(); }
  std::vector<std::pair<std::string, std::string>> Stats() override { return m_->Stats(); }

 private:
  Meta* m_;
};

}  // namespace

std::unique_ptr<Meta> BorrowMeta(Meta* meta) { return std::make_unique<BorrowedMeta>(meta); }

}  // namespace jfsbr
