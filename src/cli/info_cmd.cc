// info: a path's inode and usage and, for a file, its block objects, laid out
// as JuiceFS's `info` prints them.
#include <iostream>

#include "cli/command.h"
#include "fs/info.h"

namespace jfsbr::cli {
namespace {

void PrintTable(const std::vector<std::vector<std::string>>& rows, int left_align) {
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); i++) w[i] = std::max(w[i], r[i].size());
  }
  std::string divider;
  for (size_t x : w) divider += "+" + std::string(x + 2, '-');
  divider += "+";
  std::cout << divider << "\n";
  for (size_t r = 0; r < rows.size(); r++) {
    std::string line;
    for (size_t i = 0; i < w.size(); i++) {
      const std::string& c = rows[r][i];
      size_t pad = w[i] - c.size();
      line += "| ";
      if (r == 0) {  // header cells centred, the extra space on the left
        line += std::string((pad + 1) / 2, ' ') + c + std::string(pad / 2, ' ');
      } else if (static_cast<int>(i) == left_align) {
        line += c + std::string(pad, ' ');
      } else {
        line += std::string(pad, ' ') + c;
      }
      line += " ";
    }
    std::cout << line << "|\n";
    if (r == 0) std::cout << divider << "\n";
  }
  std::cout << divider << "\n";
}

Status PrintInfo(Volume* vol, const std::string& path, Ino ino, const Attr&) {
  JFS_ASSIGN_OR_RETURN(Summary sum, Summarize(vol, ino));
  std::cout << path << " :\n  inode: " << ino << "\n  files: " << sum.files
            << "\n   dirs: " << sum.dirs << "\n length: " << FormatBytes(sum.length)
            << "\n   size: " << FormatBytes(sum.size) << "\n   path: " << path << "\n";
  if (sum.files != 1 || sum.dirs != 0) return Status::OK();
  JFS_ASSIGN_OR_RETURN(auto objects, FileObjects(vol, ino));
  if (objects.empty()) return Status::OK();
  std::vector<std::vector<std::string>> rows = {
      {"chunkIndex", "objectName", "size", "offset", "length", "pos"}};
  for (const auto& o : objects) {
    rows.push_back({std::to_string(o.chunk_index), o.key, std::to_string(o.size),
                    std::to_string(o.off), std::to_string(o.len), std::to_string(o.pos)});
  }
  std::cout << " objects:\n";
  PrintTable(rows, 1);
  return Status::OK();
}

int RunInfo(const Args& a) { return ForEachPath(a, PrintInfo); }

}  // namespace

const Command kInfoCommand = {"info",
                              "META-URL PATH...",
                              "Show a path's inode, usage and, for a file, its block objects",
                              {},
                              2,
                              SIZE_MAX,
                              RunInfo};

}  // namespace jfsbr::cli
