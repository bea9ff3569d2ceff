// What JuiceFS's write path does beyond the namespace itself, kept here in
// one place: the immutable and append-only flags (EPERM as JuiceFS), what a
// new inode inherits from its directory (setgid group, skip-trash flag,
// storage tier), and the features jfsbr's write path does not keep yet, which
// refuse a write in one line instead of leaving JuiceFS's bookkeeping wrong:
// quotas (directory, user, group), POSIX ACLs and JuiceFS 1.4's change log.
#pragma once

#include <cstdint>
#include <string>

#include "model/attr.h"
#include "util/result.h"

namespace jfsbr::fsi {

// Any new entry in dir (a link, a rename's target): not in an immutable one.
Status CheckNotImmutable(Ino dir, const Attr& dattr);
// A new inode in dir: CheckNotImmutable, and not under a default ACL (whose
// inheritance we do not compute) unless a symlink, which takes no ACL.
Status CheckCreateIn(Ino parent, const Attr& pattr, FileType type);
// Removing or renaming an entry of dir: not if it is immutable or append-only.
Status CheckRemoveFrom(Ino parent, const Attr& pattr);
// Unlink, rename, truncate, link or xattr change of the inode itself.
Status CheckChange(Ino ino, const Attr& a, const char* what);
// Data written at offset: never into an immutable file, only at the end of
// an append-only one.
Status CheckWrite(Ino ino, const Attr& a, uint64_t offset);
// SetAttr: an immutable or append-only inode may only have its flags
// changed; a mode change of an inode with an access ACL would have to update
// the ACL's mask too.
Status CheckSetAttr(Ino ino, const Attr& a, bool flags_only, bool mode_changes);

// What a new child of pattr takes from it, as JuiceFS on Linux: the group and
// (for directories) the setgid bit of a setgid directory, the skip-trash
// flag, the storage tier.
void Inherit(const Attr& pattr, Attr* child);

// Why a volume's namespace and data writes are refused; OK when they are
// not. Quotas (the setting's flag or any QD/QU/QG record): jfsbr does not
// keep their usage. The change log (`juicefs config --changelog`): JuiceFS
// appends an entry for every operation, and a reader of the log (`juicefs
// changelog`) would miss jfsbr's.
Status WriteRefusal(bool user_group_quota_setting, bool has_quota_records, bool change_log);

}  // namespace jfsbr::fsi
