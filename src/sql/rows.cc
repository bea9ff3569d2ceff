// Records to rows and back on one SQL connection: the value conversions
// (microsecond times, ACL columns, counters), the statements of every kind,
// and the scans, merged by inode where the dump needs an inode's records
// together.
#include "sql/rows.h"

#include <algorithm>
#include <functional>
#include <map>

#include "model/attr.h"
#include "model/records.h"
#include "util/coding.h"

namespace jfsbr {
namespace {

using K = RecordKind;
constexpr const char* kToolSettingPrefix = "jfsbr/";
constexpr int64_t kAllInodes = INT64_MAX;
// The TKV and Redis families count ACL rule ids in this counter; SQL has
// none (jfs_acl's autoincrement): reads derive it, writes are dropped.
constexpr std::string_view kAclMaxId = "aclMaxId";
// JuiceFS 1.4's change log numbers its entries the same way (jfs_change_log).
constexpr std::string_view kLastChangelog = "lastChangelog";

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
Attr AttrFromRow(const SqlStmt& s, int at) {
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

void BindAttr(SqlStmt& s, Ino ino, const Attr& a) {
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

std::string CounterValue(const std::string& name, int64_t v) {
  return IsTimestampCounter(name) ? EncodeCounterBE(v) : EncodeCounterLE(v);
}

Result<int64_t> CounterNumber(const std::string& name, std::string_view v) {
  return IsTimestampCounter(name) ? DecodeCounterBE(v) : DecodeCounterLE(v);
}

// "INSERT ... ON CONFLICT (keys) DO UPDATE SET every other column": the
// upsert SQLite and PostgreSQL both take (unlike SQLite's INSERT OR REPLACE,
// which also deletes and re-inserts the row).
std::string Upsert(std::string_view table, std::string_view columns, std::string_view keys) {
  std::string cols(columns), marks, set;
  size_t n = 0;
  for (size_t at = 0; at <= cols.size(); n++) {
    size_t end = std::min(cols.find(',', at), cols.size());
    std::string col(cols.substr(at, end - at));
    col.erase(0, col.find_first_not_of(' '));
    marks += std::string(n ? ", " : "") + "?";
    bool key = false;
    for (size_t k = 0; k <= keys.size();) {
      size_t ke = std::min(keys.find(',', k), keys.size());
      std::string kc(keys.substr(k, ke - k));
      kc.erase(0, kc.find_first_not_of(' '));
      key = key || kc == col;
      k = ke + 1;
    }
    if (!key) set += std::string(set.empty() ? "" : ", ") + col + "=excluded." + col;
    at = end + 1;
  }
  return "INSERT INTO " + std::string(table) + "(" + cols + ") VALUES(" + marks + ") ON CONFLICT(" +
         std::string(keys) + ") DO " + (set.empty() ? "NOTHING" : "UPDATE SET " + set);
}

// A row's two insert statements: the upsert of a transaction, and the
// plain INSERT of a load into empty tables, where every row is new (a
// damaged dump that names one twice fails on the key) and which
// PostgreSQL turns into COPY.
struct Insert {
  Insert(std::string_view table, std::string_view columns, std::string_view keys)
      : upsert(Upsert(table, columns, keys)) {
    size_t n = std::count(columns.begin(), columns.end(), ',') + 1;
    std::string marks;
    for (size_t i = 0; i < n; i++) marks += i ? ", ?" : "?";
    plain = "INSERT INTO " + std::string(table) + "(" + std::string(columns) + ") VALUES(" + marks +
            ")";
  }
  const std::string& For(bool bulk) const { return bulk ? plain : upsert; }
  std::string upsert, plain;
};

std::string SettingName(const RecordKey& k) {
  return k.kind == K::kSetting ? std::string("format") : kToolSettingPrefix + k.name;
}

// ---- one connection's record I/O ----

// How each inode-keyed kind is read: by_inode gives the rows of inodes
// [?, ?) in inode order (entries: from name ? on), for a merge by inode;
// stored gives every row in primary-key order, the cheapest read of a table
// (no lookup from a secondary index into the rows), for readers that need no
// order. Each query's first columns are what decode reads; a stored read by
// id selects it too, since MariaDB's paging resumes after the last row's
// sort key and reads it from the row.
struct InodeKindRead {
  RecordKind kind;
  std::string by_inode, stored;
  Status (*decode)(SqlStmt& s, RecordKey* k, std::string* v);
};

const std::vector<InodeKindRead> kInodeKindReads = {
    {K::kAttr,
     std::string("SELECT ") + kNodeColumns +
         " FROM jfs_node WHERE inode >= ? AND inode < ? ORDER BY inode",
     std::string("SELECT ") + kNodeColumns + " FROM jfs_node ORDER BY inode",
     [](SqlStmt& s, RecordKey* k, std::string* v) {
       *k = RecordKey::Attr(static_cast<Ino>(s.ColInt(0)));
       *v = EncodeAttr(AttrFromRow(s, 0));
       return Status::OK();
     }},
    {K::kEntry,
     "SELECT parent, name, inode, type FROM jfs_edge WHERE parent >= ? AND parent < ? AND "
     "name >= ? ORDER BY parent, name",
     "SELECT parent, name, inode, type, id FROM jfs_edge ORDER BY id",
     [](SqlStmt& s, RecordKey* k, std::string* v) {
       *k = RecordKey::Entry(static_cast<Ino>(s.ColInt(0)), s.ColBlob(1));
       *v = EncodeDentry({static_cast<FileType>(s.ColInt(3)), static_cast<Ino>(s.ColInt(2))});
       return Status::OK();
     }},
    {K::kChunk,
     "SELECT inode, indx, slices FROM jfs_chunk WHERE inode >= ? AND inode < ? ORDER BY inode, "
     "indx",
     "SELECT inode, indx, slices, id FROM jfs_chunk ORDER BY id",
     [](SqlStmt& s, RecordKey* k, std::string* v) {
       *k = RecordKey::Chunk(static_cast<Ino>(s.ColInt(0)), static_cast<uint32_t>(s.ColInt(1)));
       v->assign(s.ColBlob(2));
       return Status::OK();
     }},
    {K::kSymlink,
     "SELECT inode, target FROM jfs_symlink WHERE inode >= ? AND inode < ? ORDER BY inode",
     "SELECT inode, target FROM jfs_symlink ORDER BY inode",
     [](SqlStmt& s, RecordKey* k, std::string* v) {
       *k = RecordKey::Symlink(static_cast<Ino>(s.ColInt(0)));
       v->assign(s.ColBlob(1));
       return Status::OK();
     }},
    {K::kXattr,
     "SELECT inode, name, value FROM jfs_xattr WHERE inode >= ? AND inode < ? ORDER BY inode, "
     "name COLLATE BINARY",
     "SELECT inode, name, value, id FROM jfs_xattr ORDER BY id",
     [](SqlStmt& s, RecordKey* k, std::string* v) {
       *k = RecordKey::Xattr(static_cast<Ino>(s.ColInt(0)), s.ColBlob(1));
       v->assign(s.ColBlob(2));
       return Status::OK();
     }},
    // The TKV family keeps parent counters for hard links (attr parent 0)
    // only; SQL counts them from the edges. The few nodes with parent 0
    // first, then their edges (by the inode index): the join's order. No
    // table of their own: stored reads the whole range.
    {K::kParent,
     "SELECT e.inode, e.parent, count(*) FROM jfs_node n JOIN jfs_edge e ON e.inode = n.inode "
     "WHERE n.inode >= ? AND n.inode < ? AND coalesce(n.parent, 0) = 0 GROUP BY e.inode, "
     "e.parent ORDER BY e.inode, e.parent",
     "",
     [](SqlStmt& s, RecordKey* k, std::string* v) {
       *k = RecordKey::Parent(static_cast<Ino>(s.ColInt(0)), static_cast<Ino>(s.ColInt(1)));
       *v = EncodeCounterLE(s.ColInt(2));
       return Status::OK();
     }},
};

}  // namespace

// The statements behind Rows (declared in rows.h for its unique_ptr).
class RowsImpl {
 public:
  RowsImpl(SqlConn* db, bool bulk)
      : db_(db), bulk_(bulk), bulk_refs_(bulk && db->dialect() == SqlDialect::kPostgres) {}

  // Slice refs by chunkid, 500 to a query; the other kinds are left out.
  Status GetSliceRefs(std::span<const RecordKey> keys, Rows::Found* out) {
    std::vector<const RecordKey*> refs;
    for (const auto& k : keys) {
      if (k.kind == K::kSliceRef) refs.push_back(&k);
    }
    constexpr size_t kPerQuery = 500;
    for (size_t first = 0; first < refs.size(); first += kPerQuery) {
      const size_t n = std::min(kPerQuery, refs.size() - first);
      std::string sql = "SELECT chunkid, size, refs FROM jfs_chunk_ref WHERE chunkid IN (?";
      for (size_t i = 1; i < n; i++) sql += ",?";
      sql += ")";
      std::map<std::pair<int64_t, int64_t>, int64_t> found;
      auto prepared = db_->Prepare(sql);
      if (!IsMissingTable(prepared.status())) {
        JFS_ASSIGN_OR_RETURN(StmtRef s, std::move(prepared));
        for (size_t i = 0; i < n; i++) {
          s->Int(static_cast<int>(i + 1), static_cast<int64_t>(refs[first + i]->id));
        }
        for (;;) {
          JFS_ASSIGN_OR_RETURN(bool row, s->Step());
          if (!row) break;
          found[{s->ColInt(0), s->ColInt(1)}] = s->ColInt(2);
        }
      }
      for (size_t i = first; i < first + n; i++) {
        const RecordKey& k = *refs[i];
        std::optional<std::string> v;
        auto it = found.find({static_cast<int64_t>(k.id), static_cast<int64_t>(k.index)});
        // One ref is what the TKV family leaves absent.
        if (it != found.end() && it->second != 1) v = EncodeCounterLE(it->second - 1);
        out->emplace_back(k, std::move(v));
      }
    }
    return Status::OK();
  }

  Result<std::optional<std::string>> Get(const RecordKey& k) {
    std::optional<std::string> out;
    auto one = [&](const std::string& sql, const std::function<void(SqlStmt&)>& bind,
                   const std::function<Status(SqlStmt&)>& read) -> Status {
      auto prepared = db_->Prepare(sql);
      if (IsMissingTable(prepared.status())) return Status::OK();
      JFS_ASSIGN_OR_RETURN(StmtRef s, std::move(prepared));
      bind(*s);
      JFS_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) JFS_RETURN_IF_ERROR(read(*s));
      return Status::OK();
    };
    auto blob = [&](SqlStmt& s) {
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
        if (k.name == kAclMaxId || k.name == kLastChangelog) {  // autoincrement ids
          std::string table = k.name == kAclMaxId ? "jfs_acl" : "jfs_change_log";
          JFS_RETURN_IF_ERROR(one(
              "SELECT max(id) FROM " + table + " WHERE id > 0", [](auto&) {},
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
        // Derived from the tables' ids (above): nothing to keep.
        if (k.name == kAclMaxId) return Status::OK();
        JFS_ASSIGN_OR_RETURN(int64_t n, CounterNumber(k.name, v));
        if (k.name == kLastChangelog) return ContinueChangeLogAfter(n);
        return Run(
            "INSERT INTO jfs_counter(name, value) VALUES(?, ?) ON CONFLICT(name) DO "
            "UPDATE SET value=excluded.value",
            [&](auto& s) { s.Text(1, k.name).Int(2, n); });
      }
      case K::kAttr: {
        JFS_ASSIGN_OR_RETURN(Attr a, DecodeAttr(v));
        static const Insert kNode("jfs_node", kNodeColumns, "inode");
        return Run(kNode.For(bulk_), [&](auto& s) { BindAttr(s, k.ino, a); });
      }
      case K::kEntry: {
        JFS_ASSIGN_OR_RETURN(Dentry d, DecodeDentry(v));
        static const Insert kEdge("jfs_edge", "parent, name, inode, type", "parent, name");
        return Run(kEdge.For(bulk_), [&](auto& s) {
          s.Int(1, ino).Blob(2, k.name).Int(3, static_cast<int64_t>(d.ino));
          s.Int(4, static_cast<int64_t>(d.type));
        });
      }
      case K::kParent:
        return Status::OK();  // SQL counts a hard link's parents from its edges
      case K::kChunk: {
        JFS_ASSIGN_OR_RETURN(auto slices, DecodeChunk(v));
        static const Insert kChunk("jfs_chunk", "inode, indx, slices", "inode, indx");
        JFS_RETURN_IF_ERROR(
            Run(kChunk.For(bulk_), [&](auto& s) { s.Int(1, ino).Int(2, k.index).Blob(3, v); }));
        // Every slice ever written has a chunk_ref row (refs 1 when new), as
        // JuiceFS's SQL writers keep it; existing rows keep their count. A
        // PostgreSQL load merges the rows of a shared slice at the end.
        for (const auto& r : slices) {
          if (r.id == 0) continue;
          JFS_RETURN_IF_ERROR(
              Run(bulk_refs_ ? "INSERT INTO jfs_chunk_ref(chunkid, size, refs) "
                               "VALUES(?, ?, ?)"
                             : "INSERT INTO jfs_chunk_ref(chunkid, size, refs) "
                               "VALUES(?, ?, ?) ON CONFLICT(chunkid) DO NOTHING",
                  [&](auto& s) { s.Int(1, static_cast<int64_t>(r.id)).Int(2, r.size).Int(3, 1); }));
        }
        return Status::OK();
      }
      case K::kSymlink:
        static const Insert kSymlink("jfs_symlink", "inode, target", "inode");
        return Run(kSymlink.For(bulk_), [&](auto& s) { s.Int(1, ino).Blob(2, v); });
      case K::kXattr:
        static const Insert kXattr("jfs_xattr", "inode, name, value", "inode, name");
        return Run(kXattr.For(bulk_), [&](auto& s) { s.Int(1, ino).Text(2, k.name).Blob(3, v); });
      case K::kDelFile: {
        JFS_ASSIGN_OR_RETURN(int64_t expire, DecodeDelFileTime(v));
        static const Insert kDelfile("jfs_delfile", "inode, length, expire", "inode");
        return Run(kDelfile.For(bulk_), [&](auto& s) { s.Int(1, ino).Int(2, id).Int(3, expire); });
      }
      case K::kSliceRef: {
        JFS_ASSIGN_OR_RETURN(int64_t refs_minus_one, DecodeCounterLE(v));
        static const Insert kRef("jfs_chunk_ref", "chunkid, size, refs", "chunkid");
        return Run(bulk_refs_ ? kRef.plain : kRef.upsert,
                   [&](auto& s) { s.Int(1, id).Int(2, k.index).Int(3, refs_minus_one + 1); });
      }
      case K::kDelayedSlices:
        static const Insert kDelslices("jfs_delslices", "chunkid, deleted, slices", "chunkid");
        return Run(kDelslices.For(bulk_), [&](auto& s) { s.Int(1, id).Int(2, k.ts).Blob(3, v); });
      case K::kDirStat: {
        JFS_ASSIGN_OR_RETURN(DirStat d, DecodeDirStat(v));
        static const Insert kDirStats("jfs_dir_stats",
                                      "inode, data_length, used_space, used_inodes", "inode");
        return Run(kDirStats.For(bulk_), [&](auto& s) {
          s.Int(1, ino).Int(2, d.length).Int(3, d.space).Int(4, d.inodes);
        });
      }
      case K::kDirQuota: {
        JFS_ASSIGN_OR_RETURN(Quota q, DecodeQuota(v));
        static const Insert kDirQuota(
            "jfs_dir_quota", "inode, max_space, max_inodes, used_space, used_inodes", "inode");
        return Run(kDirQuota.For(bulk_), [&](auto& s) {
          s.Int(1, ino).Int(2, q.max_space).Int(3, q.max_inodes);
          s.Int(4, q.used_space).Int(5, q.used_inodes);
        });
      }
      case K::kUserQuota:
      case K::kGroupQuota: {
        JFS_ASSIGN_OR_RETURN(Quota q, DecodeQuota(v));
        static const Insert kQuota("jfs_user_group_quota",
                                   "qtype, qkey, max_space, max_inodes, used_space, used_inodes",
                                   "qtype, qkey");
        return Run(kQuota.For(bulk_), [&](auto& s) {
          s.Int(1, k.kind == K::kUserQuota ? 1 : 2).Int(2, id).Int(3, q.max_space);
          s.Int(4, q.max_inodes).Int(5, q.used_space).Int(6, q.used_inodes);
        });
      }
      case K::kAclRule: {
        JFS_ASSIGN_OR_RETURN(AclRule r, DecodeAclRule(v));
        static const std::string kAclUpsert =
            Upsert("jfs_acl", "id, owner, `group`, mask, other, named_users, named_groups", "id");
        JFS_RETURN_IF_ERROR(Run(kAclUpsert, [&](auto& s) {
          s.Int(1, id).Int(2, r.owner).Int(3, r.group).Int(4, r.mask).Int(5, r.other);
          s.Blob(6, EncodeAclEntries(r.users)).Blob(7, EncodeAclEntries(r.groups));
        }));
        // A rule written with its id leaves PostgreSQL's sequence behind
        // (SQLite's AUTOINCREMENT follows by itself): a client's next rule
        // must not take an id in use.
        if (db_->dialect() != SqlDialect::kPostgres) return Status::OK();
        return Run(
            "SELECT setval(pg_get_serial_sequence('jfs_acl', 'id'), greatest(max(id), 1)) FROM "
            "jfs_acl",
            [](auto&) {});
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
        return Run(
            "INSERT INTO jfs_sustained(sid, inode) VALUES(?, ?) ON CONFLICT(sid, inode) "
            "DO NOTHING",
            [&](auto& s) { s.Int(1, id).Int(2, ino); });
      case K::kDetached: {
        JFS_ASSIGN_OR_RETURN(int64_t added, DecodeCounterBE(v));
        static const Insert kDetached("jfs_detached_node", "inode, added", "inode");
        return Run(kDetached.For(bulk_), [&](auto& s) { s.Int(1, ino).Int(2, added); });
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

  // A load writes no change-log entries, but the log must go on numbering
  // after the source's last id: a reader of the log keeps its place by id.
  // The table's id generator is moved past `last` (PostgreSQL's sequence;
  // SQLite's AUTOINCREMENT and InnoDB's counter follow an id written
  // explicitly, and keep it once that row is gone). Reads of the last id
  // still come from the rows, as JuiceFS's do.
  Status ContinueChangeLogAfter(int64_t last) {
    if (last <= 0) return Status::OK();
    if (db_->dialect() == SqlDialect::kPostgres) {
      return Run(
          "SELECT setval(pg_get_serial_sequence('jfs_change_log', 'id'), greatest(CAST(? AS "
          "BIGINT), "
          "(SELECT coalesce(max(id), 0) FROM jfs_change_log)))",
          [&](auto& s) { s.Int(1, last); });
    }
    JFS_RETURN_IF_ERROR(
        Run("INSERT INTO jfs_change_log(id, entry) VALUES(?, '') ON CONFLICT(id) DO NOTHING",
            [&](auto& s) { s.Int(1, last); }));
    return Run("DELETE FROM jfs_change_log WHERE id=? AND entry=''",
               [&](auto& s) { s.Int(1, last); });
  }

  Status Add(const RecordKey& k, int64_t delta) {
    switch (k.kind) {
      case K::kCounter:
        if (k.name == kAclMaxId || k.name == kLastChangelog) return Status::OK();
        return Run(
            "INSERT INTO jfs_counter(name, value) VALUES(?, ?) ON CONFLICT(name) DO "
            "UPDATE SET value=jfs_counter.value+excluded.value",
            [&](auto& s) { s.Text(1, k.name).Int(2, delta); });
      case K::kSliceRef:
        // Absent is one ref (the TKV family's meaning of a missing record).
        return Run(
            "INSERT INTO jfs_chunk_ref(chunkid, size, refs) VALUES(?, ?, ?) ON "
            "CONFLICT(chunkid) DO UPDATE SET refs=jfs_chunk_ref.refs+?",
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
  Status Query(const std::string& sql, const std::function<void(SqlStmt&)>& bind,
               const std::function<Status(SqlStmt&, RecordKey*, std::string*)>& decode,
               const Emit& emit, bool* stopped) {
    auto prepared = db_->Prepare(sql, /*stream=*/true);
    // A table an older JuiceFS did not have: nothing in it.
    if (IsMissingTable(prepared.status())) return Status::OK();
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

  // Every record of kind; an inode kind in primary-key order if any_order.
  Status ScanKind(RecordKind kind, const Emit& emit, bool* stopped, bool any_order = false) {
    auto none = [](SqlStmt&) {};
    switch (kind) {
      case K::kSetting:
      case K::kTool:
        return Query(
            "SELECT name, value FROM jfs_setting ORDER BY name COLLATE BINARY", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
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
            "SELECT name, value FROM jfs_counter ORDER BY name", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
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
        for (const InodeKindRead& r : kInodeKindReads) {
          if (r.kind == kind && any_order && !r.stored.empty()) {
            return Query(r.stored, none, r.decode, emit, stopped);
          }
        }
        return ScanInodes(0, kAllInodes, kind, emit, stopped);
      case K::kDelFile:
        return Query(
            "SELECT inode, length, expire FROM jfs_delfile ORDER BY inode", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::DelFile(static_cast<Ino>(s.ColInt(0)),
                                      static_cast<uint64_t>(s.ColInt(1)));
              *v = EncodeDelFileTime(s.ColInt(2));
              return Status::OK();
            },
            emit, stopped);
      case K::kSliceRef:
        return Query(
            "SELECT chunkid, size, refs FROM jfs_chunk_ref WHERE refs != 1 ORDER BY chunkid", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::SliceRef(static_cast<uint64_t>(s.ColInt(0)),
                                       static_cast<uint32_t>(s.ColInt(1)));
              *v = EncodeCounterLE(s.ColInt(2) - 1);
              return Status::OK();
            },
            emit, stopped);
      case K::kDelayedSlices:
        return Query(
            "SELECT chunkid, deleted, slices FROM jfs_delslices ORDER BY deleted, chunkid", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::DelayedSlices(s.ColInt(1), static_cast<uint64_t>(s.ColInt(0)));
              v->assign(s.ColBlob(2));
              return Status::OK();
            },
            emit, stopped);
      case K::kDirStat:
        return Query(
            "SELECT inode, data_length, used_space, used_inodes FROM jfs_dir_stats ORDER BY inode",
            none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
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
            [](SqlStmt& s, RecordKey* k, std::string* v) {
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
            [&](SqlStmt& s) { s.Int(1, kind == K::kUserQuota ? 1 : 2); },
            [&](SqlStmt& s, RecordKey* k, std::string* v) {
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
            [](SqlStmt& s, RecordKey* k, std::string* v) -> Status {
              *k = RecordKey::AclRule(static_cast<uint32_t>(s.ColInt(0)));
              JFS_ASSIGN_OR_RETURN(AclRule r, AclFromRow(s, 1));
              *v = EncodeAclRule(r);
              return Status::OK();
            },
            emit, stopped);
      case K::kSessionExpire:
        return Query(
            "SELECT sid, expire FROM jfs_session2 ORDER BY sid", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::SessionExpire(static_cast<uint64_t>(s.ColInt(0)));
              *v = EncodeCounterBE(s.ColInt(1));
              return Status::OK();
            },
            emit, stopped);
      case K::kSessionInfo:
        return Query(
            "SELECT sid, info FROM jfs_session2 WHERE info IS NOT NULL ORDER BY sid", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::SessionInfo(static_cast<uint64_t>(s.ColInt(0)));
              v->assign(s.ColBlob(1));
              return Status::OK();
            },
            emit, stopped);
      case K::kSustained:
        return Query(
            "SELECT sid, inode FROM jfs_sustained ORDER BY sid, inode", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
              *k = RecordKey::Sustained(static_cast<uint64_t>(s.ColInt(0)),
                                        static_cast<Ino>(s.ColInt(1)));
              v->assign("\x01", 1);
              return Status::OK();
            },
            emit, stopped);
      case K::kDetached:
        return Query(
            "SELECT inode, added FROM jfs_detached_node ORDER BY inode", none,
            [](SqlStmt& s, RecordKey* k, std::string* v) {
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
    std::vector<const InodeKindRead*> reads;
    for (const InodeKindRead& r : kInodeKindReads) {
      if ((only == K::kUnknown || only == r.kind) && (with_entries || r.kind != K::kEntry)) {
        reads.push_back(&r);
      }
    }
    struct Open {
      StmtRef stmt;
      const InodeKindRead* r;
      bool has = false;
      int64_t ino = 0;
    };
    std::vector<Open> open;
    for (const InodeKindRead* r : reads) {
      auto prepared = db_->Prepare(r->by_inode, /*stream=*/true);
      if (IsMissingTable(prepared.status())) continue;
      JFS_ASSIGN_OR_RETURN(StmtRef s, std::move(prepared));
      s->Int(1, lo).Int(2, hi);
      if (r->kind == K::kEntry) s->Blob(3, from);
      open.push_back({std::move(s), r});
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
          JFS_RETURN_IF_ERROR(o.r->decode(*o.stmt, &key, &value));
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
        if (r.any_order) {
          for (const InodeKindRead& read : kInodeKindReads) {
            if (!stopped) JFS_RETURN_IF_ERROR(ScanKind(read.kind, emit, &stopped, true));
          }
        } else {
          JFS_RETURN_IF_ERROR(ScanInodes(0, kAllInodes, K::kUnknown, emit, &stopped));
        }
        for (RecordKind k : {K::kDelFile, K::kSliceRef, K::kDelayedSlices, K::kDirStat,
                             K::kDirQuota, K::kUserQuota, K::kGroupQuota, K::kAclRule,
                             K::kSessionExpire, K::kSessionInfo, K::kSustained, K::kDetached}) {
          if (stopped) break;
          JFS_RETURN_IF_ERROR(ScanKind(k, emit, &stopped));
        }
        return Status::OK();
      }
      case Shape::kKind:
        return ScanKind(r.kind, emit, &stopped, r.any_order);
      case Shape::kInode:
        return ScanInodes(ino, ino + 1, K::kUnknown, emit, &stopped);
      case Shape::kNode:
        return ScanInodes(ino, ino + 1, K::kUnknown, emit, &stopped, /*with_entries=*/false);
      case Shape::kOfInode:
        if (r.kind == K::kChunk) {
          return Query(
              "SELECT inode, indx, slices FROM jfs_chunk WHERE inode=? AND indx >= ? AND "
              "indx <= ? ORDER BY indx",
              [&](SqlStmt& s) {
                // indx is a 32-bit column in PostgreSQL: the bound stays in it.
                int64_t last = std::min<int64_t>(r.last, int64_t{INT32_MAX} + 1) - 1;
                s.Int(1, ino).Int(2, std::min<int64_t>(r.first, INT32_MAX)).Int(3, last);
              },
              [](SqlStmt& s, RecordKey* k, std::string* v) {
                *k = RecordKey::Chunk(static_cast<Ino>(s.ColInt(0)),
                                      static_cast<uint32_t>(s.ColInt(1)));
                v->assign(s.ColBlob(2));
                return Status::OK();
              },
              emit, &stopped);
        }
        if (r.kind == K::kParent) {
          return Query(
              "SELECT inode, parent, count(*) FROM jfs_edge WHERE inode=? GROUP BY inode, parent "
              "ORDER BY parent",
              [&](SqlStmt& s) { s.Int(1, ino); },
              [](SqlStmt& s, RecordKey* k, std::string* v) {
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

  static Result<AclRule> AclFromRow(const SqlStmt& s, int at) {
    AclRule r;
    auto perm = [&](int c) {
      return s.ColNull(c) ? uint16_t{0xFFFF} : static_cast<uint16_t>(s.ColInt(c));
    };
    r.owner = perm(at);
    r.group = perm(at + 1);
    r.mask = perm(at + 2);
    r.other = perm(at + 3);
    JFS_ASSIGN_OR_RETURN(r.users, DecodeAclEntries(s.ColBlob(at + 4)));
    JFS_ASSIGN_OR_RETURN(r.groups, DecodeAclEntries(s.ColBlob(at + 5)));
    return r;
  }

 private:
  Status Run(const std::string& sql, const std::function<void(SqlStmt&)>& bind) {
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

  SqlConn* db_;
  bool bulk_;
  bool bulk_refs_;  // chunk_ref rows inserted plainly, duplicates merged later
};

Rows::Rows(SqlConn* db, bool bulk) : impl_(std::make_unique<RowsImpl>(db, bulk)) {}
Rows::~Rows() = default;
Result<std::optional<std::string>> Rows::Get(const RecordKey& k) { return impl_->Get(k); }
Status Rows::GetSliceRefs(std::span<const RecordKey> keys, Found* out) {
  return impl_->GetSliceRefs(keys, out);
}
Status Rows::Put(const RecordKey& k, std::string_view v) { return impl_->Put(k, v); }
Status Rows::Delete(const RecordKey& k) { return impl_->Delete(k); }
Status Rows::Add(const RecordKey& k, int64_t delta) { return impl_->Add(k, delta); }
Status Rows::Scan(const RecordRange& r, const RecordFn& fn) { return impl_->Scan(r, fn); }

}  // namespace jfsbr
