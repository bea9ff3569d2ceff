// A one-line live counter with rates for long tree operations, drawn on
// stderr only when it is a terminal, and the final summary line.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "fs/tree.h"

namespace jfsbr::cli {

class TreeProgressLine {
 public:
  explicit TreeProgressLine(std::string verb);
  // Redraws at most every 200 ms.
  void Update(const TreeProgress& p);
  // Clears the live line and prints "<verb> ... in Xs (rates)" on stderr.
  void Done(const TreeProgress& p);

 private:
  std::string Render(const TreeProgress& p) const;

  std::string verb_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

// A live "<what>: N (rate/s)" counter on a terminal's stderr; silent
// otherwise. Update may be called from several threads.
class CountProgress {
 public:
  explicit CountProgress(std::string what);
  void Update(uint64_t n);  // redraws at most every 200 ms
  void Clear();             // erases the live line before a final message

 private:
  std::string what_;
  bool tty_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace jfsbr::cli
