// The inode attribute record (key A ino I), juicefs-formats.md §1.4.
//
// Big-endian fields: flags u8, type<<12|mode u16, uid, gid, atime(s,ns),
// mtime(s,ns), ctime(s,ns), nlink, length, rdev, parent; then the two ACL ids
// when either is set, then the tier when set. JuiceFS allocates one byte more
// than it writes, so every value ends in one 0x00 byte: 72 bytes for a plain
// inode. We emit that byte too, to be byte-identical.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/types.h"
#include "util/result.h"

namespace jfsbr {

enum AttrFlag : uint8_t {
  kFlagImmutable = 1,
  kFlagAppend = 2,
  kFlagSkipTrash = 32,
};

struct Attr {
  uint8_t flags = 0;
  FileType type = FileType::kFile;
  uint16_t mode = 0;  // 12 permission bits including setuid/setgid/sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t atime = 0;
  uint32_t atimensec = 0;
  int64_t mtime = 0;
  uint32_t mtimensec = 0;
  int64_t ctime = 0;
  uint32_t ctimensec = 0;
  uint32_t nlink = 0;
  uint64_t length = 0;
  uint32_t rdev = 0;
  Ino parent = 0;  // 0 for an inode with several hard links (see A ino P keys)
  uint32_t access_acl = 0;
  uint32_t default_acl = 0;
  uint8_t tier = 0;

  bool IsDir() const { return type == FileType::kDirectory; }
  bool operator==(const Attr&) const = default;
};

std::string EncodeAttr(const Attr& a);
// Accepts the legacy 63-byte form (no parent) and every longer variant.
Result<Attr> DecodeAttr(std::string_view v);

}  // namespace jfsbr
