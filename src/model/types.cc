// File types and their names in dumps.
#include "model/types.h"

#include <sys/stat.h>

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

uint32_t PosixTypeBits(FileType t) {
  switch (t) {
    case FileType::kDirectory:
      return S_IFDIR;
    case FileType::kSymlink:
      return S_IFLNK;
    case FileType::kFifo:
      return S_IFIFO;
    case FileType::kBlockDev:
      return S_IFBLK;
    case FileType::kCharDev:
      return S_IFCHR;
    case FileType::kSocket:
      return S_IFSOCK;
    default:
      return S_IFREG;
  }
}

}  // namespace jfsbr
