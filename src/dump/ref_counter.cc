// RefCounter: the shared references, read from the sorter in order.
#include "dump/ref_counter.h"

namespace jfsbr {

Status RefCounter::ForEachShared(const std::function<void(uint64_t, uint32_t, uint32_t)>& fn) {
  JFS_RETURN_IF_ERROR(sorter_.Finish());
  Entry e;
  while (sorter_.Next(&e)) {
    if (e.count > 1) fn(e.id, e.size, e.count);
  }
  return sorter_.status();
}

}  // namespace jfsbr
