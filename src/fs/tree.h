// Copying whole trees between a local directory and a volume.
//
// Import keeps files, directories, symlinks, hard links (one inode, several
// names), special files, xattrs, mode, uid/gid and a/mtimes. Every file is
// created complete in one transaction (its blocks are uploaded first), so an
// interrupted import leaves only whole files, and a rerun skips what is
// already there (same type; same length and mtime for files) and finishes the
// rest. Export is the reverse, reading the blocks back.
#pragma once

#include <functional>
#include <string>

#include "fs/volume.h"

namespace jfsbr {

struct TreeProgress {
  uint64_t files = 0;  // regular files copied
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t others = 0;   // hard links, fifos, devices, sockets
  uint64_t skipped = 0;  // already present (import rerun)
  uint64_t bytes = 0;    // file bytes copied
};
// Called after each entry; must be cheap (throttle rendering in the caller).
using ProgressFn = std::function<void(const TreeProgress&)>;

struct ImportOptions {
  std::string dest = "/";  // an existing directory of the volume
  int threads = 4;         // files uploaded at once
  ProgressFn progress;     // called from the calling thread
};
// Imports the contents of local_dir into opts.dest.
Result<TreeProgress> ImportTree(Volume* vol, const std::string& local_dir,
                                const ImportOptions& opts);

struct ExportOptions {
  std::string path = "/";  // a directory (its contents) or a file of the volume
  int threads = 4;         // files written at once
  ProgressFn progress;     // called from the calling thread
};
// Exports the contents of opts.path into local_dir (created if missing); a
// file is written into local_dir under its name.
Result<TreeProgress> ExportTree(Volume* vol, const std::string& local_dir,
                                const ExportOptions& opts);

}  // namespace jfsbr
