// Progress lines on a terminal (rewritten in place, cleared at the end).
#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace jfsbr::cli {

TreeProgressLine::TreeProgressLine(std::string verb)
    : verb_(std::move(verb)),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

std::string TreeProgressLine::Render(const TreeProgress& p) const {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double mib = static_cast<double>(p.bytes) / (1 << 20);
  double rate_div = secs > 0.001 ? secs : 0.001;
  char buf[256];
  snprintf(buf, sizeof(buf),
           "%s %llu files, %llu dirs, %llu symlinks, %llu other, %llu skipped, %.1f MiB in %.1fs "
           "(%.0f files/s, %.1f MiB/s)",
           verb_.c_str(), static_cast<unsigned long long>(p.files),
           static_cast<unsigned long long>(p.dirs), static_cast<unsigned long long>(p.symlinks),
           static_cast<unsigned long long>(p.others), static_cast<unsigned long long>(p.skipped),
           mib, secs, static_cast<double>(p.files) / rate_div, mib / rate_div);
  return buf;
}

void TreeProgressLine::Update(const TreeProgress& p) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  fprintf(stderr, "\r\033[K%s", Render(p).c_str());
  fflush(stderr);
}

void TreeProgressLine::Done(const TreeProgress& p) {
  if (tty_) fprintf(stderr, "\r\033[K");
  fprintf(stderr, "%s\n", Render(p).c_str());
}

CountProgress::CountProgress(std::string what)
    : what_(std::move(what)),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void CountProgress::Update(uint64_t n) {
  if (!tty_) return;
  std::lock_guard l(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  fprintf(stderr, "\r\033[K%s: %llu (%.0f/s)", what_.c_str(), static_cast<unsigned long long>(n),
          static_cast<double>(n) / (secs > 0.001 ? secs : 0.001));
  fflush(stderr);
}

void CountProgress::Clear() {
  if (tty_) fprintf(stderr, "\r\033[K");
}

}  // namespace jfsbr::cli
