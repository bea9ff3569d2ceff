// The members of one entry of a JSON dump's tree ("attr", "chunks",
// "xattrs", "posix_acl_*"), read from a JsonReader positioned at their
// value: shared by the loader and by readers that only walk a dump (diff).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dump/json_reader.h"
#include "model/attr.h"
#include "model/records.h"

namespace jfsbr {

// An "attr" object: the inode it names and the attr (parent not set).
Status ReadJsonAttr(JsonReader& r, Attr* a, Ino* ino);
// A "chunks" array: fn gets each chunk's index and its slices.
Status ReadJsonChunks(JsonReader& r,
                      const std::function<Status(uint32_t index, std::vector<SliceRecord>)>& fn);
// An "xattrs" array: fn gets each name (as it is) and value (unescaped).
Status ReadJsonXattrs(JsonReader& r,
                      const std::function<Status(std::string name, std::string value)>& fn);
// A "posix_acl_access"/"posix_acl_default" value, encoded as its rule record
// ("" for null).
Result<std::string> ReadJsonAcl(JsonReader& r);

}  // namespace jfsbr
