// check: verify a volume's metadata invariants.
#include <iostream>

#include "cli/command.h"
#include "fs/check.h"
#include "meta/registry.h"

namespace jfsbr::cli {
namespace {

int RunCheck(const Args& a) {
  auto engine = OpenMeta(a.pos[0]);
  if (!engine.ok()) return Fail(a, engine.status());
  auto snap = (*engine)->Snapshot();
  if (!snap.ok()) return Fail(a, snap.status());
  auto max = a.GetUint("max-problems", 100);
  if (!max.ok()) return Fail(a, max.status());
  auto report = CheckVolume(snap->get(), *max);
  if (!report.ok()) return Fail(a, report.status());
  for (const auto& p : report->problems) std::cout << p << "\n";
  for (const auto& w : report->warnings) std::cout << "warning: " << w << "\n";
  std::cout << (report->ok() ? "volume OK: " : "volume BROKEN: ") << report->inodes << " inodes, "
            << report->entries << " entries, " << report->slices << " slices, "
            << report->problem_count << " problems, " << report->warning_count
            << " warnings (version " << (*snap)->version() << ")\n";
  return report->ok() ? 0 : 1;
}

}  // namespace

const Command kCheckCommand = {
    "check",
    "META-URL",
    "Verify the volume's metadata invariants (links, usage records, counters, refs)",
    {{"max-problems", 0, "N", "problems listed at most", "100"}},
    1,
    1,
    RunCheck};

}  // namespace jfsbr::cli
