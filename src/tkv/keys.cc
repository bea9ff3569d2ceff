// JuiceFS's TKV keys: built from records and parsed back.
#include "tkv/keys.h"

#include "util/coding.h"

namespace jfsbr::keys {
namespace {

// Keys of an inode's records: "A", the inode LE64, the record type. Little-
// endian on purpose (JuiceFS's choice): consecutive inodes then spread over
// the key space of a distributed engine instead of piling onto one region.
std::string InodeKey(Ino ino, char kind) {
  std::string k = "A";
  PutLE64(&k, ino);
  k.push_back(kind);
  return k;
}

// Volume-wide records keyed by inode (U, QD, N) use the same LE64 as "A" keys.
std::string TagInode(std::string_view tag, Ino ino) {
  std::string k(tag);
  PutLE64(&k, ino);
  return k;
}

// Everything else is big-endian, so that a scan of the tag lists ids in order
// (slice refs, sessions, user/group quotas).
std::string TagBE64(std::string_view tag, uint64_t v) {
  std::string k(tag);
  PutBE64(&k, v);
  return k;
}

}  // namespace

std::string Setting() { return "setting"; }
std::string Counter(std::string_view name) { return "C" + std::string(name); }
std::string Attr(Ino ino) { return InodeKey(ino, 'I'); }
std::string EntryPrefix(Ino parent) { return InodeKey(parent, 'D'); }
std::string Entry(Ino parent, std::string_view name) { return EntryPrefix(parent).append(name); }
std::string Symlink(Ino ino) { return InodeKey(ino, 'S'); }
std::string XattrPrefix(Ino ino) { return InodeKey(ino, 'X'); }
std::string Xattr(Ino ino, std::string_view name) { return XattrPrefix(ino).append(name); }
std::string DirStat(Ino ino) { return TagInode("U", ino); }
std::string DirQuota(Ino ino) { return TagInode("QD", ino); }
std::string Detached(Ino ino) { return TagInode("N", ino); }
std::string UserQuota(uint64_t uid) { return TagBE64("QU", uid); }
std::string GroupQuota(uint64_t gid) { return TagBE64("QG", gid); }
std::string SessionExpire(uint64_t sid) { return TagBE64("SE", sid); }
std::string SessionInfo(uint64_t sid) { return TagBE64("SI", sid); }

std::string InodePrefix(Ino ino) {
  std::string k = "A";
  PutLE64(&k, ino);
  return k;
}

std::string Parent(Ino ino, Ino parent) {
  std::string k = InodeKey(ino, 'P');
  PutLE64(&k, parent);
  return k;
}

std::string Chunk(Ino ino, uint32_t index) {
  std::string k = InodeKey(ino, 'C');
  PutBE32(&k, index);
  return k;
}

std::string DelFile(Ino ino, uint64_t length) {
  std::string k = TagInode("D", ino);
  PutBE64(&k, length);
  return k;
}

std::string SliceRef(uint64_t id, uint32_t size) {
  std::string k = TagBE64("K", id);
  PutBE32(&k, size);
  return k;
}

std::string DelayedSlices(int64_t ts, uint64_t id) {
  std::string k = TagBE64("L", static_cast<uint64_t>(ts));
  PutBE64(&k, id);
  return k;
}

std::string AclRule(uint32_t id) {
  std::string k = "R";
  PutBE32(&k, id);
  return k;
}

std::string Sustained(uint64_t sid, Ino ino) {
  std::string k = TagBE64("SS", sid);
  PutLE64(&k, ino);
  return k;
}

namespace {

void ParseInodeKey(std::string_view k, RecordKey* p) {
  using K = RecordKind;
  if (k.size() < 10) return;
  p->ino = GetLE64(k.data() + 1);
  std::string_view rest = k.substr(10);
  switch (k[9]) {
    case 'I':
      if (rest.empty()) p->kind = K::kAttr;
      break;
    case 'D':
      p->kind = K::kEntry;
      p->name.assign(rest);
      break;
    case 'X':
      p->kind = K::kXattr;
      p->name.assign(rest);
      break;
    case 'S':
      if (rest.empty()) p->kind = K::kSymlink;
      break;
    case 'P':
      if (rest.size() == 8) {
        p->kind = K::kParent;
        p->other = GetLE64(rest.data());
      }
      break;
    case 'C':
      if (rest.size() == 4) {
        p->kind = K::kChunk;
        p->index = GetBE32(rest.data());
      }
      break;
    default:
      break;
  }
}

}  // namespace

RecordKey Parse(std::string_view k) {
  RecordKey p;
  ParseInto(k, &p);
  return p;
}

// Lengths are checked exactly: a key of a known tag and the wrong length is
// not a record of that kind (kUnknown), so damage shows up in check and
// binary dumps instead of being read as a wrong id.
void ParseInto(std::string_view k, RecordKey* p) {
  using K = RecordKind;
  p->kind = K::kUnknown;
  p->ino = p->other = 0;
  p->name.clear();
  p->id = 0;
  p->index = 0;
  p->ts = 0;
  if (k == "setting") {
    p->kind = K::kSetting;
    return;
  }
  if (k.empty()) return;
  if (k.starts_with(kToolPrefix)) {
    p->kind = K::kTool;
    p->name.assign(k.substr(kToolPrefix.size()));
    return;
  }
  auto tag2 = k.substr(0, 2);
  switch (k[0]) {
    case 'A':
      return ParseInodeKey(k, p);
    case 'C':
      p->kind = K::kCounter;
      p->name.assign(k.substr(1));
      return;
    case 'D':
      if (k.size() == 17) {
        p->kind = K::kDelFile;
        p->ino = GetLE64(k.data() + 1);
        p->id = GetBE64(k.data() + 9);
      }
      return;
    case 'K':
      if (k.size() == 13) {
        p->kind = K::kSliceRef;
        p->id = GetBE64(k.data() + 1);
        p->index = GetBE32(k.data() + 9);
      }
      return;
    case 'L':
      if (k.size() == 17) {
        p->kind = K::kDelayedSlices;
        p->ts = static_cast<int64_t>(GetBE64(k.data() + 1));
        p->id = GetBE64(k.data() + 9);
      }
      return;
    case 'U':
      if (k.size() == 9) {
        p->kind = K::kDirStat;
        p->ino = GetLE64(k.data() + 1);
      }
      return;
    case 'N':
      if (k.size() == 9) {
        p->kind = K::kDetached;
        p->ino = GetLE64(k.data() + 1);
      }
      return;
    case 'R':
      if (k.size() == 5) {
        p->kind = K::kAclRule;
        p->id = GetBE32(k.data() + 1);
      }
      return;
    default:
      break;
  }
  if (k.size() == 10 && (tag2 == "QD" || tag2 == "QU" || tag2 == "QG")) {
    if (tag2 == "QD") {
      p->kind = K::kDirQuota;
      p->ino = GetLE64(k.data() + 2);
    } else {
      p->kind = tag2 == "QU" ? K::kUserQuota : K::kGroupQuota;
      p->id = GetBE64(k.data() + 2);
    }
  } else if (k.size() == 10 && (tag2 == "SE" || tag2 == "SI")) {
    p->kind = tag2 == "SE" ? K::kSessionExpire : K::kSessionInfo;
    p->id = GetBE64(k.data() + 2);
  } else if (k.size() == 18 && tag2 == "SS") {
    p->kind = K::kSustained;
    p->id = GetBE64(k.data() + 2);
    p->ino = GetLE64(k.data() + 10);
  }
}

// The inverse of Parse; tests check the round trip for every kind.
std::string Encode(const RecordKey& k) {
  using K = RecordKind;
  switch (k.kind) {
    case K::kSetting:
      return Setting();
    case K::kCounter:
      return Counter(k.name);
    case K::kAttr:
      return Attr(k.ino);
    case K::kEntry:
      return Entry(k.ino, k.name);
    case K::kParent:
      return Parent(k.ino, k.other);
    case K::kChunk:
      return Chunk(k.ino, k.index);
    case K::kSymlink:
      return Symlink(k.ino);
    case K::kXattr:
      return Xattr(k.ino, k.name);
    case K::kDelFile:
      return DelFile(k.ino, k.id);
    case K::kSliceRef:
      return SliceRef(k.id, k.index);
    case K::kDelayedSlices:
      return DelayedSlices(k.ts, k.id);
    case K::kDirStat:
      return DirStat(k.ino);
    case K::kDirQuota:
      return DirQuota(k.ino);
    case K::kUserQuota:
      return UserQuota(k.id);
    case K::kGroupQuota:
      return GroupQuota(k.id);
    case K::kAclRule:
      return AclRule(static_cast<uint32_t>(k.id));
    case K::kSessionExpire:
      return SessionExpire(k.id);
    case K::kSessionInfo:
      return SessionInfo(k.id);
    case K::kSustained:
      return Sustained(k.id, k.ino);
    case K::kDetached:
      return Detached(k.ino);
    case K::kTool:
      return std::string(kToolPrefix).append(k.name);
    case K::kUnknown:
      break;
  }
  return {};
}

}  // namespace jfsbr::keys
