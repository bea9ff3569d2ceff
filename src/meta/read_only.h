// A read-only Meta over one snapshot: what `mount` and `diff` show of a live
// volume at an earlier version (etcd history). Every read is a read of the
// snapshot; every write is refused (kPermission, "read-only"), so a Volume
// over it cannot change anything by mistake.
#pragma once

#include <memory>

#include "meta/meta.h"

namespace jfsbr {

// owner (may be null) is kept alive as long as the view: the Meta the
// snapshot was taken from.
std::unique_ptr<Meta> ReadOnlyMeta(std::unique_ptr<MetaSnapshot> snapshot,
                                   std::shared_ptr<Meta> owner);

}  // namespace jfsbr
