// A lease kept as one of jfsbr's own records of a volume (RecordKind::kTool),
// beside JuiceFS's: how runners of the backup daemon agree on who backs up.
#pragma once

#include <memory>
#include <string>

#include "meta/meta.h"
#include "util/lease.h"

namespace jfsbr {

inline constexpr const char* kBackupLeaseName = "backup-lease";

// The slot of lease `name` in meta (which must outlive it).
std::unique_ptr<Lease::Slot> LeaseSlotIn(Meta* meta, std::string name);

}  // namespace jfsbr
