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

// An attr's members, in the order of kAttrNames.
enum AttrField {
  kInode,
  kType,
  kLength,
  kFlags,
  kMode,
  kUid,
  kGid,
  kAtime,
  kMtime,
  kCtime,
  kAtimensec,
  kMtimensec,
  kCtimensec,
  kNlink,
  kRdev,
  kTier,
  kAttrFields
};
constexpr std::string_view kAttrNames[kAttrFields] = {
    "inode", "type",  "length",    "flags",     "mode",      "uid",   "gid",  "atime",
    "mtime", "ctime", "atimensec", "mtimensec", "ctimensec", "nlink", "rdev", "tier"};

// One of the attr's integer fields (cast as JuiceFS's Go types are).
void SetAttrInt(Attr* a, int field, int64_t n) {
  auto set = [n](auto* dst) { *dst = static_cast<std::remove_pointer_t<decltype(dst)>>(n); };
  switch (field) {
    case kFlags:
      return set(&a->flags);
    case kMode:
      return set(&a->mode);
    case kUid:
      return set(&a->uid);
    case kGid:
      return set(&a->gid);
    case kAtime:
      return set(&a->atime);
    case kMtime:
      return set(&a->mtime);
    case kCtime:
      return set(&a->ctime);
    case kAtimensec:
      return set(&a->atimensec);
    case kMtimensec:
      return set(&a->mtimensec);
    case kCtimensec:
      return set(&a->ctimensec);
    case kNlink:
      return set(&a->nlink);
    case kRdev:
      return set(&a->rdev);
    case kTier:
      return set(&a->tier);
  }
}

enum SliceField { kPos, kSize, kOff, kLen, kId, kChunkId, kSliceFields };
constexpr std::string_view kSliceNames[kSliceFields] = {"pos", "size", "off",
                                                        "len", "id",   "chunkid"};

// A "slices" array into *out.
Status ReadJsonSlices(JsonReader& r, std::string* name, std::vector<SliceRecord>* out) {
  JFS_RETURN_IF_ERROR(r.BeginArray("a slices array"));
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r.NextItem());
    if (!more) return Status::OK();
    JFS_RETURN_IF_ERROR(r.BeginObject("a slice object"));
    JsonFields fields(kSliceNames);
    uint64_t v[kSliceFields] = {};
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool member, r.NextMember(name));
      if (!member) break;
      int f = fields.Take(*name);
      if (f < 0) {
        JFS_RETURN_IF_ERROR(r.Skip());
      } else {
        JFS_ASSIGN_OR_RETURN(v[f], r.Uint());
      }
    }
    SliceRecord rec;
    rec.pos = static_cast<uint32_t>(v[kPos]);
    rec.size = static_cast<uint32_t>(v[kSize]);
    rec.off = static_cast<uint32_t>(v[kOff]);
    rec.len = static_cast<uint32_t>(v[kLen]);
    rec.id = v[kId] != 0 ? v[kId] : v[kChunkId];  // "chunkid": the legacy name
    out->push_back(rec);
  }
}

}  // namespace

// Attrs and chunk lists are most of a dump: their members are taken as they
// stream, without a DOM.
Status ReadJsonAttr(JsonReader& r, Attr* a, Ino* ino) {
  JFS_RETURN_IF_ERROR(r.BeginObject("an attr object"));
  JsonFields fields(kAttrNames);
  std::string name, type;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r.NextMember(&name));
    if (!more) break;
    switch (int f = fields.Take(name)) {
      case -1:
        JFS_RETURN_IF_ERROR(r.Skip());
        break;
      case kInode:
        JFS_ASSIGN_OR_RETURN(*ino, r.Uint());
        break;
      case kType:
        JFS_RETURN_IF_ERROR(r.StringInto(&type));
        break;
      case kLength:
        JFS_ASSIGN_OR_RETURN(a->length, r.Uint());
        break;
      default: {
        JFS_ASSIGN_OR_RETURN(int64_t n, r.Int());
        SetAttrInt(a, f, n);
      }
    }
  }
  if (!fields.Has(kInode) || !fields.Has(kType)) return r.Error("an attr with inode and type");
  JFS_ASSIGN_OR_RETURN(a->type, TypeFromName(type, r));
  return Status::OK();
}

Status ReadJsonChunks(JsonReader& r,
                      const std::function<Status(uint32_t index, std::vector<SliceRecord>)>& fn) {
  static constexpr std::string_view kNames[] = {"index", "slices"};
  JFS_RETURN_IF_ERROR(r.BeginArray());
  std::string name;
  std::vector<SliceRecord> records;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool more, r.NextItem());
    if (!more) return Status::OK();
    JFS_RETURN_IF_ERROR(r.BeginObject("a chunk object"));
    JsonFields fields(kNames);
    uint64_t index = 0;
    records.clear();
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool member, r.NextMember(&name));
      if (!member) break;
      int f = fields.Take(name);
      if (f == 0) {
        JFS_ASSIGN_OR_RETURN(index, r.Uint());
      } else if (f == 1) {
        records.clear();  // a better-matching "slices" replaces a first one
        JFS_RETURN_IF_ERROR(ReadJsonSlices(r, &name, &records));
      } else {
        JFS_RETURN_IF_ERROR(r.Skip());
      }
    }
    if (!fields.Has(0) || !fields.Has(1)) return r.Error("a chunk with index and slices");
    JFS_RETURN_IF_ERROR(fn(static_cast<uint32_t>(index), std::move(records)));
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
