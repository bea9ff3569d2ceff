// The attr record's bytes (juicefs-formats.md §1.4), with its variants.
#include "model/attr.h"

#include "util/coding.h"

namespace jfsbr {

std::string EncodeAttr(const Attr& a) {
  std::string v;
  v.reserve(82);
  v.push_back(static_cast<char>(a.flags));
  PutBE16(&v, static_cast<uint16_t>((static_cast<uint16_t>(a.type) << 12) | (a.mode & 07777)));
  PutBE32(&v, a.uid);
  PutBE32(&v, a.gid);
  PutBE64(&v, static_cast<uint64_t>(a.atime));
  PutBE32(&v, a.atimensec);
  PutBE64(&v, static_cast<uint64_t>(a.mtime));
  PutBE32(&v, a.mtimensec);
  PutBE64(&v, static_cast<uint64_t>(a.ctime));
  PutBE32(&v, a.ctimensec);
  PutBE32(&v, a.nlink);
  PutBE64(&v, a.length);
  PutBE32(&v, a.rdev);
  PutBE64(&v, a.parent);
  if (a.access_acl != 0 || a.default_acl != 0) {
    PutBE32(&v, a.access_acl);
    PutBE32(&v, a.default_acl);
  }
  if (a.tier != 0) v.push_back(static_cast<char>(a.tier));
  v.push_back('\0');  // JuiceFS's trailing pad byte
  return v;
}

Result<Attr> DecodeAttr(std::string_view v) {
  if (v.size() < 63) {
    return Status::Corruption("attr value of " + std::to_string(v.size()) + " bytes (< 63)");
  }
  BEReader r(v);
  Attr a;
  a.flags = r.U8();
  uint16_t tm = r.U16();
  uint8_t type = static_cast<uint8_t>(tm >> 12);
  if (!ValidFileType(type)) {
    return Status::Corruption("attr has unknown file type " + std::to_string(type));
  }
  a.type = static_cast<FileType>(type);
  a.mode = tm & 07777;
  a.uid = r.U32();
  a.gid = r.U32();
  a.atime = static_cast<int64_t>(r.U64());
  a.atimensec = r.U32();
  a.mtime = static_cast<int64_t>(r.U64());
  a.mtimensec = r.U32();
  a.ctime = static_cast<int64_t>(r.U64());
  a.ctimensec = r.U32();
  a.nlink = r.U32();
  a.length = r.U64();
  a.rdev = r.U32();
  if (r.remaining() >= 8) a.parent = r.U64();
  if (r.remaining() >= 8) {
    a.access_acl = r.U32();
    a.default_acl = r.U32();
  }
  if (r.remaining() >= 1) a.tier = r.U8();
  return a;
}

}  // namespace jfsbr
