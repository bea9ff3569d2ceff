// restore-trash: removed files back from the volume's hourly trash dirs.
#include <cstdio>

#include "cli/command.h"
#include "fs/trash.h"

namespace jfsbr::cli {
namespace {

int RunRestoreTrash(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  bool put_back = a.Has("put-back");
  int code = 0;
  for (size_t i = 1; i < a.pos.size(); i++) {
    auto r = RestoreTrash(vol->get(), a.pos[i], put_back);
    if (!r.ok()) return Fail(a, r.status());
    for (const auto& p : r->problems) fprintf(stderr, "restore-trash: %s\n", p.c_str());
    fprintf(stderr,
            "restore-trash: %s: %llu entries, %llu rebuilt under their parents in the trash, "
            "%llu put back, %llu conflicts%s\n",
            a.pos[i].c_str(), static_cast<unsigned long long>(r->entries),
            static_cast<unsigned long long>(r->rebuilt),
            static_cast<unsigned long long>(r->put_back),
            static_cast<unsigned long long>(r->conflicts),
            r->need_put_back ? (", " + std::to_string(r->need_put_back) +
                                " need --put-back to go back to where they were")
                                   .c_str()
                             : "");
    if (!r->problems.empty()) code = 1;
  }
  return code;
}

}  // namespace

const Command kRestoreTrashCommand = {
    "restore-trash",
    "META-URL HOUR...",
    "Rebuild removed trees in the trash hours given (YYYY-MM-DD-HH, UTC, as in .trash) and, "
    "with --put-back, move them back where they were (never over a name taken since)",
    {{"put-back", 0, "", "move the entries back to their old parents and names"}},
    2,
    SIZE_MAX,
    RunRestoreTrash};

}  // namespace jfsbr::cli
