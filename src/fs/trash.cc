// The trash: hourly directories, the names of removed entries, restoring them.
#include "fs/trash.h"

#include <charconv>
#include <unordered_set>

#include "model/types.h"

namespace jfsbr {
namespace {

struct TrashName {
  Ino parent = 0, ino = 0;
  std::string name;
};

// "<parent>-<ino>-<name>": split at the first two '-'.
std::optional<TrashName> ParseTrashName(const std::string& s) {
  size_t a = s.find('-');
  size_t b = a == std::string::npos ? a : s.find('-', a + 1);
  if (b == std::string::npos || b + 1 >= s.size()) return std::nullopt;
  TrashName t;
  auto p = std::from_chars(s.data(), s.data() + a, t.parent);
  auto q = std::from_chars(s.data() + a + 1, s.data() + b, t.ino);
  if (p.ec != std::errc() || p.ptr != s.data() + a || q.ec != std::errc() ||
      q.ptr != s.data() + b) {
    return std::nullopt;
  }
  t.name = s.substr(b + 1);
  return t;
}

}  // namespace

Result<TrashRestoreResult> RestoreTrash(Volume* vol, const std::string& hour, bool put_back) {
  TrashRestoreResult r;
  auto hour_dir = vol->Lookup(kTrashInode, hour);
  if (!hour_dir.ok()) {
    return Status::NotFound("the trash has no hour " + hour + " (names look like 2026-11-21-10)");
  }
  Ino dir = hour_dir->ino;
  JFS_ASSIGN_OR_RETURN(auto entries, vol->ReadDir(dir));
  r.entries = entries.size();
  std::unordered_set<Ino> dirs_here;
  for (const auto& e : entries) {
    if (e.dentry.type == FileType::kDirectory) dirs_here.insert(e.dentry.ino);
  }
  std::vector<std::pair<std::string, TrashName>> top;  // entries whose parent is not here
  for (const auto& e : entries) {
    auto t = ParseTrashName(e.name);
    if (!t) {
      r.problems.push_back("not a trash entry name: " + e.name);
      continue;
    }
    if (dirs_here.count(t->parent)) {
      JFS_RETURN_IF_ERROR(vol->Rename(dir, e.name, t->parent, t->name).Annotate(e.name));
      r.rebuilt++;
    } else {
      top.emplace_back(e.name, std::move(*t));
    }
  }
  for (const auto& [entry, t] : top) {
    if (!put_back) {
      r.need_put_back++;
      continue;
    }
    auto taken = vol->Lookup(t.parent, t.name);
    if (taken.ok()) {
      r.conflicts++;
      r.problems.push_back(entry + ": its old name in dir " + std::to_string(t.parent) +
                           " is taken");
      continue;
    }
    if (!taken.status().Is(Code::kNotFound)) return taken.status();
    Status st = vol->Rename(dir, entry, t.parent, t.name);
    if (st.Is(Code::kNotFound) || st.Is(Code::kNotDirectory)) {
      r.problems.push_back(entry + ": its old parent dir " + std::to_string(t.parent) + " is gone");
      continue;
    }
    JFS_RETURN_IF_ERROR(st.Annotate(entry));
    r.put_back++;
  }
  return r;
}

}  // namespace jfsbr
