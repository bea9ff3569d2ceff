// LazyFs: a pass-through FUSE filesystem for crash tests that can lose what
// a power cut loses.
//
// A killed process loses nothing the kernel has accepted: its writes sit in
// the page cache and reach the disk later. A machine that loses power loses
// every write that was not made durable. LazyFs (after the idea of Jepsen's
// LazyFS) serves a directory (the backing) at a mountpoint, passing every
// operation straight through, and keeps beside it a model of what a disk
// would hold after a power cut at that moment:
//   - a file's bytes as of its last fsync (empty if it never had one);
//   - a directory's entries as of its last fsync (so a create, rename or
//     unlink is durable only once its directory is synced).
// This is the strictest reading of POSIX: real filesystems often keep more,
// never less, so a program that survives LazyFs's cut survives theirs.
//
// CutAt(n) chooses the moment: the power goes out just before the n-th
// mutating operation. The process that asked for it is SIGKILLed on the
// spot, as the machine would stop it (so nothing it would do next, such as
// telling a server it is done, happens), and every later operation fails
// (EIO). With kill = false the program runs on unaware instead (its
// operations pass through; nothing after the cut becomes durable): for a
// test that writes through the mount itself. PowerCut() then unmounts and
// rewrites the backing to the durable model: what the disk would hold when
// the machine comes back. Everything in the backing when it is mounted
// counts as durable.
//
// Needs root (or fusermount3) and /dev/fuse, like the read-only mount.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "util/result.h"

struct fuse;

namespace jfsbr {

class LazyFs {
 public:
  // Serves the directory backing at mountpoint (both must exist).
  static Result<std::unique_ptr<LazyFs>> Mount(const std::string& backing,
                                               const std::string& mountpoint);
  ~LazyFs();  // unmounts if still mounted (nothing lost)
  LazyFs(const LazyFs&) = delete;
  LazyFs& operator=(const LazyFs&) = delete;

  // The power goes out just before mutating operation number n (1-based;
  // writes, creates, renames, unlinks, syncs...). 0: no cut.
  void CutAt(uint64_t n, bool kill = true);
  // Mutating operations seen so far.
  uint64_t operations() const { return ops_.load(); }
  // Unmounts, leaving the backing as the page cache holds it.
  Status Unmount();
  // Unmounts and rewrites the backing to what was durable at the cut (with
  // no cut: now).
  Status PowerCut();

  // The durable model, used by the FUSE callbacks (lazy_fs.cc).
  struct Entry {
    uint64_t id = 0;  // a file or directory as LazyFs names it
    unsigned mode = 0;
    std::string target;  // symlinks
  };
  // Counts a mutating operation by process pid; false once the power is
  // out (the operation must then not reach the backing if kill is set).
  bool Tick(int pid);
  bool killing() const { return kill_.load(); }
  // Records the bytes behind fd (an open file) as durable.
  void SyncFile(int fd);
  // Records the entries of the backing directory open as dir_fd as durable.
  void SyncDir(int dir_fd);
  // A fresh id for a backing inode just created (inode numbers get reused).
  void Created(const std::string& path);
  std::string Backing(const char* path) const { return backing_ + path; }

 private:
  LazyFs(std::string backing, std::string mountpoint)
      : backing_(std::move(backing)), mountpoint_(std::move(mountpoint)) {}
  uint64_t IdOf(uint64_t ino);
  Status RecordTree(const std::string& path);
  Status Rebuild(uint64_t dir_id, const std::string& path, std::map<uint64_t, std::string>* files,
                 std::map<uint64_t, bool>* dirs_seen);

  std::string backing_, mountpoint_;
  struct fuse* fuse_ = nullptr;
  std::thread loop_;
  std::atomic<uint64_t> ops_{0}, cut_at_{0};
  std::atomic<bool> out_{false};  // the power is out
  std::atomic<bool> kill_{true};

  std::mutex mu_;  // the model (the FUSE loop is single-threaded; tests read it)
  std::unordered_map<uint64_t, uint64_t> id_of_ino_;
  uint64_t next_id_ = 1, root_id_ = 0;
  std::map<uint64_t, std::string> content_;
  std::map<uint64_t, std::map<std::string, Entry>> dirs_;
};

}  // namespace jfsbr
