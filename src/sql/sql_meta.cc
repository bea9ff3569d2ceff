// Meta over SQLite: each RecordKind to its table's rows and back.
#include "sql/sql_meta.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "meta/families.h"
#include "model/attr.h"
#include "model/records.h"
#include "sql/schema.h"
#include "sql/sqlite.h"
#include "util/coding.h"

namespace jfsbr {
namespace {

using K = RecordKind;
constexpr const char* kToolSettingPrefix = "jfsbr/";
constexpr int64_t kAllInodes = INT64_MAX;
// The TKV and Redis families count ACL rule ids in this counter; SQL has
// none (jfs_acl's autoincrement): reads derive it, writes are dropped.
constexpr std::string_view kAclMaxId = "aclMaxId";

// ---- value conversions between the canonical encodings and columns ----

// JuiceFS keeps times as microseconds plus the nanoseconds below them.
int64_t Micros(int64_t sec, uint32_t nsec) { return sec * 1000000 + nsec / 1000; }
void FromMicros(int64_t us, int64_t rest_ns, int64_t* sec, uint32_t* nsec) {
  int64_t s = us / 1000000, r = us % 1000000;
  if (r < 0) s--, r += 1000000;
  *sec = s;
  *nsec = static_cast<uint32_t>(r * 1000 + rest_ns);
}

constexpr const char* kNodeColumns =
    "inode, type, flags, mode, uid, gid, atime, mtime, ctime, atimensec, mtimensec, ctimensec, "
    "nlink, length, rdev, parent, access_acl_id, default_acl_id, tier_id";

// A node row (columns in kNodeColumns order, from column `at`) as an attr.
Attr AttrFromRow(const SqliteStmt& s, int at) {
  Attr a;
  a.type = static_cast<FileType>(s.ColInt(at + 1));
  a.flags = static_cast<uint8_t>(s.ColInt(at + 2));
  a.mode = static_cast<uint16_t>(s.ColInt(at + 3));
  a.uid = static_cast<uint32_t>(s.ColInt(at + 4));
  a.gid = static_cast<uint32_t>(s.ColInt(at + 5));
  FromMicros(s.ColInt(at + 6), s.ColInt(at + 9), &a.atime, &a.atimensec);
  FromMicros(s.ColInt(at + 7), s.ColInt(at + 10), &a.mtime, &a.mtimensec);
  FromMicros(s.ColInt(at + 8), s.ColInt(at + 11), &a.ctime, &a.ctimensec);
  a.nlink = static_cast<uint32_t>(s.ColInt(at + 12));
  a.length = static_cast<uint64_t>(s.ColInt(at + 13));
  a.rdev = static_cast<uint32_t>(s.ColInt(at + 14));  // NULL reads as 0, as JuiceFS
  a.parent = static_cast<Ino>(s.ColInt(at + 15));
  a.access_acl = static_cast<uint32_t>(s.ColInt(at + 16));
  a.default_acl = static_cast<uint32_t>(s.ColInt(at + 17));
  a.tier = static_cast<uint8_t>(s.ColInt(at + 18));
  return a;
}

void BindAttr(SqliteStmt& s, Ino ino, const Attr& a) {
  s.Int(1, static_cast<int64_t>(ino))
      .Int(2, static_cast<int64_t>(a.type))
      .Int(3, a.flags)
      .Int(4, a.mode)
      .Int(5, a.uid)
      .Int(6, a.gid)
      .Int(7, Micros(a.atime, a.atimensec))
      .Int(8, Micros(a.mtime, a.mtimensec))
      .Int(9, Micros(a.ctime, a.ctimensec))
      .Int(10, a.atimensec % 1000)
      .Int(11, a.mtimensec % 1000)
      .Int(12, a.ctimensec % 1000)
      .Int(13, a.nlink)
      .Int(14, static_cast<int64_t>(a.length))
      .Int(15, a.rdev)
      .Int(16, static_cast<int64_t>(a.parent))
      .Int(17, a.access_acl)
      .Int(18, a.default_acl)
      .Int(19, a.tier);
}

// ACL rules: the canonical encoding has counts before the named entries,
// SQL's named_users/named_groups columns hold the entries alone.
std::string NamedEntries(const std::vector<AclEntry>& list) {
  std::string v;
  for (const auto& e : list) {
    PutBE32(&v, e.id);
    PutBE16(&v, e.perm);
  }
  return v;
}

Result<std::vector<AclEntry>> ParseNamedEntries(std::string_view v) {
  if (v.size() % 6 != 0)
    return Status::Corruption("ACL entries of " + std::to_string(v.size()) + " bytes");
  std::vector<AclEntry> out;
  for (size_t i = 0; i < v.size(); i += 6) {
    out.push_back({GetBE32(v.data() + i),
                   static_cast<uint16_t>((uint8_t(v[i + 4]) << 8) | uint8_t(v[i + 5]))});
  }
  return out;
}

std::string CounterValue(const std::string& name, int64_t v) {
  return IsTimestampCounter(name) ? EncodeCounterBE(v) : EncodeCounterLE(v);
}

Result<int64_t> CounterNumber(const std::string& name, std::string_view v) {
  return IsTimestampCounter(name) ? DecodeCounterBE(v) : DecodeCounterLE(v);
}

std::string SettingName(const RecordKey& k) {
  return k.kind == K::kSetting ? std::string("format") : kToolSettingPrefix + k.name;
}

// ---- one connection's record I/O ----

// A table an older JuiceFS did not have: reads find nothing in it.
bool MissingTable(const Status& st) {
  return !st.ok() && st.message().find("no such table") != std::string::npos;
}

class Rows {
 public:
  // bulk: a load into empty tables whose unique indexes are built at the
  // end, so rows are inserted plainly (an upsert needs its index).
  explicit Rows(SqliteDb* db, bool bulk = false) : db_(db), bulk_(bulk) {}

  Result<std::optional<std::string>> Get(const RecordKey& k) {
    std::optional<std::string> out;
    auto one = [&](const std::string& sql, const std::function<void(SqliteStmt&)>& bind,
                   const std::function<Status(SqliteStmt&)>& read) -> Status {
      auto prepared = db_->Prepare(sql);
      if (MissingTable(prepared.status())) return Status::OK();
      JFS_ASSIGN_OR_RETURN(StmtRef s, std::move(prepared));
      bind(*s);
      JFS_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) JFS_RETURN_IF_ERROR(read(*s));
      return Status::OK();
    };
    auto blob = [&](SqliteStmt& s) {
      out = std::string(s.ColBlob(0));
      return Status::OK();
    };
    const auto ino = static_cast<int64_t>(k.ino);
    const auto id = static_cast<int64_t>(k.id);
    switch (k.kind) {
      case K::kSetting:
      case K::kTool:
        JFS_RETURN_IF_ERROR(one(
            "SELECT value FROM jfs_setting WHERE name=?",
            [&](auto& s) { s.Text(1, SettingName(k)); }, blob));
        break;
      case K::kCounter:
        if (k.name == kAclMaxId) {  // SQL numbers ACL rules by autoincrement
          JFS_RETURN_IF_ERROR(one(
              "SELECT max(id) FROM jfs_acl WHERE id > 0", [](auto&) {},
              [&](auto& s) {
                if (!s.ColNull(0)) out = EncodeCounterLE(s.ColInt(0));
                return Status::OK();
              }));
          break;
        }
        JFS_RETURN_IF_ERROR(one(
            "SELECT value FROM jfs_counter WHERE name=?", [&](auto& s) { s.Text(1, k.name); },
            [&](auto& s) {
              out = CounterValue(k.name, s.ColInt(0));
              return Status::OK();
            }));
        break;
      case K::kAttr:
        JFS_RETURN_IF_ERROR(one(
            std::string("SELECT ") + kNodeColumns + " FROM jfs_node WHERE inode=?",
            [&](auto& s) { s.Int(1, ino); },
            [&](auto& s) {
              out = EncodeAttr(AttrFromRow(s, 0));
              return Status::OK();
            }));
        break;
      case K::kEntry:
        JFS_RETURN_IF_ERROR(one(
            "SELECT inode, type FROM jfs_edge WHERE parent=? AND name=?",
            [&](auto& s) { s.Int(1, ino).Blob(2, k.name); },
            [&](auto& s) {
              out =
                  EncodeDentry({static_cast<FileType>(s.ColInt(1)), static_cast<Ino>(s.ColInt(0))});
              return Status::OK();
            }));
        break;
      case K::kParent:
        JFS_RETURN_IF_ERROR(one(
            "SELECT count(*) FROM jfs_edge WHERE inode=? AND parent=?",
            [&](auto& s) { s.Int(1, ino).Int(2, static_cast<int64_t>(k.other)); },
            [&](auto& s) {
              if (s.ColInt(0) > 0) out = EncodeCounterLE(s.ColInt(0));
              return Status::OK();
            }));
        break;
      case K::kChunk:
        JFS_RETURN_IF_ERROR(one(
            "SELECT slices FROM jfs_chunk WHERE inode=? AND indx=?",
            [&](auto& s) { s.Int(1, ino).Int(2, k.index); }, blob));
        break;
      case K::kSymlink:
        JFS_RETURN_IF_ERROR(one(
            "SELECT target FROM jfs_symlink WHERE inode=?", [&](auto& s) { s.Int(1, ino); }, blob));
        break;
      case K::kXattr:
        JFS_RETURN_IF_ERROR(one(
            "SELECT value FROM jfs_xattr WHERE inode=? AND name=?",
            [&](auto& s) { s.Int(1, ino).Text(2, k.name); }, blob));
        break;
      case K::kDelFile:
        JFS_RETURN_IF_ERROR(one(
            "SELECT expire FROM jfs_delfile WHERE inode=? AND length=?",
            [&](auto& s) { s.Int(1, ino).Int(2, id); },
            [&](auto& s) {
              out = EncodeDelFileTime(s.ColInt(0));
              return Status::OK();
            }));
        break;
      case K::kSliceRef:
        JFS_RETURN_IF_ERROR(one(
            "SELECT refs FROM jfs_chunk_ref WHERE chunkid=? AND size=?",
            [&](auto& s) { s.Int(1, id).Int(2, k.index); },
            [&](auto& s) {
              // One ref is what the TKV family leaves absent.
              if (s.ColInt(0) != 1) out = EncodeCounterLE(s.ColInt(0) - 1);
              return Status::OK();
            }));
        break;
      case K::kDelayedSlices:
        JFS_RETURN_IF_ERROR(one(
            "SELECT slices FROM jfs_delslices WHERE chunkid=? AND deleted=?",
            [&](auto& s) { s.Int(1, id).Int(2, k.ts); }, blob));
        break;
      case K::kDirStat:
        JFS_RETURN_IF_ERROR(one(
            "SELECT data_length, used_space, used_inodes FROM jfs_dir_stats WHERE inode=?",
            [&](auto& s) { s.Int(1, ino); },
            [&](auto& s) {
              out = EncodeDirStat({s.ColInt(0), s.ColInt(1), s.ColInt(2)});
              return Status::OK();
            }));
        break;
      case K::kDirQuota:
        JFS_RETURN_IF_ERROR(one(
            "SELECT max_space, max_inodes, used_space, used_inodes FROM "
            "jfs_dir_quota WHERE inode=?",
            [&](auto& s) { s.Int(1, ino); },
            [&](auto& s) {
              out = EncodeQuota({s.ColInt(0), s.ColInt(1), s.ColInt(2), s.ColInt(3)});
              return Status::OK();
            }));
        break;
      case K::kUserQuota:
      case K::kGroupQuota:
        JFS_RETURN_IF_ERROR(one(
            "SELECT max_space, max_inodes, used_space, used_inodes FROM "
            "jfs_user_group_quota WHERE qtype=? AND qkey=?",
            [&](auto& s) { s.Int(1, k.kind == K::kUserQuota ? 1 : 2).Int(2, id); },
            [&](auto& s) {
              out = EncodeQuota({s.ColInt(0), s.ColInt(1), s.ColInt(2), s.ColInt(3)});
              return Status::OK();
            }));
        break;
      case K::kAclRule:
        JFS_RETURN_IF_ERROR(one(
            "SELECT owner, `group`, mask, other, named_users, named_groups "
            "FROM jfs_acl WHERE id=?",
            [&](auto& s) { s.Int(1, id); },
            [&](auto& s) -> Status {
              JFS_ASSIGN_OR_RETURN(AclRule r, AclFromRow(s, 0));
              out = EncodeAclRule(r);
              return Status::OK();
            }));
        break;
      case K::kSessionExpire:
        JFS_RETURN_IF_ERROR(one(
            "SELECT expire FROM jfs_session2 WHERE sid=?", [&](auto& s) { s.Int(1, id); },
            [&](auto& s) {
              out = EncodeCounterBE(s.ColInt(0));
              return Status::OK();
            }));
        break;
      case K::kSessionInfo:
        JFS_RETURN_IF_ERROR(one(
            "SELECT info FROM jfs_session2 WHERE sid=? AND info IS NOT NULL",
            [&](auto& s) { s.Int(1, id); }, blob));
        break;
      case K::kSustained:
        JFS_RETURN_IF_ERROR(one(
            "SELECT 1 FROM jfs_sustained WHERE sid=? AND inode=?",
            [&](auto& s) { s.Int(1, id).Int(2, ino); },
            [&](auto&) {
              out = std::string("\x01", 1);
              return Status::OK();
            }));
        break;
      case K::kDetached:
        JFS_RETURN_IF_ERROR(one(
            "SELECT added FROM jfs_detached_node WHERE inode=?", [&](auto& s) { s.Int(1, ino); },
            [&](auto& s) {
              out = EncodeCounterBE(s.ColInt(0));
              return Status::OK();
            }));
        break;
      case K::kUnknown:
        break;
    }
    return out;
  }

  Status Put(const RecordKey& k, std::string_view v) {
    const auto ino = static_cast<int64_t>(k.ino);
    const auto id = static_cast<int64_t>(k.id);
    switch (k.kind) {
      case K::kSetting:
      case K::kTool:
        return Run(
            "INSERT INTO jfs_setting(name, value) VALUES(?, ?) ON CONFLICT(name) DO "
            "UPDATE SET value=excluded.value",
            [&](auto& s) { s.Text(1, SettingName(k)).Text(2, v); });
      case K::kCounter: {
        if (k.name == kAclMaxId) return Status::OK();  // derived from jfs_acl's ids
        JFS_ASSIGN_OR_RETURN(int64_t n, CounterNumber(k.name, v));
        return Run(
            "INSERT INTO jfs_counter(name, value) VALUES(?, ?) ON CONFLICT(name) DO "
            "UPDATE SET value=excluded.value",
            [&](auto& s) { s.Text(1, k.name).Int(2, n); });
      }
      case K::kAttr: {
        JFS_ASSIGN_OR_RETURN(Attr a, DecodeAttr(v));
        return Run(std::string("INSERT OR REPLACE INTO jfs_node(") + kNodeColumns +
                       ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [&](auto& s) { BindAttr(s, k.ino, a); });
      }
      case K::kEntry: {
        JFS_ASSIGN_OR_RETURN(Dentry d, DecodeDentry(v));
        return Run(bulk_ ? "INSERT INTO jfs_edge(parent, name, inode, type) VALUES(?, ?, ?, ?)"
                         : "INSERT INTO jfs_edge(parent, name, inode, type) VALUES(?, ?, ?, ?) ON "
                           "CONFLICT(parent, name) DO UPDATE SET inode=excluded.inode, "
                           "type=excluded.type",
                   [&](auto& s) {
                     s.Int(1, ino).Blob(2, k.name).Int(3, static_cast<int64_t>(d.ino));
                     s.Int(4, static_cast<int64_t>(d.type));
                   });
      }
      case K::kParent:
        return Status::OK();  // SQL counts a hard link's parents from its edges
      case K::kChunk: {
        JFS_ASSIGN_OR_RETURN(auto slices, DecodeChunk(v));
        JFS_RETURN_IF_ERROR(
            Run(bulk_ ? "INSERT INTO jfs_chunk(inode, indx, slices) VALUES(?, ?, ?)"
                      : "INSERT INTO jfs_chunk(inode, indx, slices) VALUES(?, ?, ?) ON "
                        "CONFLICT(inode, indx) DO UPDATE SET slices=excluded.slices",
                [&](auto& s) { s.Int(1, ino).Int(2, k.index).Blob(3, v); }));
        // Every slice ever written has a chunk_ref row (refs 1 when new), as
        // JuiceFS's SQL writers keep it; existing rows keep their count.
        for (const auto& r : slices) {
          if (r.id == 0) continue;
          JFS_RETURN_IF_ERROR(
              Run("INSERT OR IGNORE INTO jfs_chunk_ref(chunkid, size, refs) VALUES(?, ?, 1)",
                  [&](auto& s) { s.Int(1, static_cast<int64_t>(r.id)).Int(2, r.size); }));
        }
        return Status::OK();
      }
      case K::kSymlink:
        return Run("INSERT OR REPLACE INTO jfs_symlink(inode, target) VALUES(?, ?)",
                   [&](auto& s) { s.Int(1, ino).Blob(2, v); });
      case K::kXattr:
        return Run(bulk_ ? "INSERT INTO jfs_xattr(inode, name, value) VALUES(?, ?, ?)"
                         : "INSERT INTO jfs_xattr(inode, name, value) VALUES(?, ?, ?) ON "
                           "CONFLICT(inode, name) DO UPDATE SET value=excluded.value",
                   [&](auto& s) { s.Int(1, ino).Text(2, k.name).Blob(3, v); });
      case K::kDelFile: {
        JFS_ASSIGN_OR_RETURN(int64_t expire, DecodeDelFileTime(v));
        return Run("INSERT OR REPLACE INTO jfs_delfile(inode, length, expire) VALUES(?, ?, ?)",
                   [&](auto& s) { s.Int(1, ino).Int(2, id).Int(3, expire); });
      }
      case K::kSliceRef: {
        JFS_ASSIGN_OR_RETURN(int64_t refs_minus_one, DecodeCounterLE(v));
        return Run(
            "INSERT INTO jfs_chunk_ref(chunkid, size, refs) VALUES(?, ?, ?) ON "
            "CONFLICT(chunkid) DO UPDATE SET refs=excluded.refs, size=excluded.size",
            [&](auto& s) { s.Int(1, id).Int(2, k.index).Int(3, refs_minus_one + 1); });
      }
      case K::kDelayedSlices:
        return Run("INSERT OR REPLACE INTO jfs_delslices(chunkid, deleted, slices) VALUES(?, ?, ?)",
                   [&](auto& s) { s.Int(1, id).Int(2, k.ts).Blob(3, v); });
      case K::kDirStat: {
        JFS_ASSIGN_OR_RETURN(DirStat d, DecodeDirStat(v));
        return Run(
            "INSERT OR REPLACE INTO jfs_dir_stats(inode, data_length, used_space, "
            "used_inodes) VALUES(?, ?, ?, ?)",
            [&](auto& s) { s.Int(1, ino).Int(2, d.length).Int(3, d.space).Int(4, d.inodes); });
      }
      case K::kDirQuota: {
        JFS_ASSIGN_OR_RETURN(Quota q, DecodeQuota(v));
        return Run(
            "INSERT OR REPLACE INTO jfs_dir_quota(inode, max_space, max_inodes, "
            "used_space, used_inodes) VALUES(?, ?, ?, ?, ?)",
            [&](auto& s) {
              s.Int(1, ino).Int(2, q.max_space).Int(3, q.max_inodes);
              s.Int(4, q.used_space).Int(5, q.used_inodes);
            });
      }
      case K::kUserQuota:
      case K::kGroupQuota: {
        JFS_ASSIGN_OR_RETURN(Quota q, DecodeQuota(v));
        return Run(
            "INSERT OR REPLACE INTO jfs_user_group_quota(qtype, qkey, max_space, "
            "max_inodes, used_space, used_inodes) VALUES(?, ?, ?, ?, ?, ?)",
            [&](auto& s) {
              s.Int(1, k.kind == K::kUserQuota ? 1 : 2).Int(2, id).Int(3, q.max_space);
              s.Int(4, q.max_inodes).Int(5, q.used_space).Int(6, q.used_inodes);
            });
      }
      case K::kAclRule: {
        JFS_ASSIGN_OR_RETURN(AclRule r, DecodeAclRule(v));
        return Run(
            "INSERT OR REPLACE INTO jfs_acl(id, owner, `group`, mask, other, named_users, "
            "named_groups) VALUES(?, ?, ?, ?, ?, ?, ?)",
            [&](auto& s) {
              s.Int(1, id).Int(2, r.owner).Int(3, r.group).Int(4, r.mask).Int(5, r.other);
              s.Blob(6, NamedEntries(r.users)).Blob(7, NamedEntries(r.groups));
            });
      }
      case K::kSessionExpire: {
        JFS_ASSIGN_OR_RETURN(int64_t expire, DecodeCounterBE(v));
        return Run(
            "INSERT INTO jfs_session2(sid, expire) VALUES(?, ?) ON CONFLICT(sid) DO "
            "UPDATE SET expire=excluded.expire",
            [&](auto& s) { s.Int(1, id).Int(2, expire); });
      }
      case K::kSessionInfo:
        return Run(
            "INSERT INTO jfs_session2(sid, expire, info) VALUES(?, 0, ?) ON CONFLICT(sid) "
            "DO UPDATE SET info=excluded.info",
            [&](auto& s) { s.Int(1, id).Blob(2, v); });
      case K::kSustained:
        return Run("INSERT OR IGNORE INTO jfs_sustained(sid, inode) VALUES(?, ?)",
                   [&](auto& s) { s.Int(1, id).Int(2, ino); });
      case K::kDetached: {
        JFS_ASSIGN_OR_RETURN(int64_t added, DecodeCounterBE(v));
        return Run("INSERT OR REPLACE INTO jfs_detached_node(inode, added) VALUES(?, ?)",
                   [&](auto& s) { s.Int(1, ino).Int(2, added); });
      }
      case K::kUnknown:
        break;
    }
    return Status::InvalidArgument("a record of no known kind cannot be written");
  }

  Status Delete(const RecordKey& k) {
    const auto ino = static_cast<int64_t>(k.ino);
    const auto id = static_cast<int64_t>(k.id);
    auto by_ino = [&](const char* table) {
      return Run(std::string("DELETE FROM ") + table + " WHERE inode=?",
                 [&](auto& s) { s.Int(1, ino); });
    };
    switch (k.kind) {
      case K::kSetting:
      case K::kTool:
        return Run("DELETE FROM jfs_setting WHERE name=?",
                   [&](auto& s) { s.Text(1, SettingName(k)); });
      case K::kCounter:
        return Run("DELETE FROM jfs_counter WHERE name=?", [&](auto& s) { s.Text(1, k.name); });
      case K::kAttr:
        return by_ino("jfs_node");
      case K::kEntry:
        return Run("DELETE FROM jfs_edge WHERE parent=? AND name=?",
                   [&](auto& s) { s.Int(1, ino).Blob(2, k.name); });
      case K::kParent:
        return Status::OK();
      case K::kChunk:
        return Run("DELETE FROM jfs_chunk WHERE inode=? AND indx=?",
                   [&](auto& s) { s.Int(1, ino).Int(2, k.index); });
      case K::kSymlink:
        return by_ino("jfs_symlink");
      case K::kXattr:
        return Run("DELETE FROM jfs_xattr WHERE inode=? AND name=?",
                   [&](auto& s) { s.Int(1, ino).Text(2, k.name); });
      case K::kDelFile:
        return Run("DELETE FROM jfs_delfile WHERE inode=? AND length=?",
                   [&](auto& s) { s.Int(1, ino).Int(2, id); });
      case K::kSliceRef:
        return Run("DELETE FROM jfs_chunk_ref WHERE chunkid=?", [&](auto& s) { s.Int(1, id); });
      case K::kDelayedSlices:
        return Run("DELETE FROM jfs_delslices WHERE chunkid=? AND deleted=?",
                   [&](auto& s) { s.Int(1, id).Int(2, k.ts); });
      case K::kDirStat:
        return by_ino("jfs_dir_stats");
      case K::kDirQuota:
        return by_ino("jfs_dir_quota");
      case K::kUserQuota:
      case K::kGroupQuota:
        return Run("DELETE FROM jfs_user_group_quota WHERE qtype=? AND qkey=?",
                   [&](auto& s) { s.Int(1, k.kind == K::kUserQuota ? 1 : 2).Int(2, id); });
      case K::kAclRule:
        return Run("DELETE FROM jfs_acl WHERE id=?", [&](auto& s) { s.Int(1, id); });
      case K::kSessionExpire:
        return Run("DELETE FROM jfs_session2 WHERE sid=?", [&](auto& s) { s.Int(1, id); });
      case K::kSessionInfo:
        return Run("UPDATE jfs_session2 SET info=NULL WHERE sid=?", [&](auto& s) { s.Int(1, id); });
      case K::kSustained:
        return Run("DELETE FROM jfs_sustained WHERE sid=? AND inode=?",
                   [&](auto& s) { s.Int(1, id).Int(2, ino); });
      case K::kDetached:
        return by_ino("jfs_detached_node");
      case K::kUnknown:
        break;
    }
    return Status::OK();
  }

  Status Add(const RecordKey& k, int64_t delta) {
    switch (k.kind) {
      case K::kCounter:
        if (k.name == kAclMaxId) return Status::OK();
        return Run(
            "INSERT INTO jfs_counter(name, value) VALUES(?, ?) ON CONFLICT(name) DO "
            "UPDATE SET value=value+excluded.value",
            [&](auto& s) { s.Text(1, k.name).Int(2, delta); });
      case K::kSliceRef:
        // Absent is one ref (the TKV family's meaning of a missing record).
        return Run(
            "INSERT INTO jfs_chunk_ref(chunkid, size, refs) VALUES(?, ?, ?) ON "
            "CONFLICT(chunkid) DO UPDATE SET refs=refs+?",
            [&](auto& s) {
              s.Int(1, static_cast<int64_t>(k.id)).Int(2, k.index).Int(3, 1 + delta);
              s.Int(4, delta);
            });
      case K::kParent:
        return Status::OK();
      default:
        return Status::InvalidArgument("cannot add to " + Describe(k));
    }
  }

  // ---- scans ----

  using Emit = std::function<bool(const RecordKey&, std::string_view)>;

  // Rows of one query, each turned into a record by decode; stops when emit
  // says so. *stopped tells the caller.
  Status Query(const std::string& sql, const std::function<void(SqliteStmt&)>& bind,
               const std::function<Status(SqliteStmt&, RecordKey*, std::string*)>& decode,
               const Emit& emit, bool* stopped) {
    auto prepared = db_->Prepare(sql);
    if (MissingTable(prepared.status())) return Status::OK();
    JFS_ASSIGN_OR_RETURN(StmtRef s, std::move(prepared));
    bind(*s);
    RecordKey key;
    std::string value;
    while (!*stopped) {
      JFS_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      JFS_RETURN_IF_ERROR(decode(*s, &key, &value));
      if (!emit(key, value)) *stopped = true;
    }
    return Status::OK();
  }

  Status ScanKind(RecordKind kind, const Emit& emit, bool* stopped) {
    auto none = [](SqliteStmt&) {};
    switch (kind) {
      case K::kSetting:
      case K::kTool:
        return Query(
            "SELECT name, value FROM jfs_setting ORDER BY name", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              std::string_view name = s.ColBlob(0);
              std::string_view tool = kToolSettingPrefix;
              if (name == "format") {
                *k = RecordKey::Setting();
              } else if (name.starts_with(tool)) {
                *k = RecordKey::Tool(name.substr(tool.size()));
              } else {
                *k = RecordKey();  // a setting JuiceFS does not write
              }
              v->assign(s.ColBlob(1));
              return Status::OK();
            },
            [&](const RecordKey& k, std::string_view v) { return k.kind != kind || emit(k, v); },
            stopped);
      case K::kCounter:
        return Query(
            "SELECT name, value FROM jfs_counter", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::Counter(s.ColBlob(0));
              *v = CounterValue(k->name, s.ColInt(1));
              return Status::OK();
            },
            emit, stopped);
      case K::kAttr:
      case K::kEntry:
      case K::kChunk:
      case K::kSymlink:
      case K::kXattr:
      case K::kParent:
        return ScanInodes(0, kAllInodes, kind, emit, stopped);
      case K::kDelFile:
        return Query(
            "SELECT inode, length, expire FROM jfs_delfile", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::DelFile(static_cast<Ino>(s.ColInt(0)),
                                      static_cast<uint64_t>(s.ColInt(1)));
              *v = EncodeDelFileTime(s.ColInt(2));
              return Status::OK();
            },
            emit, stopped);
      case K::kSliceRef:
        return Query(
            "SELECT chunkid, size, refs FROM jfs_chunk_ref WHERE refs != 1 ORDER BY chunkid", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::SliceRef(static_cast<uint64_t>(s.ColInt(0)),
                                       static_cast<uint32_t>(s.ColInt(1)));
              *v = EncodeCounterLE(s.ColInt(2) - 1);
              return Status::OK();
            },
            emit, stopped);
      case K::kDelayedSlices:
        return Query(
            "SELECT chunkid, deleted, slices FROM jfs_delslices ORDER BY deleted, chunkid", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::DelayedSlices(s.ColInt(1), static_cast<uint64_t>(s.ColInt(0)));
              v->assign(s.ColBlob(2));
              return Status::OK();
            },
            emit, stopped);
      case K::kDirStat:
        return Query(
            "SELECT inode, data_length, used_space, used_inodes FROM jfs_dir_stats", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::DirStat(static_cast<Ino>(s.ColInt(0)));
              *v = EncodeDirStat({s.ColInt(1), s.ColInt(2), s.ColInt(3)});
              return Status::OK();
            },
            emit, stopped);
      case K::kDirQuota:
        return Query(
            "SELECT inode, max_space, max_inodes, used_space, used_inodes FROM "
            "jfs_dir_quota",
            none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::DirQuota(static_cast<Ino>(s.ColInt(0)));
              *v = EncodeQuota({s.ColInt(1), s.ColInt(2), s.ColInt(3), s.ColInt(4)});
              return Status::OK();
            },
            emit, stopped);
      case K::kUserQuota:
      case K::kGroupQuota:
        return Query(
            "SELECT qkey, max_space, max_inodes, used_space, used_inodes FROM "
            "jfs_user_group_quota WHERE qtype=? ORDER BY qkey",
            [&](SqliteStmt& s) { s.Int(1, kind == K::kUserQuota ? 1 : 2); },
            [&](SqliteStmt& s, RecordKey* k, std::string* v) {
              auto qkey = static_cast<uint64_t>(s.ColInt(0));
              *k = kind == K::kUserQuota ? RecordKey::UserQuota(qkey) : RecordKey::GroupQuota(qkey);
              *v = EncodeQuota({s.ColInt(1), s.ColInt(2), s.ColInt(3), s.ColInt(4)});
              return Status::OK();
            },
            emit, stopped);
      case K::kAclRule:
        return Query(
            "SELECT id, owner, `group`, mask, other, named_users, named_groups FROM "
            "jfs_acl ORDER BY id",
            none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) -> Status {
              *k = RecordKey::AclRule(static_cast<uint32_t>(s.ColInt(0)));
              JFS_ASSIGN_OR_RETURN(AclRule r, AclFromRow(s, 1));
              *v = EncodeAclRule(r);
              return Status::OK();
            },
            emit, stopped);
      case K::kSessionExpire:
        return Query(
            "SELECT sid, expire FROM jfs_session2 ORDER BY sid", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::SessionExpire(static_cast<uint64_t>(s.ColInt(0)));
              *v = EncodeCounterBE(s.ColInt(1));
              return Status::OK();
            },
            emit, stopped);
      case K::kSessionInfo:
        return Query(
            "SELECT sid, info FROM jfs_session2 WHERE info IS NOT NULL ORDER BY sid", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::SessionInfo(static_cast<uint64_t>(s.ColInt(0)));
              v->assign(s.ColBlob(1));
              return Status::OK();
            },
            emit, stopped);
      case K::kSustained:
        return Query(
            "SELECT sid, inode FROM jfs_sustained ORDER BY sid, inode", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::Sustained(static_cast<uint64_t>(s.ColInt(0)),
                                        static_cast<Ino>(s.ColInt(1)));
              v->assign("\x01", 1);
              return Status::OK();
            },
            emit, stopped);
      case K::kDetached:
        return Query(
            "SELECT inode, added FROM jfs_detached_node ORDER BY inode", none,
            [](SqliteStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::Detached(static_cast<Ino>(s.ColInt(0)));
              *v = EncodeCounterBE(s.ColInt(1));
              return Status::OK();
            },
            emit, stopped);
      case K::kUnknown:
        break;
    }
    return Status::OK();
  }

  // The inode-keyed records of inodes in [lo, hi), grouped by inode: each
  // table is read in inode order and the cursors are merged, so one inode's
  // records come together (what the dump's spill needs). `only` is one kind,
  // or kUnknown for all; entries count under their directory, from name
  // `from` on.
  Status ScanInodes(int64_t lo, int64_t hi, RecordKind only, const Emit& emit, bool* stopped,
                    bool with_entries = true, const std::string& from = {}) {
    struct Cursor {
      RecordKind kind;
      std::string sql;
      std::function<Status(SqliteStmt&, RecordKey*, std::string*)> decode;
    };
    std::vector<Cursor> cursors;
    auto want = [&](RecordKind k) { return only == K::kUnknown || only == k; };
    if (want(K::kAttr)) {
      cursors.push_back({K::kAttr,
                         std::string("SELECT ") + kNodeColumns +
                             " FROM jfs_node WHERE inode >= ? AND inode < ? ORDER BY inode",
                         [](SqliteStmt& s, RecordKey* k, std::string* v) {
                           *k = RecordKey::Attr(static_cast<Ino>(s.ColInt(0)));
                           *v = EncodeAttr(AttrFromRow(s, 0));
                           return Status::OK();
                         }});
    }
    if (want(K::kEntry) && with_entries) {
      cursors.push_back(
          {K::kEntry,
           "SELECT parent, name, inode, type FROM jfs_edge WHERE parent >= ? AND "
           "parent < ? AND name >= ? ORDER BY parent, name",
           [](SqliteStmt& s, RecordKey* k, std::string* v) {
             *k = RecordKey::Entry(static_cast<Ino>(s.ColInt(0)), s.ColBlob(1));
             *v = EncodeDentry({static_cast<FileType>(s.ColInt(3)), static_cast<Ino>(s.ColInt(2))});
             return Status::OK();
           }});
    }
    if (want(K::kChunk)) {
      cursors.push_back({K::kChunk,
                         "SELECT inode, indx, slices FROM jfs_chunk WHERE inode >= ? AND inode < "
                         "? ORDER BY inode, indx",
                         [](SqliteStmt& s, RecordKey* k, std::string* v) {
                           *k = RecordKey::Chunk(static_cast<Ino>(s.ColInt(0)),
                                                 static_cast<uint32_t>(s.ColInt(1)));
                           v->assign(s.ColBlob(2));
                           return Status::OK();
                         }});
    }
    if (want(K::kSymlink)) {
      cursors.push_back({K::kSymlink,
                         "SELECT inode, target FROM jfs_symlink WHERE inode >= ? AND inode < ? "
                         "ORDER BY inode",
                         [](SqliteStmt& s, RecordKey* k, std::string* v) {
                           *k = RecordKey::Symlink(static_cast<Ino>(s.ColInt(0)));
                           v->assign(s.ColBlob(1));
                           return Status::OK();
                         }});
    }
    if (want(K::kXattr)) {
      cursors.push_back({K::kXattr,
                         "SELECT inode, name, value FROM jfs_xattr WHERE inode >= ? AND inode < ? "
                         "ORDER BY inode, name",
                         [](SqliteStmt& s, RecordKey* k, std::string* v) {
                           *k = RecordKey::Xattr(static_cast<Ino>(s.ColInt(0)), s.ColBlob(1));
                           v->assign(s.ColBlob(2));
                           return Status::OK();
                         }});
    }
    if (want(K::kParent)) {
      // The TKV family keeps parent counters for hard links (attr parent 0)
      // only; SQL counts them from the edges.
      cursors.push_back({K::kParent,
                         "SELECT e.inode, e.parent, count(*) FROM jfs_edge e JOIN jfs_node n ON "
                         "n.inode = e.inode WHERE e.inode >= ? AND e.inode < ? AND "
                         "coalesce(n.parent, 0) = 0 GROUP BY e.inode, e.parent ORDER BY e.inode, "
                         "e.parent",
                         [](SqliteStmt& s, RecordKey* k, std::string* v) {
                           *k = RecordKey::Parent(static_cast<Ino>(s.ColInt(0)),
                                                  static_cast<Ino>(s.ColInt(1)));
                           *v = EncodeCounterLE(s.ColInt(2));
                           return Status::OK();
                         }});
    }
    struct Open {
      StmtRef stmt;
      Cursor* c;
      bool has = false;
      int64_t ino = 0;
    };
    std::vector<Open> open;
    for (auto& c : cursors) {
      auto prepared = db_->Prepare(c.sql);
      if (MissingTable(prepared.status())) continue;
      JFS_ASSIGN_OR_RETURN(StmtRef s, std::move(prepared));
      s->Int(1, lo).Int(2, hi);
      if (c.kind == K::kEntry) s->Blob(3, from);
      open.push_back({std::move(s), &c});
    }
    auto advance = [](Open& o) -> Status {
      JFS_ASSIGN_OR_RETURN(o.has, o.stmt->Step());
      if (o.has) o.ino = o.stmt->ColInt(0);
      return Status::OK();
    };
    for (auto& o : open) JFS_RETURN_IF_ERROR(advance(o));
    RecordKey key;
    std::string value;
    while (!*stopped) {
      int64_t next = INT64_MAX;
      bool any = false;
      for (auto& o : open) {
        if (o.has) next = std::min(next, o.ino), any = true;
      }
      if (!any) break;
      for (auto& o : open) {
        while (o.has && o.ino == next && !*stopped) {
          JFS_RETURN_IF_ERROR(o.c->decode(*o.stmt, &key, &value));
          if (!emit(key, value)) *stopped = true;
          JFS_RETURN_IF_ERROR(advance(o));
        }
      }
    }
    return Status::OK();
  }

  Status Scan(const RecordRange& r, const Emit& emit) {
    bool stopped = false;
    using Shape = RecordRange::Shape;
    const auto ino = static_cast<int64_t>(r.ino);
    switch (r.shape) {
      case Shape::kAll: {
        for (RecordKind k : {K::kSetting, K::kTool, K::kCounter}) {
          JFS_RETURN_IF_ERROR(ScanKind(k, emit, &stopped));
        }
        JFS_RETURN_IF_ERROR(ScanInodes(0, kAllInodes, K::kUnknown, emit, &stopped));
        for (RecordKind k : {K::kDelFile, K::kSliceRef, K::kDelayedSlices, K::kDirStat,
                             K::kDirQuota, K::kUserQuota, K::kGroupQuota, K::kAclRule,
                             K::kSessionExpire, K::kSessionInfo, K::kSustained, K::kDetached}) {
          if (stopped) break;
          JFS_RETURN_IF_ERROR(ScanKind(k, emit, &stopped));
        }
        return Status::OK();
      }
      case Shape::kKind:
        return ScanKind(r.kind, emit, &stopped);
      case Shape::kInode:
        return ScanInodes(ino, ino + 1, K::kUnknown, emit, &stopped);
      case Shape::kNode:
        return ScanInodes(ino, ino + 1, K::kUnknown, emit, &stopped, /*with_entries=*/false);
      case Shape::kOfInode:
        if (r.kind == K::kChunk) {
          return Query(
              "SELECT inode, indx, slices FROM jfs_chunk WHERE inode=? AND indx >= ? AND "
              "indx < ? ORDER BY indx",
              [&](SqliteStmt& s) {
                s.Int(1, ino).Int(2, r.first).Int(3, static_cast<int64_t>(r.last));
              },
              [](SqliteStmt& s, RecordKey* k, std::string* v) {
                *k = RecordKey::Chunk(static_cast<Ino>(s.ColInt(0)),
                                      static_cast<uint32_t>(s.ColInt(1)));
                v->assign(s.ColBlob(2));
                return Status::OK();
              },
              emit, &stopped);
        }
        if (r.kind == K::kParent) {
          return Query(
              "SELECT inode, parent, count(*) FROM jfs_edge WHERE inode=? GROUP BY parent "
              "ORDER BY parent",
              [&](SqliteStmt& s) { s.Int(1, ino); },
              [](SqliteStmt& s, RecordKey* k, std::string* v) {
                *k =
                    RecordKey::Parent(static_cast<Ino>(s.ColInt(0)), static_cast<Ino>(s.ColInt(1)));
                *v = EncodeCounterLE(s.ColInt(2));
                return Status::OK();
              },
              emit, &stopped);
        }
        return ScanInodes(ino, ino + 1, r.kind, emit, &stopped, true, r.from);
      case Shape::kInodeShard: {
        JFS_ASSIGN_OR_RETURN(auto b, ShardBounds(r.shard, r.shards));
        return ScanInodes(b.first, b.second, K::kUnknown, emit, &stopped);
      }
    }
    return Status::OK();
  }

  static Result<AclRule> AclFromRow(const SqliteStmt& s, int at) {
    AclRule r;
    auto perm = [&](int c) {
      return s.ColNull(c) ? uint16_t{0xFFFF} : static_cast<uint16_t>(s.ColInt(c));
    };
    r.owner = perm(at);
    r.group = perm(at + 1);
    r.mask = perm(at + 2);
    r.other = perm(at + 3);
    JFS_ASSIGN_OR_RETURN(r.users, ParseNamedEntries(s.ColBlob(at + 4)));
    JFS_ASSIGN_OR_RETURN(r.groups, ParseNamedEntries(s.ColBlob(at + 5)));
    return r;
  }

 private:
  Status Run(const std::string& sql, const std::function<void(SqliteStmt&)>& bind) {
    JFS_ASSIGN_OR_RETURN(StmtRef s, db_->Prepare(sql));
    bind(*s);
    return s->Run();
  }

  // Shards of the inode space: even ranges up to the largest inode below
  // the trash's, the trash's inodes in the last shard.
  Result<std::pair<int64_t, int64_t>> ShardBounds(int shard, int shards) {
    JFS_ASSIGN_OR_RETURN(StmtRef s, db_->Prepare("SELECT coalesce(max(inode), 1) FROM jfs_node "
                                                 "WHERE inode < ?"));
    s->Int(1, static_cast<int64_t>(kTrashInode));
    JFS_ASSIGN_OR_RETURN(bool row, s->Step());
    int64_t top = row ? s->ColInt(0) + 1 : 2;
    auto bound = [&](int i) -> int64_t {
      if (i <= 0) return 0;
      if (i >= shards) return kAllInodes;
      return static_cast<int64_t>(static_cast<__int128>(top) * i / shards);
    };
    return std::pair<int64_t, int64_t>(bound(shard), bound(shard + 1));
  }

  SqliteDb* db_;
  bool bulk_;
};

// ---- the Meta ----

class SqlMeta;

// A connection of the pool, given back when destroyed.
class PooledConn {
 public:
  PooledConn(SqlMeta* m, std::unique_ptr<SqliteDb> db) : m_(m), db_(std::move(db)) {}
  PooledConn(PooledConn&&) = default;
  ~PooledConn();
  SqliteDb* get() const { return db_.get(); }

 private:
  SqlMeta* m_;
  std::unique_ptr<SqliteDb> db_;
};

// Orders RecordKeys for the transaction's buffer.
struct KeyLess {
  bool operator()(const RecordKey& a, const RecordKey& b) const {
    return std::tie(a.kind, a.ino, a.other, a.name, a.id, a.index, a.ts) <
           std::tie(b.kind, b.ino, b.other, b.name, b.id, b.index, b.ts);
  }
};

class SqlMeta : public Meta {
 public:
  // schema: JuiceFS's tables exist; complete: all of them (an older
  // JuiceFS's volume lacks the newer ones until a write adds them).
  SqlMeta(std::string path, std::string prefix, bool schema, bool complete)
      : path_(std::move(path)), prefix_(std::move(prefix)), schema_(schema), complete_(complete) {}

  Result<PooledConn> Take() {
    {
      std::lock_guard l(mu_);
      if (!free_.empty()) {
        auto db = std::move(free_.back());
        free_.pop_back();
        return PooledConn(this, std::move(db));
      }
    }
    JFS_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path_, false));
    db->SetTablePrefix(prefix_);
    return PooledConn(this, std::move(db));
  }
  void Give(std::unique_ptr<SqliteDb> db) {
    std::lock_guard l(mu_);
    free_.push_back(std::move(db));
  }

  bool has_schema() const { return schema_; }
  // Creates JuiceFS's tables (those missing), as `juicefs format` does.
  Status EnsureSchema(SqliteDb* db) {
    if (schema_ && complete_) return Status::OK();
    for (const auto& t : sql::SqliteTables()) {
      for (const auto& stmt : sql::CreateStatements(t, "jfs_")) JFS_RETURN_IF_ERROR(db->Exec(stmt));
    }
    schema_ = complete_ = true;
    return Status::OK();
  }

  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (!schema_) return std::optional<std::string>();
    JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
    return Rows(c.get()).Get(key);
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    if (!schema_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
    return Rows(c.get()).Scan(range, fn);
  }
  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<uint64_t> Version() override { return uint64_t{0}; }
  std::unique_ptr<MetaTxn> Begin() override;
  std::unique_ptr<MetaBulkWriter> NewBulkWriter(int threads) override;
  Result<bool> Empty() override;
  // Empty, on a connection the caller holds.
  Result<bool> EmptyOn(SqliteDb* db);
  Status Clear() override;
  std::string Describe() const override {
    return "sqlite3://" + path_ + (prefix_ == "jfs_" ? "" : " (tables " + prefix_ + "*)");
  }

 private:
  std::string path_;
  std::string prefix_;  // of every table: "jfs_", or "jfs_P_" with ?table_prefix=P
  std::atomic<bool> schema_, complete_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteDb>> free_;
};

PooledConn::~PooledConn() {
  if (db_) m_->Give(std::move(db_));
}

// One read transaction, shared by the threads of a dump (one at a time).
class SqlSnapshot : public MetaSnapshot {
 public:
  SqlSnapshot(PooledConn c, bool schema) : c_(std::move(c)), schema_(schema) {}
  ~SqlSnapshot() override { (void)c_.get()->Exec("COMMIT"); }
  Status Start() {
    JFS_RETURN_IF_ERROR(c_.get()->Exec("BEGIN"));
    if (!schema_) return Status::OK();
    // The first read fixes what the whole transaction sees (WAL mode).
    return c_.get()->Exec("SELECT count(*) FROM jfs_setting");
  }
  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (!schema_) return std::optional<std::string>();
    std::lock_guard l(mu_);
    return Rows(c_.get()).Get(key);
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    if (!schema_) return Status::OK();
    std::lock_guard l(mu_);
    return Rows(c_.get()).Scan(range, fn);
  }
  uint64_t version() const override { return 0; }

 private:
  PooledConn c_;
  bool schema_;
  std::recursive_mutex mu_;  // a scan's callback may read the same snapshot
};

Result<std::unique_ptr<MetaSnapshot>> SqlMeta::Snapshot() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  auto s = std::make_unique<SqlSnapshot>(std::move(c), schema_.load());
  JFS_RETURN_IF_ERROR(s->Start());
  return std::unique_ptr<MetaSnapshot>(std::move(s));
}

class SqlTxn : public MetaTxn {
 public:
  explicit SqlTxn(SqlMeta* m) : m_(m) {}
  ~SqlTxn() override {
    if (began_ && !done_) (void)conn_->get()->Exec("ROLLBACK");
  }

  Result<std::optional<std::string>> Get(const RecordKey& key) override {
    if (auto it = buffer_.find(key); it != buffer_.end()) return it->second;
    JFS_RETURN_IF_ERROR(Start());
    return Rows(conn_->get()).Get(key);
  }
  Status Scan(const RecordRange& range, const RecordFn& fn) override {
    JFS_RETURN_IF_ERROR(Start());
    return Rows(conn_->get()).Scan(range, fn);
  }
  void Put(const RecordKey& key, std::string value) override {
    buffer_[key] = value;
    ops_.push_back({key, std::move(value), false, 0});
  }
  void Delete(const RecordKey& key) override {
    buffer_[key] = std::nullopt;
    ops_.push_back({key, std::nullopt, false, 0});
  }
  void Add(const RecordKey& key, int64_t delta) override {
    ops_.push_back({key, std::nullopt, true, delta});
  }
  Status Commit() override {
    JFS_RETURN_IF_ERROR(Start());
    Rows rows(conn_->get());
    for (const auto& op : ops_) {
      Status st = op.add     ? rows.Add(op.key, op.delta)
                  : op.value ? rows.Put(op.key, *op.value)
                             : rows.Delete(op.key);
      JFS_RETURN_IF_ERROR(st.Annotate(Describe(op.key)));
    }
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
    done_ = true;
    return Status::OK();
  }

 private:
  // SQLite's write lock at the first read or at commit: the transaction
  // then sees one state, and its commit cannot conflict.
  Status Start() {
    if (began_) return Status::OK();
    JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
    conn_ = std::make_unique<PooledConn>(std::move(c));
    JFS_RETURN_IF_ERROR(m_->EnsureSchema(conn_->get()));
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("BEGIN IMMEDIATE"));
    began_ = true;
    return Status::OK();
  }

  struct Op {
    RecordKey key;
    std::optional<std::string> value;
    bool add;
    int64_t delta;
  };
  SqlMeta* m_;
  std::unique_ptr<PooledConn> conn_;
  bool began_ = false, done_ = false;
  std::map<RecordKey, std::optional<std::string>, KeyLess> buffer_;
  std::vector<Op> ops_;
};

std::unique_ptr<MetaTxn> SqlMeta::Begin() { return std::make_unique<SqlTxn>(this); }

// Large transactions on one connection: SQLite has one writer, so threads
// would only wait for each other.
class SqlBulkWriter : public MetaBulkWriter {
 public:
  explicit SqlBulkWriter(SqlMeta* m) : m_(m) {}
  ~SqlBulkWriter() override {
    if (open_) (void)conn_->get()->Exec("ROLLBACK");
  }
  Status Put(const RecordKey& key, std::string value) override {
    JFS_RETURN_IF_ERROR(Open());
    JFS_RETURN_IF_ERROR(
        Rows(conn_->get(), !deferred_.empty()).Put(key, value).Annotate(Describe(key)));
    records_++;
    if (++in_txn_ >= kBatch) {
      JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
      open_ = false;
    }
    return Status::OK();
  }
  Status Finish() override {
    if (open_) {
      open_ = false;
      JFS_RETURN_IF_ERROR(conn_->get()->Exec("COMMIT"));
    }
    // The indexes dropped at the start, built once from the sorted rows.
    for (const auto& stmt : deferred_) {
      Status st = conn_->get()->Exec(stmt);
      if (!st.ok() && st.message().find("UNIQUE") != std::string::npos) {
        return Status::Corruption("the dump names the same record twice (a damaged dump?): " +
                                  st.message());
      }
      JFS_RETURN_IF_ERROR(st);
    }
    deferred_.clear();
    return Status::OK();
  }
  uint64_t records() const override { return records_; }

 private:
  static constexpr uint64_t kBatch = 50000;
  Status Open() {
    if (open_) return Status::OK();
    if (!conn_) {
      JFS_ASSIGN_OR_RETURN(PooledConn c, m_->Take());
      conn_ = std::make_unique<PooledConn>(std::move(c));
      JFS_RETURN_IF_ERROR(m_->EnsureSchema(conn_->get()));
      JFS_RETURN_IF_ERROR(DeferIndexes());
    }
    JFS_RETURN_IF_ERROR(conn_->get()->Exec("BEGIN IMMEDIATE"));
    open_ = true;
    in_txn_ = 0;
    return Status::OK();
  }
  // Secondary indexes cost every insert another B-tree update; a load into
  // empty tables drops them and builds them at the end, from rows it writes
  // once each (a damaged dump naming a record twice then fails there, in one
  // line). Loads are the only writers of an empty volume.
  Status DeferIndexes() {
    JFS_ASSIGN_OR_RETURN(bool empty, m_->EmptyOn(conn_->get()));
    if (!empty) return Status::OK();
    for (const auto& t : sql::SqliteTables()) {
      for (const auto& stmt : sql::CreateStatements(t, "jfs_")) {
        bool unique = stmt.starts_with("CREATE UNIQUE INDEX");
        if (!unique && !stmt.starts_with("CREATE INDEX")) continue;
        // The unique ones of the tables inserted plainly (Rows' bulk mode);
        // the others' upserts (sustained) need theirs.
        if (unique && t.name != "edge" && t.name != "chunk" && t.name != "xattr") continue;
        size_t a = stmt.find('`'), b = stmt.find('`', a + 1);
        JFS_RETURN_IF_ERROR(
            conn_->get()->Exec("DROP INDEX IF EXISTS " + stmt.substr(a, b - a + 1)));
        deferred_.push_back(stmt);
      }
    }
    return Status::OK();
  }

  SqlMeta* m_;
  std::unique_ptr<PooledConn> conn_;
  bool open_ = false;
  uint64_t in_txn_ = 0, records_ = 0;
  std::vector<std::string> deferred_;
};

std::unique_ptr<MetaBulkWriter> SqlMeta::NewBulkWriter(int) {
  return std::make_unique<SqlBulkWriter>(this);
}

Result<bool> SqlMeta::Empty() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  return EmptyOn(c.get());
}

Result<bool> SqlMeta::EmptyOn(SqliteDb* db) {
  JFS_ASSIGN_OR_RETURN(StmtRef s, db->Prepare("SELECT name FROM sqlite_master WHERE type = "
                                              "'table' AND name NOT LIKE 'sqlite_%'"));
  std::vector<std::string> tables;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    tables.emplace_back(s->ColBlob(0));
  }
  for (const auto& t : tables) {
    // Only this volume's tables count: table_prefix exists so that several
    // volumes (or other data) share one database file.
    if (!t.starts_with(prefix_)) continue;
    // Named as the SQL given to Prepare names tables: "jfs_" + the rest.
    std::string name = "jfs_" + t.substr(prefix_.size());
    JFS_ASSIGN_OR_RETURN(StmtRef q, db->Prepare("SELECT 1 FROM `" + name + "` LIMIT 1"));
    JFS_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) return false;
  }
  return true;
}

Status SqlMeta::Clear() {
  JFS_ASSIGN_OR_RETURN(PooledConn c, Take());
  if (schema_) {
    // The setting first, on its own: a clear cut short never leaves a volume.
    JFS_RETURN_IF_ERROR(c.get()->Exec("DELETE FROM jfs_setting WHERE name = 'format'"));
  }
  // Dropped, not emptied: juicefs load wants a database without tables.
  for (const auto& t : sql::SqliteTables()) {
    JFS_RETURN_IF_ERROR(c.get()->Exec("DROP TABLE IF EXISTS `jfs_" + t.name + "`"));
  }
  schema_ = false;
  std::lock_guard l(mu_);
  free_.clear();  // statements prepared against the dropped tables
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Meta>> OpenSqliteMeta(std::string_view url, bool create) {
  std::string_view rest = url.substr(url.find("://") + 3);
  std::string prefix = "jfs_";
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    // JuiceFS's own table_prefix; the rest are its SQLite driver's options
    // (cache, _journal, _timeout...), which this engine sets its own way.
    std::string_view opts = rest.substr(q + 1);
    rest = rest.substr(0, q);
    for (size_t at = 0; at <= opts.size();) {
      size_t end = std::min(opts.find('&', at), opts.size());
      std::string_view opt = opts.substr(at, end - at);
      if (opt.starts_with("table_prefix=")) {
        std::string p(opt.substr(13));
        if (p.empty() ||
            p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
          return Status::InvalidArgument("table_prefix '" + p + "' in '" + std::string(url) +
                                         "': lower-case letters, digits and '_' only");
        }
        prefix = "jfs_" + p + "_";
      }
      at = end + 1;
    }
  }
  if (rest.empty()) {
    return Status::InvalidArgument("malformed META-URL '" + std::string(url) +
                                   "': expected sqlite3://PATH");
  }
  std::string path(rest);
  struct stat st;
  if (!create && stat(path.c_str(), &st) != 0) {
    return Status::NotFound("no database at " + path + " (sqlite3)");
  }
  JFS_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, create));
  db->SetTablePrefix(prefix);
  JFS_ASSIGN_OR_RETURN(StmtRef s, db->Prepare("SELECT name FROM sqlite_master WHERE type = "
                                              "'table' AND name LIKE 'jfs_%'"));
  size_t tables = 0;
  bool schema = false;
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    tables++;
    schema = schema || s->ColBlob(0) == prefix + "setting";
  }
  auto meta = std::make_unique<SqlMeta>(path, prefix, schema, tables >= sql::SqliteTables().size());
  return std::unique_ptr<Meta>(std::move(meta));
}

}  // namespace jfsbr
