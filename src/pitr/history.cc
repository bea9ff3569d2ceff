// Compacting etcd's history, never past what a log backup task still needs.
#include "pitr/history.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "pitr/log_task.h"
#include "tkv/txn.h"
#include "util/clock.h"

namespace jfsbr {
namespace {

const std::string kJournalKey = "\xFEjfsbr/revision-times";
constexpr size_t kJournalMax = 1000;

}  // namespace

Result<CompactResult> CompactHistory(KvEngine* root, std::chrono::milliseconds keep) {
  CompactResult r;
  JFS_ASSIGN_OR_RETURN(r.current, root->Version());
  JFS_ASSIGN_OR_RETURN(r.before, root->OldestVersion());
  int64_t now = UnixMillis();
  std::vector<std::pair<int64_t, uint64_t>> journal;
  JFS_RETURN_IF_ERROR(RunTxn(root, [&](Txn& tx) -> Status {
    journal.clear();
    JFS_ASSIGN_OR_RETURN(auto text, tx.Get(kJournalKey));
    std::istringstream in(text.value_or(""));
    int64_t ms;
    uint64_t rev;
    while (in >> ms >> rev) journal.push_back({ms, rev});
    journal.push_back({now, r.current});
    if (journal.size() > kJournalMax) journal.erase(journal.begin());
    std::string out;
    for (auto& [m, v] : journal) out += std::to_string(m) + " " + std::to_string(v) + "\n";
    tx.Put(kJournalKey, out);
    return Status::OK();
  }));
  for (auto& [ms, rev] : journal) {
    if (ms <= now - keep.count()) r.by_keep = std::max(r.by_keep, rev);
  }
  uint64_t target = r.by_keep;
  JFS_ASSIGN_OR_RETURN(auto checkpoints, AllTaskCheckpoints(root));
  for (uint64_t c : checkpoints) {
    uint64_t hold = c + 1;  // a watch from c + 1 must still work
    r.task_hold = r.task_hold ? std::min(r.task_hold, hold) : hold;
  }
  if (r.task_hold) target = std::min(target, r.task_hold);
  if (target > r.before) {
    JFS_RETURN_IF_ERROR(root->Compact(target));
    r.compacted_to = target;
  }
  return r;
}

}  // namespace jfsbr
