// File types and their names in dumps.
#include "model/types.h"

namespace jfsbr {

std::string_view FileTypeName(FileType t) {
  switch (t) {
    case FileType::kFile:
      return "regular";
    case FileType::kDirectory:
      return "directory";
    case FileType::kSymlink:
      return "symlink";
    case FileType::kFifo:
      return "fifo";
    case FileType::kBlockDev:
      return "blockdev";
    case FileType::kCharDev:
      return "chardev";
    case FileType::kSocket:
      return "socket";
  }
  return "";
}

bool ValidFileType(uint8_t t) { return t >= 1 && t <= 7; }

}  // namespace jfsbr
