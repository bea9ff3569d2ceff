// Encoding and decoding every record value other than the attr.
#include "model/records.h"

#include "util/coding.h"

namespace jfsbr {
namespace {

Status WrongSize(std::string_view what, size_t got, std::string_view want) {
  return Status::Corruption(std::string(what) + " value of " + std::to_string(got) +
                            " bytes (want " + std::string(want) + ")");
}

}  // namespace

std::string EncodeDentry(const Dentry& d) {
  std::string v(1, static_cast<char>(d.type));
  PutBE64(&v, d.ino);
  return v;
}

Result<Dentry> DecodeDentry(std::string_view v) {
  if (v.size() != 9) return WrongSize("dentry", v.size(), "9");
  uint8_t t = static_cast<uint8_t>(v[0]);
  if (!ValidFileType(t)) return Status::Corruption("dentry has unknown type " + std::to_string(t));
  return Dentry{static_cast<FileType>(t), GetBE64(v.data() + 1)};
}

void AppendSliceRecord(std::string* dst, const SliceRecord& s) {
  PutBE32(dst, s.pos);
  PutBE64(dst, s.id);
  PutBE32(dst, s.size);
  PutBE32(dst, s.off);
  PutBE32(dst, s.len);
}

Result<std::vector<SliceRecord>> DecodeChunk(std::string_view v) {
  if (v.size() % kSliceRecordBytes != 0) return WrongSize("chunk", v.size(), "a multiple of 24");
  std::vector<SliceRecord> out;
  out.reserve(v.size() / kSliceRecordBytes);
  BEReader r(v);
  while (r.remaining() > 0) {
    SliceRecord s;
    s.pos = r.U32();
    s.id = r.U64();
    s.size = r.U32();
    s.off = r.U32();
    s.len = r.U32();
    out.push_back(s);
  }
  return out;
}

std::string EncodeCounterLE(int64_t v) {
  std::string s;
  PutLE64(&s, static_cast<uint64_t>(v));
  return s;
}

std::string EncodeCounterBE(int64_t v) {
  std::string s;
  PutBE64(&s, static_cast<uint64_t>(v));
  return s;
}

Result<int64_t> DecodeCounterLE(std::string_view v) {
  if (v.size() != 8) return WrongSize("counter", v.size(), "8");
  return static_cast<int64_t>(GetLE64(v.data()));
}

Result<int64_t> DecodeCounterBE(std::string_view v) {
  if (v.size() != 8) return WrongSize("counter", v.size(), "8");
  return static_cast<int64_t>(GetBE64(v.data()));
}

bool IsTimestampCounter(std::string_view name) {
  return name == "lastCleanupSessions" || name == "lastCleanupFiles" ||
         name == "nextCleanupSlices" || name == "lastCleanupTrash" ||
         name == "lastCleanupChangelog";
}

std::string EncodeDirStat(const DirStat& s) {
  std::string v;
  PutBE64(&v, static_cast<uint64_t>(s.length));
  PutBE64(&v, static_cast<uint64_t>(s.space));
  PutBE64(&v, static_cast<uint64_t>(s.inodes));
  return v;
}

Result<DirStat> DecodeDirStat(std::string_view v) {
  if (v.size() != 24) return WrongSize("dir stat", v.size(), "24");
  BEReader r(v);
  DirStat s;
  s.length = static_cast<int64_t>(r.U64());
  s.space = static_cast<int64_t>(r.U64());
  s.inodes = static_cast<int64_t>(r.U64());
  return s;
}

std::string EncodeQuota(const Quota& q) {
  std::string v;
  for (int64_t x : {q.max_space, q.max_inodes, q.used_space, q.used_inodes}) {
    PutBE64(&v, static_cast<uint64_t>(x));
  }
  return v;
}

Result<Quota> DecodeQuota(std::string_view v) {
  if (v.size() != 32) return WrongSize("quota", v.size(), "32");
  BEReader r(v);
  Quota q;
  q.max_space = static_cast<int64_t>(r.U64());
  q.max_inodes = static_cast<int64_t>(r.U64());
  q.used_space = static_cast<int64_t>(r.U64());
  q.used_inodes = static_cast<int64_t>(r.U64());
  return q;
}

std::string EncodeDelayedSlices(const std::vector<SliceId>& slices) {
  std::string v;
  for (const auto& s : slices) {
    PutBE64(&v, s.id);
    PutBE32(&v, s.size);
  }
  return v;
}

Result<std::vector<SliceId>> DecodeDelayedSlices(std::string_view v) {
  if (v.size() % 12 != 0) return WrongSize("delayed slices", v.size(), "a multiple of 12");
  std::vector<SliceId> out;
  BEReader r(v);
  while (r.remaining() > 0) {
    SliceId s;
    s.id = r.U64();
    s.size = r.U32();
    out.push_back(s);
  }
  return out;
}

std::string EncodeDelFileTime(int64_t unix_seconds) { return EncodeCounterBE(unix_seconds); }
Result<int64_t> DecodeDelFileTime(std::string_view v) { return DecodeCounterBE(v); }

std::string EncodeAclRule(const AclRule& r) {
  std::string v;
  PutBE16(&v, r.owner);
  PutBE16(&v, r.group);
  PutBE16(&v, r.mask);
  PutBE16(&v, r.other);
  for (const auto* list : {&r.users, &r.groups}) {
    PutBE32(&v, static_cast<uint32_t>(list->size()));
    v += EncodeAclEntries(*list);
  }
  return v;
}

std::string EncodeAclEntries(const std::vector<AclEntry>& entries) {
  std::string v;
  for (const auto& e : entries) {
    PutBE32(&v, e.id);
    PutBE16(&v, e.perm);
  }
  return v;
}

Result<std::vector<AclEntry>> DecodeAclEntries(std::string_view v) {
  if (v.size() % 6 != 0) return WrongSize("ACL entries", v.size(), "a multiple of 6");
  BEReader r(v);
  std::vector<AclEntry> out;
  while (r.remaining() > 0) {
    AclEntry e;
    e.id = r.U32();
    e.perm = r.U16();
    out.push_back(e);
  }
  return out;
}

Result<AclRule> DecodeAclRule(std::string_view v) {
  if (v.size() < 16) return WrongSize("ACL rule", v.size(), ">= 16");
  BEReader r(v);
  AclRule rule;
  rule.owner = r.U16();
  rule.group = r.U16();
  rule.mask = r.U16();
  rule.other = r.U16();
  for (auto* list : {&rule.users, &rule.groups}) {
    if (r.remaining() < 4) return Status::Corruption("truncated ACL rule");
    uint32_t n = r.U32();
    if (r.remaining() < uint64_t{n} * 6) return Status::Corruption("truncated ACL rule");
    size_t at = v.size() - r.remaining();
    JFS_ASSIGN_OR_RETURN(*list, DecodeAclEntries(v.substr(at, size_t{n} * 6)));
    r.Skip(size_t{n} * 6);
  }
  if (r.remaining() != 0) return Status::Corruption("trailing bytes after ACL rule");
  return rule;
}

}  // namespace jfsbr
