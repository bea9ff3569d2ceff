// Helpers shared by ImportTree and ExportTree.
//
// SubtreeDone: runs a directory's finishing step (restoring its mtime, mode)
// once everything below it is done, when files are copied by several threads.
//
// Each open directory counts what is still pending in it: the walk of the
// directory itself, each file task and each open subdirectory. The last
// Release runs the directory's finish and then releases its parent. Memory is
// proportional to the directories in flight, not to the tree. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "fs/tree.h"
#include "util/status.h"

namespace jfsbr {

class SubtreeDone {
 public:
  struct Node {
    std::shared_ptr<Node> parent;
    std::function<Status()> finish;
    std::atomic<int> pending{1};  // the walk of this directory
  };
  using Ref = std::shared_ptr<Node>;

  // A directory below parent (null for the top); the caller releases it when
  // its walk is over.
  Ref Open(const Ref& parent, std::function<Status()> finish) {
    if (parent) parent->pending++;
    auto n = std::make_shared<Node>();
    n->parent = parent;
    n->finish = std::move(finish);
    return n;
  }
  // One more pending task in n.
  void Hold(const Ref& n) { n->pending++; }
  void Release(Ref n) {
    while (n && --n->pending == 0) {
      Status st = n->finish();
      if (!st.ok()) {
        std::lock_guard l(mu_);
        if (error_.ok()) error_ = st;
      }
      n = n->parent;
    }
  }
  // The first error of a finish step.
  Status status() {
    std::lock_guard l(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  Status error_;
};

// TreeProgress counters updated by several threads.
class SharedProgress {
 public:
  void Add(uint64_t TreeProgress::*field, uint64_t n = 1) {
    std::lock_guard l(mu_);
    p_.*field += n;
  }
  TreeProgress Get() {
    std::lock_guard l(mu_);
    return p_;
  }

 private:
  std::mutex mu_;
  TreeProgress p_;
};

}  // namespace jfsbr
