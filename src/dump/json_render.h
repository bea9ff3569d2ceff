// Rendering the pieces of a JSON dump: goccy-compatible compact objects
// (attr, xattrs, ACLs, chunks) and the hand-written entry framing of
// JuiceFS's dumper (juicefs-formats.md §3.2).
#pragma once

#include <string>
#include <string_view>

#include "dump/node.h"

namespace jfsbr {

// Appends a non-directory entry at nesting depth `depth`, starting with its newline.
void AppendLeafEntry(std::string* out, std::string_view name, const DumpedNode& n, int depth);
// A directory entry up to and including `"entries": {`.
std::string RenderDirHead(std::string_view name, const DumpedNode& n, int depth);
// What closes a directory entry opened by RenderDirHead at `depth`.
std::string RenderDirTail(int depth);

}  // namespace jfsbr
