// Reading an entry's members from a JSON dump (moved out of the loader so
// that diff reads dumps the same way).
#include "dump/json_entry.h"

#include <type_traits>

#include "dump/escape.h"

namespace jfsbr {
namespace {

Result<FileType> TypeFromName(const std::string& name, const JsonReader& r) {
  for (uint8_t t = 1; t <= 7; t++) {
    if (FileTypeName(static_cast<FileType>(t)) == name) return static_cast<FileType>(t);
  }
  return r.Error("a file type (regular, directory, symlink, ...), not '" + name + "'");
}

}  // namespace

Status ReadJsonAttr(JsonReader& r, Attr* a, Ino* ino) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, r.Value());
  if (v.kind != JsonValue::Kind::kObject) return r.Error("an attr object");
  auto num = [&](const char* name, auto* dst) -> Status {
    const JsonValue* f = v.Find(name);
    if (f == nullptr) return Status::OK();
    JFS_ASSIGN_OR_RETURN(int64_t n, f->AsInt());
    *dst = static_cast<std::remove_pointer_t<decltype(dst)>>(n);
    return Status::OK();
  };
  const JsonValue* inode = v.Find("inode");
  const JsonValue* type = v.Find("type");
  if (!inode || !type) return r.Error("an attr with inode and type");
  JFS_ASSIGN_OR_RETURN(*ino, inode->AsUint());
  JFS_ASSIGN_OR_RETURN(a->type, TypeFromName(type->text, r));
  JFS_RETURN_IF_ERROR(num("flags", &a->flags));
  JFS_RETURN_IF_ERROR(num("mode", &a->mode));
  JFS_RETURN_IF_ERROR(num("uid", &a->uid));
  JFS_RETURN_IF_ERROR(num("gid", &a->gid));
  JFS_RETURN_IF_ERROR(num("atime", &a->atime));
  JFS_RETURN_IF_ERROR(num("mtime", &a->mtime));
  JFS_RETURN_IF_ERROR(num("ctime", &a->ctime));
  JFS_RETURN_IF_ERROR(num("atimensec", &a->atimensec));
  JFS_RETURN_IF_ERROR(num("mtimensec", &a->mtimensec));
  JFS_RETURN_IF_ERROR(num("ctimensec", &a->ctimensec));
  JFS_RETURN_IF_ERROR(num("nlink", &a->nlink));
  JFS_RETURN_IF_ERROR(num("rdev", &a->rdev));
  JFS_RETURN_IF_ERROR(num("tier", &a->tier));
  if (const JsonValue* len = v.Find("length")) JFS_ASSIGN_OR_RETURN(a->length, len->AsUint());
  return Status::OK();
}

Status ReadJsonChunks(JsonReader& r,
                      const std::function<Status(uint32_t index, std::vector<SliceRecord>)>& fn) {
  JFS_RETURN_IF_ERROR(r.BeginArray());
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r.NextItem());
    if (!more) return Status::OK();
    JFS_ASSIGN_OR_RETURN(JsonValue c, r.Value());
    const JsonValue *index = c.Find("index"), *slices = c.Find("slices");
    if (!index || !slices || slices->kind != JsonValue::Kind::kArray) {
      return r.Error("a chunk with index and slices");
    }
    JFS_ASSIGN_OR_RETURN(uint64_t idx, index->AsUint());
    std::vector<SliceRecord> records;
    for (const JsonValue& s : slices->items) {
      SliceRecord rec;
      uint64_t n = 0;
      for (auto [name, dst] : {std::pair{"pos", &rec.pos}, std::pair{"size", &rec.size},
                               std::pair{"off", &rec.off}, std::pair{"len", &rec.len}}) {
        if (const JsonValue* f = s.Find(name)) {
          JFS_ASSIGN_OR_RETURN(n, f->AsUint());
          *dst = static_cast<uint32_t>(n);
        }
      }
      if (const JsonValue* f = s.Find("id")) JFS_ASSIGN_OR_RETURN(rec.id, f->AsUint());
      if (const JsonValue* f = s.Find("chunkid"); f && rec.id == 0) {
        JFS_ASSIGN_OR_RETURN(rec.id, f->AsUint());  // legacy field name
      }
      records.push_back(rec);
    }
    JFS_RETURN_IF_ERROR(fn(static_cast<uint32_t>(idx), std::move(records)));
  }
}

Status ReadJsonXattrs(JsonReader& r,
                      const std::function<Status(std::string name, std::string value)>& fn) {
  JFS_RETURN_IF_ERROR(r.BeginArray());
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r.NextItem());
    if (!more) return Status::OK();
    JFS_ASSIGN_OR_RETURN(JsonValue x, r.Value());
    const JsonValue *name = x.Find("name"), *value = x.Find("value");
    if (!name || !value) return r.Error("an xattr with name and value");
    JFS_RETURN_IF_ERROR(fn(name->text, Unescape(value->text)));
  }
}

Result<std::string> ReadJsonAcl(JsonReader& r) {
  JFS_ASSIGN_OR_RETURN(JsonValue v, r.Value());
  if (v.kind == JsonValue::Kind::kNull) return std::string();
  if (v.kind != JsonValue::Kind::kObject) return r.Error("an ACL object");
  AclRule rule;
  auto perm = [&](const char* name, uint16_t* dst) -> Status {
    if (const JsonValue* f = v.Find(name)) {
      JFS_ASSIGN_OR_RETURN(int64_t n, f->AsInt());
      *dst = static_cast<uint16_t>(n);
    }
    return Status::OK();
  };
  JFS_RETURN_IF_ERROR(perm("owner", &rule.owner));
  JFS_RETURN_IF_ERROR(perm("group", &rule.group));
  JFS_RETURN_IF_ERROR(perm("mask", &rule.mask));
  JFS_RETURN_IF_ERROR(perm("other", &rule.other));
  for (auto [name, list] : {std::pair{"users", &rule.users}, std::pair{"groups", &rule.groups}}) {
    const JsonValue* f = v.Find(name);
    if (f == nullptr || f->kind == JsonValue::Kind::kNull) continue;
    for (const JsonValue& e : f->items) {
      AclEntry entry;
      if (const JsonValue* id = e.Find("id")) JFS_ASSIGN_OR_RETURN(entry.id, id->AsUint());
      if (const JsonValue* p = e.Find("perm")) {
        JFS_ASSIGN_OR_RETURN(int64_t n, p->AsInt());
        entry.perm = static_cast<uint16_t>(n);
      }
      list->push_back(entry);
    }
  }
  return EncodeAclRule(rule);
}

}  // namespace jfsbr
