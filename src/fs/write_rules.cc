// The rules of JuiceFS's write path beyond the namespace: flags, inheritance,
// and the features our writes refuse.
#include "fs/write_rules.h"

namespace jfsbr::fsi {
namespace {

constexpr uint16_t kSetgid = 02000;

std::string Id(Ino ino) { return "inode " + std::to_string(ino); }

bool Locked(const Attr& a) { return (a.flags & (kFlagImmutable | kFlagAppend)) != 0; }

const char* LockName(const Attr& a) {
  return (a.flags & kFlagImmutable) != 0 ? "immutable" : "append-only";
}

}  // namespace

Status CheckNotImmutable(Ino dir, const Attr& dattr) {
  if ((dattr.flags & kFlagImmutable) != 0) {
    return Status::Permission("dir " + std::to_string(dir) + " is immutable");
  }
  return Status::OK();
}

Status CheckCreateIn(Ino parent, const Attr& pattr, FileType type) {
  JFS_RETURN_IF_ERROR(CheckNotImmutable(parent, pattr));
  if (pattr.default_acl != 0 && type != FileType::kSymlink) {
    return Status::NotSupported("dir " + std::to_string(parent) +
                                " has a default ACL, whose inheritance jfsbr does not compute "
                                "yet: create it with juicefs");
  }
  return Status::OK();
}

Status CheckRemoveFrom(Ino parent, const Attr& pattr) {
  if (Locked(pattr)) {
    return Status::Permission("dir " + std::to_string(parent) + " is " + LockName(pattr));
  }
  return Status::OK();
}

Status CheckChange(Ino ino, const Attr& a, const char* what) {
  if (Locked(a))
    return Status::Permission(std::string(what) + ": " + Id(ino) + " is " + LockName(a));
  return Status::OK();
}

Status CheckWrite(Ino ino, const Attr& a, uint64_t offset) {
  if ((a.flags & kFlagImmutable) != 0) return Status::Permission(Id(ino) + " is immutable");
  if ((a.flags & kFlagAppend) != 0 && offset != a.length) {
    return Status::Permission(Id(ino) + " is append-only: writes go at its end (" +
                              std::to_string(a.length) + ")");
  }
  return Status::OK();
}

Status CheckSetAttr(Ino ino, const Attr& a, bool flags_only, bool mode_changes) {
  if (Locked(a) && !flags_only) return Status::Permission(Id(ino) + " is " + LockName(a));
  if (mode_changes && a.access_acl != 0) {
    return Status::NotSupported(Id(ino) +
                                " has an access ACL, which a mode change must update: "
                                "jfsbr does not yet; use juicefs");
  }
  return Status::OK();
}

void Inherit(const Attr& pattr, Attr* child) {
  if ((pattr.mode & kSetgid) != 0) {
    child->gid = pattr.gid;
    if (child->type == FileType::kDirectory) child->mode |= kSetgid;
  }
  if ((pattr.flags & kFlagSkipTrash) != 0) child->flags |= kFlagSkipTrash;
  child->tier = pattr.tier;
}

Status WriteRefusal(bool user_group_quota_setting, bool has_quota_records, bool change_log) {
  if (user_group_quota_setting || has_quota_records) {
    return Status::NotSupported(
        "the volume has quotas, whose usage jfsbr's write path does not keep yet: writes are "
        "refused (use juicefs)");
  }
  if (change_log) {
    return Status::NotSupported(
        "the volume keeps a change log, to which jfsbr's write path does not append yet: "
        "writes are refused (use juicefs, or turn it off with juicefs config --changelog=false)");
  }
  return Status::OK();
}

}  // namespace jfsbr::fsi
