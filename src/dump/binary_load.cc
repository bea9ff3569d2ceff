// Loading a binary dump (V2): segments checked against the footer, records
// written as they are, the setting last.
#include <fcntl.h>
#include <google/protobuf/stubs/logging.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "binary_format.pb.h"
#include "dump/binary.h"
#include "fs/check.h"
#include "model/attr.h"
#include "model/records.h"
#include "model/setting.h"
#include "util/coding.h"

namespace jfsbr {
namespace {

constexpr uint64_t kMaxSegment = 1ULL << 30;  // a sanity bound on one segment's length

Status ParseFooter(std::string_view data, BinaryFooter* out) {
  pb::Footer f;
  if (!f.ParseFromArray(data.data(), static_cast<int>(data.size())) || f.magic() != kBinaryMagic) {
    return Status::Corruption("binary dump: the footer is damaged (bad magic)");
  }
  out->version = f.version();
  for (const auto& [name, info] : f.infos()) {
    BinarySegmentInfo& s = out->segments[name];
    s.records = info.num();
    s.offsets.assign(info.offset().begin(), info.offset().end());
  }
  return Status::OK();
}

class BinaryLoader {
 public:
  BinaryLoader(Source* in, Meta* target, const LoadOptions& opts)
      : in_(in), target_(target), opts_(opts) {}

  Result<LoadStats> Run() {
    writer_ = target_->NewBulkWriter(opts_.threads);
    // Verified as it streams, as the JSON load is: reading the target back
    // would cost a second pass over the engine (on Redis, a full sync).
    // 16 MiB of sort buffer keeps a load beside RocksDB's memtables under
    // 128 MiB (1.1 M files: ~112 MiB, ~123 with the default 32).
    if (opts_.verify) checker_ = NewStreamChecker(3, /*require_setting=*/false, 16 << 20);
    Status st = Segments();
    if (st.ok()) st = Footer();
    Status written = writer_->Finish();
    JFS_RETURN_IF_ERROR(st);
    JFS_RETURN_IF_ERROR(written);
    if (setting_.empty()) return Status::Corruption("binary dump: no format segment");
    if (checker_) {
      JFS_ASSIGN_OR_RETURN(CheckReport report, checker_->Finish());
      JFS_RETURN_IF_ERROR(LoadVerdict(report));
    }
    if (opts_.before_setting) JFS_RETURN_IF_ERROR(opts_.before_setting());
    auto last = target_->Begin();
    if (max_acl_ > 0) last->Put(RecordKey::Counter("aclMaxId"), EncodeCounterLE(max_acl_));
    last->Put(RecordKey::Setting(), setting_);
    JFS_RETURN_IF_ERROR(last->Commit());
    stats_.pairs = writer_->records() + (max_acl_ > 0 ? 2 : 1);
    return stats_;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::Corruption("binary dump at byte " + std::to_string(segment_start_) + ": " +
                              what);
  }

  // Exactly n bytes, or an error naming the offset (a short read is no EOF).
  // The buffer grows with the data that arrives, so a damaged length field
  // cannot make us allocate more than the input holds.
  Status ReadFull(std::string* buf, size_t n, bool* eof_at_start = nullptr) {
    constexpr size_t kStep = 1 << 20;
    buf->clear();
    while (buf->size() < n) {
      size_t want = std::min(kStep, n - buf->size());
      size_t at = buf->size();
      buf->resize(at + want);
      JFS_ASSIGN_OR_RETURN(size_t k, in_->Read(buf->data() + at, want));
      buf->resize(at + k);
      if (k == 0) {
        if (at == 0 && eof_at_start) {
          *eof_at_start = true;
          return Status::OK();
        }
        return Status::Corruption("binary dump: ends early at byte " + std::to_string(pos_ + at) +
                                  " (truncated file?)");
      }
    }
    pos_ += n;
    return Status::OK();
  }

  Status Segments() {
    std::string head, payload;
    while (true) {
      segment_start_ = pos_;
      bool eof = false;
      JFS_RETURN_IF_ERROR(ReadFull(&head, 4, &eof));
      if (eof) return Error("ends before the end-of-segments marker (truncated file?)");
      uint32_t type = GetBE32(head.data());
      if (type == kBinaryMagic) return Status::OK();  // end of segments
      if (type == 0 || type >= 16) return Error("unknown segment type " + std::to_string(type));
      JFS_RETURN_IF_ERROR(ReadFull(&head, 8));
      uint64_t len = GetBE64(head.data());
      if (len > kMaxSegment) return Error("a segment of " + std::to_string(len) + " bytes");
      JFS_RETURN_IF_ERROR(ReadFull(&payload, len));
      JFS_RETURN_IF_ERROR(Segment(type, payload));
      seen_[type] += 1;
      if (opts_.progress) opts_.progress(stats_.entries);
    }
  }

  // After EOS: the footer and its length must follow and agree with what was read.
  Status Footer() {
    std::string rest, chunk(64 << 10, '\0');
    while (true) {
      JFS_ASSIGN_OR_RETURN(size_t k, in_->Read(chunk.data(), chunk.size()));
      if (k == 0) break;
      rest.append(chunk.data(), k);
      if (rest.size() > (64 << 20)) return Status::Corruption("binary dump: oversized footer");
    }
    if (rest.size() < 8 || GetBE64(rest.data() + rest.size() - 8) != rest.size() - 8) {
      return Status::Corruption("binary dump: the footer is missing or cut (truncated file?)");
    }
    BinaryFooter footer;
    JFS_RETURN_IF_ERROR(ParseFooter(std::string_view(rest).substr(0, rest.size() - 8), &footer));
    uint64_t listed = 0;
    for (const auto& [name, info] : footer.segments) listed += info.offsets.size();
    uint64_t read = 0;
    for (const auto& [type, n] : seen_) read += n;
    if (listed != read) {
      return Status::Corruption("binary dump: the footer lists " + std::to_string(listed) +
                                " segments, the file holds " + std::to_string(read));
    }
    return Status::OK();
  }

  Status Put(RecordKey key, std::string value) {
    stats_.entries++;
    if (checker_) JFS_RETURN_IF_ERROR(checker_->Add(key, value));
    return writer_->Put(key, std::move(value));
  }

  Status Segment(uint32_t type, const std::string& payload) {
    if (type == 1) {
      pb::Format f;
      if (!f.ParseFromString(payload)) return Error("a format segment that does not parse");
      auto decoded = DecodeSetting(f.data());
      if (!decoded.ok()) return Error(decoded.status().message());
      setting_ = f.data();
      return Status::OK();
    }
    pb::Batch& b = batch_;  // reused: parsing refills its messages instead of allocating
    if (!b.ParseFromString(payload)) return Error("a segment that does not parse");
    for (const auto& c : b.counters()) {
      JFS_RETURN_IF_ERROR(Put(RecordKey::Counter(c.key()), EncodeCounterLE(c.value())));
    }
    for (const auto& n : b.nodes()) {
      if (!DecodeAttr(n.data()).ok())
        return Error("inode " + std::to_string(n.inode()) + " has a bad attr");
      JFS_RETURN_IF_ERROR(Put(RecordKey::Attr(n.inode()), n.data()));
    }
    for (const auto& e : b.edges()) {
      if (!ValidFileType(static_cast<uint8_t>(e.type())) || e.type() > 255 || e.name().empty()) {
        return Error("a bad entry in directory " + std::to_string(e.parent()));
      }
      JFS_RETURN_IF_ERROR(Put(RecordKey::Entry(e.parent(), e.name()),
                              EncodeDentry({static_cast<FileType>(e.type()), e.inode()})));
    }
    for (const auto& c : b.chunks()) {
      if (c.slices().size() % kSliceRecordBytes != 0) {
        return Error("a torn chunk of inode " + std::to_string(c.inode()));
      }
      JFS_RETURN_IF_ERROR(Put(RecordKey::Chunk(c.inode(), c.index()), c.slices()));
    }
    for (const auto& r : b.slicerefs()) {
      JFS_RETURN_IF_ERROR(
          Put(RecordKey::SliceRef(r.id(), r.size()), EncodeCounterLE(r.refs() - 1)));
    }
    for (const auto& s : b.symlinks())
      JFS_RETURN_IF_ERROR(Put(RecordKey::Symlink(s.inode()), s.target()));
    for (const auto& x : b.xattrs())
      JFS_RETURN_IF_ERROR(Put(RecordKey::Xattr(x.inode(), x.name()), x.value()));
    for (const auto& p : b.parents()) {
      JFS_RETURN_IF_ERROR(Put(RecordKey::Parent(p.inode(), p.parent()), EncodeCounterLE(p.cnt())));
    }
    for (const auto& s : b.sustained()) {
      for (uint64_t ino : s.inodes())
        JFS_RETURN_IF_ERROR(Put(RecordKey::Sustained(s.sid(), ino), "\x01"));
    }
    for (const auto& d : b.delfiles()) {
      JFS_RETURN_IF_ERROR(
          Put(RecordKey::DelFile(d.inode(), d.length()), EncodeDelFileTime(d.expire())));
    }
    for (const auto& s : b.dirstats()) {
      JFS_RETURN_IF_ERROR(Put(RecordKey::DirStat(s.inode()),
                              EncodeDirStat({s.datalength(), s.usedspace(), s.usedinodes()})));
    }
    auto quota = [&](const pb::Quota& q, RecordKey key) {
      return Put(std::move(key),
                 EncodeQuota({q.maxspace(), q.maxinodes(), q.usedspace(), q.usedinodes()}));
    };
    // JuiceFS 1.4.0-beta1/beta2 kept user and group quotas in this list too,
    // told apart by their type.
    for (const auto& q : b.quotas()) {
      switch (q.type()) {
        case 0:
          JFS_RETURN_IF_ERROR(quota(q, RecordKey::DirQuota(q.key())));
          break;
        case 1:
          JFS_RETURN_IF_ERROR(quota(q, RecordKey::UserQuota(q.key())));
          break;
        case 2:
          JFS_RETURN_IF_ERROR(quota(q, RecordKey::GroupQuota(q.key())));
          break;
        default:
          return Status::Corruption("quota of unknown type " + std::to_string(q.type()));
      }
    }
    for (const auto& q : b.userquotas())
      JFS_RETURN_IF_ERROR(quota(q, RecordKey::UserQuota(q.key())));
    for (const auto& q : b.groupquotas())
      JFS_RETURN_IF_ERROR(quota(q, RecordKey::GroupQuota(q.key())));
    for (const auto& a : b.acls()) {
      if (!DecodeAclRule(a.data()).ok())
        return Error("ACL " + std::to_string(a.id()) + " does not parse");
      max_acl_ = std::max<int64_t>(max_acl_, a.id());
      JFS_RETURN_IF_ERROR(Put(RecordKey::AclRule(a.id()), a.data()));
    }
    return Status::OK();  // change logs are not loaded, as JuiceFS
  }

  Source* in_;
  Meta* target_;
  const LoadOptions& opts_;
  std::unique_ptr<StreamChecker> checker_;  // when verifying
  std::unique_ptr<MetaBulkWriter> writer_;
  LoadStats stats_;
  std::string setting_;
  uint64_t pos_ = 0, segment_start_ = 0;
  int64_t max_acl_ = 0;
  std::map<uint32_t, uint64_t> seen_;
  pb::Batch batch_;  // the segment being loaded
};

}  // namespace

Result<LoadStats> LoadBinary(Source* in, Meta* target, const LoadOptions& opts) {
  google::protobuf::SetLogHandler(nullptr);  // parse errors come back as Status; never print
  JFS_RETURN_IF_ERROR(CheckLoadTarget(target));
  return BinaryLoader(in, target, opts).Run();
}

Result<BinaryFooter> ReadBinaryFooter(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("open " + path + ": " + strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  off_t size = lseek(fd, 0, SEEK_END);
  char lenbuf[8];
  if (size < 12 || pread(fd, lenbuf, 8, size - 8) != 8) {
    return Status::Corruption(path + " is too short to be a binary dump");
  }
  uint64_t len = GetBE64(lenbuf);
  if (len + 8 > static_cast<uint64_t>(size))
    return Status::Corruption(path + ": bad footer length");
  std::string data(len, '\0');
  if (pread(fd, data.data(), len, size - 8 - static_cast<off_t>(len)) !=
      static_cast<ssize_t>(len)) {
    return Status::IOError("read footer of " + path);
  }
  BinaryFooter footer;
  JFS_RETURN_IF_ERROR(ParseFooter(data, &footer));
  return footer;
}

}  // namespace jfsbr
