// The read-only FUSE mount of a SourceView (libfuse3's low-level API):
// JuiceFS's inode numbers are the mount's (the root is 1, hard links share
// one), reads go through the volume's slices to ranged reads of its block
// objects (the SourceView's block cache), a sequential reader gets the next
// block fetched ahead, and every write is refused by the kernel (EROFS: a
// read-only mount).
#pragma once

#include <functional>
#include <string>

#include "view/source.h"

namespace jfsbr {

struct MountOptions {
  std::string fuse_device = "/dev/fuse";  // checked first, for a clear error
  int threads = 8;                        // requests served at once
  // Called once the mount is visible; unmounting is left to signals
  // (SIGTERM, SIGINT, SIGHUP) and `fusermount3 -u`.
  std::function<void()> ready;
};

// Serves view at mountpoint (an existing directory) until it is unmounted
// or a signal ends it; then unmounts. One-line errors for a missing
// /dev/fuse or mountpoint.
Status ServeMount(SourceView* view, const std::string& mountpoint, const MountOptions& o);

}  // namespace jfsbr
