// Rendering one dumped node as JuiceFS's JSON, byte for byte.
#include "dump/json_render.h"

#include <charconv>

#include "dump/escape.h"
#include "util/json.h"

namespace jfsbr {
namespace {

void Indent(std::string* out, int depth) { out->append(static_cast<size_t>(depth) * 2, ' '); }

template <typename T>
void Num(std::string* out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// Appends ,"key":value for an unsigned value, or nothing if omitempty and 0.
void Field(std::string* out, std::string_view key, uint64_t v, bool omit_zero = false) {
  if (omit_zero && v == 0) return;
  out->append(",\"").append(key).append("\":");
  Num(out, v);
}

void AppendAttr(std::string* out, const DumpedNode& n) {
  const Attr& a = n.attr;
  out->append("{\"inode\":");
  Num(out, n.ino);
  Field(out, "flags", a.flags, true);
  out->append(",\"type\":\"").append(FileTypeName(a.type)).append("\"");
  Field(out, "mode", a.mode);
  Field(out, "uid", a.uid);
  Field(out, "gid", a.gid);
  out->append(",\"atime\":");
  Num(out, a.atime);
  out->append(",\"mtime\":");
  Num(out, a.mtime);
  out->append(",\"ctime\":");
  Num(out, a.ctime);
  Field(out, "atimensec", a.atimensec, true);
  Field(out, "mtimensec", a.mtimensec, true);
  Field(out, "ctimensec", a.ctimensec, true);
  Field(out, "nlink", a.nlink);
  Field(out, "length", a.type == FileType::kFile ? a.length : 0);  // 0 for all but files
  Field(out, "rdev", a.rdev, true);
  Field(out, "tier", a.tier, true);
  out->push_back('}');
}

void AppendXattrs(std::string* out, const DumpedNode& n) {
  out->push_back('[');
  for (size_t i = 0; i < n.xattrs.size(); i++) {
    out->append(i ? ",{\"name\":" : "{\"name\":");
    AppendGoQuoted(out, n.xattrs[i].first);
    out->append(",\"value\":");
    AppendGoQuoted(out, Escape(n.xattrs[i].second));
    out->push_back('}');
  }
  out->push_back(']');
}

void AppendAclEntries(std::string* out, const std::vector<AclEntry>& list) {
  if (list.empty()) {
    out->append("null");
    return;
  }
  out->push_back('[');
  for (size_t i = 0; i < list.size(); i++) {
    out->append(i ? ",{\"id\":" : "{\"id\":");
    Num(out, list[i].id);
    out->append(",\"perm\":");
    Num(out, list[i].perm);
    out->push_back('}');
  }
  out->push_back(']');
}

void AppendAcl(std::string* out, const AclRule& r) {
  out->append("{\"owner\":");
  Num(out, r.owner);
  Field(out, "group", r.group);
  Field(out, "other", r.other);
  Field(out, "mask", r.mask);
  out->append(",\"users\":");
  AppendAclEntries(out, r.users);
  out->append(",\"groups\":");
  AppendAclEntries(out, r.groups);
  out->push_back('}');
}

void AppendChunk(std::string* out, uint32_t index, const std::vector<SliceRecord>& slices) {
  out->append("{\"index\":");
  Num(out, index);
  out->append(",\"slices\":[");
  for (size_t i = 0; i < slices.size(); i++) {
    const SliceRecord& s = slices[i];
    out->append(i ? ",{\"id\":" : "{\"id\":");
    Num(out, s.id);
    Field(out, "pos", s.pos, true);
    Field(out, "size", s.size);
    Field(out, "off", s.off, true);
    Field(out, "len", s.len);
    out->push_back('}');
  }
  out->append("]}");
}

// `"name": {` and the fields every entry starts with: attr, [symlink], xattrs, ACLs.
void AppendHead(std::string* out, std::string_view name, const DumpedNode& n, int depth) {
  out->push_back('\n');
  Indent(out, depth);
  out->push_back('"');
  AppendEscaped(out, name);
  out->append("\": {\n");
  Indent(out, depth + 1);
  out->append("\"attr\": ");
  AppendAttr(out, n);
  auto field = [&](std::string_view key) {
    out->append(",\n");
    Indent(out, depth + 1);
    out->append("\"").append(key).append("\": ");
  };
  if (n.attr.type == FileType::kSymlink && !n.symlink.empty()) {
    field("symlink");
    out->push_back('"');
    AppendEscaped(out, n.symlink);
    out->push_back('"');
  }
  if (!n.xattrs.empty()) {
    field("xattrs");
    AppendXattrs(out, n);
  }
  if (n.access_acl) {
    field("posix_acl_access");
    AppendAcl(out, *n.access_acl);
  }
  if (n.default_acl) {
    field("posix_acl_default");
    AppendAcl(out, *n.default_acl);
  }
}

}  // namespace

void AppendLeafEntry(std::string* out_str, std::string_view name, const DumpedNode& n, int depth) {
  std::string& out = *out_str;
  AppendHead(&out, name, n, depth);
  if (n.chunks.size() == 1) {
    out.append(",\n");
    Indent(&out, depth + 1);
    out.append("\"chunks\": [");
    AppendChunk(&out, n.chunks[0].first, n.chunks[0].second);
    out.push_back(']');
  } else if (n.chunks.size() > 1) {
    out.append(",\n");
    Indent(&out, depth + 1);
    out.append("\"chunks\": [");
    for (size_t i = 0; i < n.chunks.size(); i++) {
      out.append(i ? ",\n" : "\n");
      Indent(&out, depth + 2);
      AppendChunk(&out, n.chunks[i].first, n.chunks[i].second);
    }
    out.push_back('\n');
    Indent(&out, depth + 1);
    out.push_back(']');
  }
  out.push_back('\n');
  Indent(&out, depth);
  out.push_back('}');
}

std::string RenderDirHead(std::string_view name, const DumpedNode& n, int depth) {
  std::string out;
  AppendHead(&out, name, n, depth);
  out.append(",\n");
  Indent(&out, depth + 1);
  out.append("\"entries\": {");
  return out;
}

std::string RenderDirTail(int depth) {
  std::string out = "\n";
  Indent(&out, depth + 1);
  out.append("}\n");
  Indent(&out, depth);
  out.push_back('}');
  return out;
}

}  // namespace jfsbr
