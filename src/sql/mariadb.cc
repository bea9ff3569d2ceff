// libmariadb calls: the dialect rewrite, prepared statements with typed
// binds and columns, scans by keyset paging (a cursor where a scan cannot
// be paged), LOAD DATA LOCAL or multi-row INSERTs for bulk loads, and
// MySQL's errors as Status.
#include "sql/mariadb.h"

#include <mysql.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>

#include "sql/maria_array.h"
#include "sql/maria_error.h"
#include "sql/row_gather.h"

namespace jfsbr {
namespace {

constexpr unsigned long kFetchRows = 2000;   // rows a scan's cursor hands over at a time
constexpr unsigned long kFirstBuffer = 256;  // a column's buffer before a longer value grows it

// SQLite's spelling to MySQL's: the upserts, joins and byte-order sorts.
std::string Rewrite(std::string sql) {
  constexpr std::string_view kConflict = " ON CONFLICT(";
  if (size_t at = sql.find(kConflict); at != std::string::npos) {
    size_t close = sql.find(')', at);
    std::string keys = sql.substr(at + kConflict.size(), close - at - kConflict.size());
    std::string action = sql.substr(close + 1), set;
    if (action.starts_with(" DO UPDATE SET ")) {
      set = action.substr(15);
      // excluded.c (the row that was to be inserted) is VALUES(c).
      for (size_t e; (e = set.find("excluded.")) != std::string::npos;) {
        size_t end = e + 9;
        if (end < set.size() && set[end] == '`') {  // a quoted name: `group`
          end = set.find('`', end + 1) + 1;
        } else {
          while (end < set.size() &&
                 (isalnum(static_cast<unsigned char>(set[end])) || set[end] == '_')) {
            end++;
          }
        }
        set.replace(e, end - e, "VALUES(" + set.substr(e + 9, end - e - 9) + ")");
      }
    } else {  // DO NOTHING: an update that changes nothing
      std::string key = keys.substr(0, keys.find(','));
      set = key + "=" + key;
    }
    sql = sql.substr(0, at) + " ON DUPLICATE KEY UPDATE " + set;
  }
  // A join runs in the order written (MySQL's planner would start from the
  // bigger table).
  for (size_t at = 0; (at = sql.find(" JOIN ", at)) != std::string::npos; at += 15) {
    sql.replace(at, 6, " STRAIGHT_JOIN ");
  }
  // name COLLATE BINARY: a text column in byte order, whatever its collation.
  constexpr std::string_view kCollate = " COLLATE BINARY";
  for (size_t at; (at = sql.find(kCollate)) != std::string::npos;) {
    size_t start = at;
    while (start > 0 && (isalnum(static_cast<unsigned char>(sql[start - 1])) ||
                         sql[start - 1] == '_' || sql[start - 1] == '.' || sql[start - 1] == '`')) {
      start--;
    }
    sql.replace(start, at + kCollate.size() - start,
                "CAST(" + sql.substr(start, at - start) + " AS BINARY)");
  }
  return sql;
}

bool IsInteger(enum_field_types t) {
  switch (t) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return true;
    default:
      return false;
  }
}

}  // namespace

// A prepared statement (declared in mariadb.h for MariaConn::PrepareText).
class MariaStmt : public SqlStmt {
 public:
  MariaStmt(MYSQL_STMT* s, bool stream) : s_(s), stream_(stream) {
    size_t n = mysql_stmt_param_count(s);
    params_.resize(n);
    ints_.resize(n);
    strs_.resize(n);
    types_.assign(n, MYSQL_TYPE_NULL);
  }
  ~MariaStmt() override { mysql_stmt_close(s_); }

  SqlStmt& Int(int i, int64_t v) override {
    if (Valid(i)) ints_[i - 1] = v, types_[i - 1] = MYSQL_TYPE_LONGLONG;
    return *this;
  }
  SqlStmt& Blob(int i, std::string_view v) override {
    if (Valid(i)) strs_[i - 1].assign(v), types_[i - 1] = MYSQL_TYPE_BLOB;
    return *this;
  }
  SqlStmt& Text(int i, std::string_view v) override {
    if (Valid(i)) strs_[i - 1].assign(v), types_[i - 1] = MYSQL_TYPE_STRING;
    return *this;
  }

  Result<bool> Step() override {
    if (!started_) {
      started_ = true;
      JFS_RETURN_IF_ERROR(Execute());
    }
    if (cols_.empty()) return false;  // a statement without rows
    int rc = mysql_stmt_fetch(s_);
    if (rc == MYSQL_NO_DATA) return false;
    if (rc == 1) return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "fetch");
    // A value longer than its buffer: the buffer grows, the value is read again.
    bool grown = false;
    for (size_t c = 0; c < cols_.size(); c++) {
      Col& col = cols_[c];
      if (col.integer || col.null || col.length <= col.buf.size()) continue;
      col.buf.resize(col.length);
      binds_[c].buffer = col.buf.data();
      binds_[c].buffer_length = col.buf.size();
      if (mysql_stmt_fetch_column(s_, &binds_[c], static_cast<unsigned>(c), 0) != 0) {
        return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "fetch");
      }
      grown = true;
    }
    if (grown && mysql_stmt_bind_result(s_, binds_.data()) != 0) {
      return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "bind");
    }
    return true;
  }

  int64_t ColInt(int c) const override {
    const Col& col = cols_[c];
    if (col.null) return 0;
    if (col.integer) return col.i;
    // A DECIMAL (sum()) or a number in a text column.
    return strtoll(std::string(col.buf.data(), col.length).c_str(), nullptr, 10);
  }
  std::string_view ColBlob(int c) const override {
    const Col& col = cols_[c];
    if (col.null) return {};
    if (col.integer) {
      col.text = std::to_string(col.i);
      return col.text;
    }
    return std::string_view(col.buf.data(), std::min<size_t>(col.length, col.buf.size()));
  }
  bool ColNull(int c) const override { return cols_[c].null; }
  bool ColIsInt(int c) const { return cols_[c].integer; }

  void Reset() override {
    if (started_ && !cols_.empty()) {
      // A cursor lives on the server until reset; a buffered result is ours.
      if (stream_) {
        mysql_stmt_reset(s_);
      } else {
        mysql_stmt_free_result(s_);
      }
    }
    started_ = false;
    std::fill(types_.begin(), types_.end(), MYSQL_TYPE_NULL);
  }

 private:
  struct Col {
    bool integer = false;
    int64_t i = 0;
    std::string buf;
    unsigned long length = 0;
    my_bool null = 0, error = 0;
    mutable std::string text;  // an integer read as text
  };

  bool Valid(int i) const { return i >= 1 && i <= static_cast<int>(params_.size()); }

  Status Execute() {
    for (size_t i = 0; i < params_.size(); i++) {
      MYSQL_BIND& b = params_[i];
      memset(&b, 0, sizeof(b));
      b.buffer_type = types_[i];
      if (types_[i] == MYSQL_TYPE_LONGLONG) {
        b.buffer = &ints_[i];
      } else if (types_[i] != MYSQL_TYPE_NULL) {
        b.buffer = strs_[i].data();
        b.buffer_length = strs_[i].size();
      }
    }
    if (!params_.empty() && mysql_stmt_bind_param(s_, params_.data()) != 0) {
      return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "bind");
    }
    if (stream_) {
      unsigned long cursor = CURSOR_TYPE_READ_ONLY, rows = kFetchRows;
      mysql_stmt_attr_set(s_, STMT_ATTR_CURSOR_TYPE, &cursor);
      mysql_stmt_attr_set(s_, STMT_ATTR_PREFETCH_ROWS, &rows);
    }
    if (mysql_stmt_execute(s_) != 0) {
      return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "statement");
    }
    if (mysql_stmt_field_count(s_) == 0) return Status::OK();
    if (cols_.empty()) JFS_RETURN_IF_ERROR(BindColumns());
    if (!stream_ && mysql_stmt_store_result(s_) != 0) {
      return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "result");
    }
    return Status::OK();
  }

  // Integers into int64s, everything else into growing byte buffers.
  Status BindColumns() {
    MYSQL_RES* meta = mysql_stmt_result_metadata(s_);
    if (meta == nullptr) return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "columns");
    unsigned n = mysql_num_fields(meta);
    MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    cols_.resize(n);
    binds_.assign(n, MYSQL_BIND{});
    for (unsigned c = 0; c < n; c++) {
      Col& col = cols_[c];
      MYSQL_BIND& b = binds_[c];
      col.integer = IsInteger(fields[c].type);
      if (col.integer) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &col.i;
      } else {
        col.buf.resize(kFirstBuffer);
        b.buffer_type = MYSQL_TYPE_BLOB;
        b.buffer = col.buf.data();
        b.buffer_length = col.buf.size();
      }
      b.length = &col.length;
      b.is_null = &col.null;
      b.error = &col.error;
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(s_, binds_.data()) != 0) {
      return MariaError(mysql_stmt_errno(s_), mysql_stmt_error(s_), "bind");
    }
    return Status::OK();
  }

  MYSQL_STMT* s_;
  bool stream_, started_ = false;
  std::vector<MYSQL_BIND> params_, binds_;
  std::vector<int64_t> ints_;
  std::vector<std::string> strs_;
  std::vector<enum_field_types> types_;
  std::vector<Col> cols_;
};

namespace {

// A scan's query in the form keyset paging takes: pages of kPageRows rows
// in ORDER BY order, each page after the last row of the one before. Only
// for a query without GROUP BY whose sort keys are all selected columns.
struct PagedForm {
  std::string first, next;  // ... LIMIT n; and the same after (?, ...)
  std::vector<int> keys;    // the selected columns that are the sort keys
};
constexpr int kPageRows = 2000;

std::optional<PagedForm> AsPaged(const std::string& sql) {
  size_t order = sql.rfind(" ORDER BY "), from = sql.find(" FROM ");
  if (!sql.starts_with("SELECT ") || order == std::string::npos || from == std::string::npos ||
      sql.find(" GROUP BY ") != std::string::npos || sql.find(" LIMIT ") != std::string::npos) {
    return {};
  }
  auto split = [](std::string_view list) {
    std::vector<std::string> out;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= list.size(); i++) {
      if (i < list.size() && list[i] == '(') depth++;
      if (i < list.size() && list[i] == ')') depth--;
      if (i == list.size() || (depth == 0 && list[i] == ',')) {
        std::string item(list.substr(start, i - start));
        item.erase(0, item.find_first_not_of(' '));
        out.push_back(item);
        start = i + 1;
      }
    }
    return out;
  };
  std::vector<std::string> selected = split(std::string_view(sql).substr(7, from - 7));
  std::vector<std::string> keys = split(std::string_view(sql).substr(order + 10));
  PagedForm f;
  std::string after;  // k1 > ? OR (k1 = ? AND k2 > ?) OR ...
  for (size_t k = 0; k < keys.size(); k++) {
    std::string column = keys[k];
    if (column.starts_with("CAST(") && column.ends_with(" AS BINARY)")) {
      column = column.substr(5, column.size() - 16);
    }
    auto it = std::find(selected.begin(), selected.end(), column);
    if (it == selected.end()) return {};
    f.keys.push_back(static_cast<int>(it - selected.begin()));
    std::string term;
    for (size_t e = 0; e < k; e++) term += keys[e] + " = ? AND ";
    after += std::string(k ? " OR " : "") + "(" + term + keys[k] + " > ?)";
  }
  std::string head = sql.substr(0, order), tail = sql.substr(order);
  bool where = head.find(" WHERE ") != std::string::npos;
  std::string limit = " LIMIT " + std::to_string(kPageRows);
  f.first = sql + limit;
  f.next = head + (where ? " AND (" : " WHERE (") + after + ")" + tail + limit;
  return f;
}

// A scan read a page at a time (see AsPaged): no cursor, so no copy of the
// whole result on the server, and the connection is free between pages for
// the other scans of a merge and for point reads. Every page is read in the
// same transaction, so the pages show one state.
class PagedStmt : public SqlStmt {
 public:
  PagedStmt(std::unique_ptr<MariaStmt> first, std::unique_ptr<MariaStmt> next,
            std::vector<int> keys, int params)
      : first_(std::move(first)),
        next_(std::move(next)),
        keys_(std::move(keys)),
        params_(params),
        params_set_(params),
        last_(keys_.size()) {}

  SqlStmt& Int(int i, int64_t v) override { return Set(i, Param{true, v, {}}); }
  SqlStmt& Blob(int i, std::string_view v) override {
    return Set(i, Param{false, 0, std::string(v)});
  }
  SqlStmt& Text(int i, std::string_view v) override {
    return Set(i, Param{false, 0, std::string(v), true});
  }

  Result<bool> Step() override {
    if (cur_ == nullptr) {
      Bind(first_.get());
      cur_ = first_.get();
    }
    while (true) {
      JFS_ASSIGN_OR_RETURN(bool row, cur_->Step());
      if (row) {
        // The last row of a full page: where the next page starts.
        if (++rows_ == kPageRows) {
          for (size_t k = 0; k < keys_.size(); k++) {
            int c = keys_[k];
            last_[k] = cur_->ColIsInt(c) ? Param{true, cur_->ColInt(c), {}}
                                         : Param{false, 0, std::string(cur_->ColBlob(c))};
          }
        }
        return true;
      }
      if (rows_ < kPageRows) return false;  // a short page is the last
      rows_ = 0;
      cur_->Reset();
      Bind(next_.get());
      int at = params_;
      for (size_t k = 0; k < keys_.size(); k++) {  // the terms of AsPaged's `after`
        for (size_t e = 0; e <= k; e++) Apply(next_.get(), ++at, last_[e]);
      }
      cur_ = next_.get();
    }
  }
  int64_t ColInt(int c) const override { return cur_->ColInt(c); }
  std::string_view ColBlob(int c) const override { return cur_->ColBlob(c); }
  bool ColNull(int c) const override { return cur_->ColNull(c); }
  void Reset() override {
    if (cur_) cur_->Reset();
    cur_ = nullptr;
    rows_ = 0;
    std::fill(params_set_.begin(), params_set_.end(), Param{});
  }

 private:
  struct Param {
    bool integer = false;
    int64_t i = 0;
    std::string bytes;
    bool text = false;
    bool set = false;
  };
  SqlStmt& Set(int i, Param p) {
    if (i < 1 || i > params_) return *this;
    p.set = true;
    params_set_[i - 1] = std::move(p);
    return *this;
  }
  static void Apply(MariaStmt* s, int i, const Param& p) {
    if (p.integer) {
      s->Int(i, p.i);
    } else if (p.text) {
      s->Text(i, p.bytes);
    } else {
      s->Blob(i, p.bytes);
    }
  }
  void Bind(MariaStmt* s) {
    for (size_t i = 0; i < params_set_.size(); i++) {
      if (params_set_[i].set) Apply(s, static_cast<int>(i) + 1, params_set_[i]);
    }
  }

  std::unique_ptr<MariaStmt> first_, next_;
  MariaStmt* cur_ = nullptr;
  std::vector<int> keys_;
  int params_;
  std::vector<Param> params_set_;
  std::vector<Param> last_;  // the sort keys of the last full page's last row
  int rows_ = 0;             // in the current page
};

// A plain INSERT (or upsert) of a bulk load: each run appends its row, as
// text, to the LOAD DATA lines or multi-row INSERT gathering for its table.
class GatherStmt : public RowGatherStmt {
 public:
  GatherStmt(MariaConn* conn, MariaConn::Gathered* g, int columns)
      : RowGatherStmt(columns), conn_(conn), g_(g) {}

  SqlStmt& Int(int i, int64_t v) override { return SetInt(i, v); }
  SqlStmt& Blob(int i, std::string_view v) override {
    if (g_->load_data) return SetTsvEscaped(i, v);  // CHARACTER SET binary: bytes as they are
    std::string* f = Field(i);
    if (f == nullptr) return *this;
    if (v.empty()) return *f = "''", *this;
    f->resize(2 + 2 * v.size());
    (*f)[0] = '0', (*f)[1] = 'x';
    mysql_hex_string(f->data() + 2, v.data(), v.size());
    return *this;
  }
  SqlStmt& Text(int i, std::string_view v) override {
    if (g_->load_data) return SetTsvEscaped(i, v);
    std::string* f = Field(i);
    if (f == nullptr) return *this;
    f->resize(2 * v.size() + 3);
    (*f)[0] = '\'';
    unsigned long n = mysql_real_escape_string(conn_->raw(), f->data() + 1, v.data(), v.size());
    f->resize(1 + n);
    *f += '\'';
    return *this;
  }
  Result<bool> Step() override {
    if (g_->load_data) {
      AppendTsv(&g_->rows);
    } else {  // (..),(..)
      std::string& rows = g_->rows;
      rows += rows.empty() ? "(" : ",(";
      for (size_t i = 0; i < values_.size(); i++) {
        if (i) rows += ',';
        rows += set_[i] ? std::string_view(values_[i]) : "NULL";
      }
      rows += ')';
    }
    JFS_RETURN_IF_ERROR(conn_->Added(g_));
    return false;
  }

 private:
  MariaConn* conn_;
  MariaConn::Gathered* g_;
};

// A plain INSERT (or upsert) of a bulk load whose rows go as arrays
// (maria_array.h): each run adds its row to them.
class ArrayStmt : public SqlStmt {
 public:
  ArrayStmt(MariaConn* conn, MariaConn::Gathered* g) : conn_(conn), a_(g->array.get()), g_(g) {}

  SqlStmt& Int(int i, int64_t v) override { return a_->Int(i, v), *this; }
  SqlStmt& Blob(int i, std::string_view v) override { return a_->Bytes(i, v, false), *this; }
  SqlStmt& Text(int i, std::string_view v) override { return a_->Bytes(i, v, true), *this; }
  Result<bool> Step() override {
    JFS_RETURN_IF_ERROR(a_->EndRow());
    JFS_RETURN_IF_ERROR(conn_->Added(g_));
    return false;
  }
  int64_t ColInt(int) const override { return 0; }
  std::string_view ColBlob(int) const override { return {}; }
  bool ColNull(int) const override { return true; }
  void Reset() override { a_->DropRow(); }

 private:
  MariaConn* conn_;
  MariaArrayInsert* a_;
  MariaConn::Gathered* g_;
};

// A gatherable INSERT (row_gather.h) as MySQL sends its rows: the head and
// tail of its multi-row form, and its LOAD DATA LOCAL where that can say it
// (plain inserts, and with IGNORE the upserts that change nothing).
struct GatherForm {
  std::string head, tail;
  int columns;
  std::string load;  // or ""
  std::string table;
};
std::optional<GatherForm> AsGathered(const std::string& sql) {
  auto g = ParseGatherableInsert(sql);
  if (!g) return {};
  // The rewrite changes only the clause after the values.
  GatherForm f{"INSERT INTO " + g->table + g->columns + " VALUES ",
               Rewrite(sql).substr(sql.size() - g->rest.size()), g->count, "", g->table};
  if (g->rest.empty() || g->rest.ends_with(" DO NOTHING")) {
    f.load = std::string("LOAD DATA LOCAL INFILE 'jfsbr' ") + (g->rest.empty() ? "" : "IGNORE ") +
             "INTO TABLE " + g->table + " CHARACTER SET binary " + g->columns;
  }
  return f;
}

}  // namespace

Result<std::unique_ptr<MariaConn>> MariaConn::Open(const MysqlOptions& o) {
  static std::once_flag once;  // the library's globals, before any thread uses them
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* my = mysql_init(nullptr);
  if (my == nullptr) return Status::IOError("mysql: out of memory");
  unsigned timeout = static_cast<unsigned>(o.connect_timeout);
  mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (!o.charset.empty()) mysql_options(my, MYSQL_SET_CHARSET_NAME, o.charset.c_str());
  if (o.tls != MysqlOptions::Tls::kOff) {
    my_bool on = 1, verify = o.tls == MysqlOptions::Tls::kVerify;
    mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  my_bool local = 1;  // LOAD DATA LOCAL for bulk loads, from memory (InfileRead)
  mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &local);
  const char* socket = o.socket.empty() ? nullptr : o.socket.c_str();
  if (!mysql_real_connect(my, socket ? nullptr : o.host.c_str(), o.user.c_str(), o.password.c_str(),
                          o.database.c_str(), static_cast<unsigned>(o.port), socket, 0)) {
    Status st = MariaConnError(my, "connect");
    mysql_close(my);
    return st;
  }
  std::unique_ptr<MariaConn> c(new MariaConn(my));
  // Writers serializable (see mariadb.h); a reader sets its own level.
  JFS_RETURN_IF_ERROR(c->Query("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"));
  // Every warning of a bulk load's LOAD DATA is read back (Send), not the first 64.
  JFS_RETURN_IF_ERROR(c->Query("SET SESSION max_error_count = 65535"));
  mysql_set_local_infile_handler(my, InfileInit, InfileRead, InfileEnd, InfileError, c.get());
  // A server may refuse LOAD DATA LOCAL (local_infile=OFF): multi-row INSERTs then.
  if (mysql_real_query(my, "SELECT @@local_infile", 21) != 0) return MariaConnError(my, "connect");
  if (MYSQL_RES* r = mysql_store_result(my)) {
    MYSQL_ROW row = mysql_fetch_row(r);
    c->local_infile_ = row && row[0] && atoi(row[0]) == 1;
    mysql_free_result(r);
  }
  c->arrays_ = MariaArrayInsert::Supported(my);
  return c;
}

// The file of a LOAD DATA LOCAL is the rows gathered in memory (infile_).
struct InfileState {
  const std::string* data;
  size_t at;
};

int MariaConn::InfileInit(void** state, const char*, void* self) {
  auto* c = static_cast<MariaConn*>(self);
  *state = new InfileState{c->infile_, 0};
  return c->infile_ ? 0 : 1;  // a LOAD DATA not of ours: refused
}

int MariaConn::InfileRead(void* state, char* buf, unsigned int size) {
  auto* s = static_cast<InfileState*>(state);
  size_t n = std::min<size_t>(size, s->data->size() - s->at);
  memcpy(buf, s->data->data() + s->at, n);
  s->at += n;
  return static_cast<int>(n);
}

void MariaConn::InfileEnd(void* state) { delete static_cast<InfileState*>(state); }

int MariaConn::InfileError(void*, char* msg, unsigned int size) {
  snprintf(msg, size, "no rows to load");
  return 2000;  // CR_UNKNOWN_ERROR
}

MariaConn::~MariaConn() {
  DropStatements();
  gathered_.clear();  // (their statements) before the connection
  mysql_close(my_);
}

Result<std::vector<std::string>> MariaConn::Tables() {
  JFS_RETURN_IF_ERROR(Flush());
  const std::string sql =
      "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()";
  if (mysql_real_query(my_, sql.data(), sql.size()) != 0) return MariaConnError(my_, "tables");
  MYSQL_RES* r = mysql_store_result(my_);
  if (r == nullptr) return MariaConnError(my_, "tables");
  std::vector<std::string> out;
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    unsigned long* len = mysql_fetch_lengths(r);
    out.emplace_back(row[0], len[0]);
  }
  mysql_free_result(r);
  return out;
}

Status MariaConn::BeginWrite() { return Exec("START TRANSACTION"); }

Status MariaConn::BeginRead() {
  // For the next transaction only: the session stays serializable.
  JFS_RETURN_IF_ERROR(Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  return Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
}

// LOCK TABLES ... READ waits for every transaction that has written one of
// the tables to end, and keeps new writes out until UNLOCK TABLES (the
// metadata locks a write takes conflict with it): snapshots begun meanwhile
// see the same committed rows. A writer that holds on is waited for 2 s at
// most; the writers queued behind the hold wait no longer than that.
Status MariaConn::FreezeTables(const std::vector<std::string>& tables) {
  if (tables.empty()) return Status::OK();
  std::string sql = "SET STATEMENT lock_wait_timeout=2 FOR LOCK TABLES ";
  for (size_t i = 0; i < tables.size(); i++) {
    sql += (i ? ", `" : "`") + tables[i] + "` READ";
  }
  return Exec(sql);
}

Status MariaConn::ThawTables() { return Exec("UNLOCK TABLES"); }

Status MariaConn::SetPipelined(bool on) {
  if (on == pipelined_) return Status::OK();
  pipelined_ = on;
  return on ? Status::OK() : Flush();
}

Status MariaConn::Added(Gathered* g) {
  if ((g->array ? g->array->bytes() : g->rows.size()) < kInsertBytes) return Status::OK();
  return Send(g);
}

Status MariaConn::Send(Gathered* g) {
  if (g->array) return g->array->Send();
  if (g->rows.empty()) return Status::OK();
  if (!g->load_data) {
    std::string sql = g->head + g->rows + g->tail;
    g->rows.clear();
    return Query(sql);
  }
  infile_ = &g->rows;
  Status st = Query(g->load);
  infile_ = nullptr;
  g->rows.clear();
  JFS_RETURN_IF_ERROR(st);
  // Each warning is an error, but the duplicates an IGNORE load exists to skip.
  return MariaWarnings(my_, g->ignore);
}

Status MariaConn::Flush() {
  for (auto& [stmt, g] : gathered_) JFS_RETURN_IF_ERROR(Send(&g));
  return Status::OK();
}

Status MariaConn::Query(const std::string& sql) {
  if (mysql_real_query(my_, sql.data(), sql.size()) != 0) return MariaConnError(my_, "exec");
  if (MYSQL_RES* r = mysql_store_result(my_)) mysql_free_result(r);
  if (mysql_errno(my_) != 0) return MariaConnError(my_, "exec");
  return Status::OK();
}

Status MariaConn::ExecText(const std::string& sql) {
  JFS_RETURN_IF_ERROR(Flush());  // a bulk load's rows go before its COMMIT
  return Query(Rewrite(sql));
}

Result<std::unique_ptr<SqlStmt>> MariaConn::Compile(const std::string& sql, bool stream) {
  if (pipelined_) {
    if (auto g = AsGathered(sql)) {
      auto& gathered = gathered_[sql];
      gathered.head = g->head;
      gathered.tail = g->tail;
      gathered.load = g->load;
      gathered.load_data = local_infile_ && !g->load.empty();
      gathered.ignore = gathered.load.find(" IGNORE ") != std::string::npos;
      if (arrays_ && !gathered.array) {
        JFS_ASSIGN_OR_RETURN(bool counted, HasAutoIncrement(g->table));
        if (!counted) {
          gathered.array = std::make_unique<MariaArrayInsert>(my_, Rewrite(sql), g->columns);
        }
      }
      if (gathered.array) {
        return std::unique_ptr<SqlStmt>(std::make_unique<ArrayStmt>(this, &gathered));
      }
      return std::unique_ptr<SqlStmt>(std::make_unique<GatherStmt>(this, &gathered, g->columns));
    }
  }
  std::string text = Rewrite(sql);
  if (stream) {
    if (auto paged = AsPaged(text)) {
      JFS_ASSIGN_OR_RETURN(auto first, PrepareText(paged->first, false));
      JFS_ASSIGN_OR_RETURN(auto next, PrepareText(paged->next, false));
      int params = static_cast<int>(std::count(text.begin(), text.end(), '?'));
      return std::unique_ptr<SqlStmt>(std::make_unique<PagedStmt>(std::move(first), std::move(next),
                                                                  std::move(paged->keys), params));
    }
  }
  JFS_ASSIGN_OR_RETURN(auto s, PrepareText(text, stream));
  return std::unique_ptr<SqlStmt>(std::move(s));
}

// Two connections inserting arrays into one table with an AUTO_INCREMENT
// column spin on its counter, row by row (two halves of 1.1 M jfs_edge rows
// at once: 2.7-3.1 s of server CPU against 1.2-1.4 s by LOAD DATA, which
// holds the counter's lock for the statement, so that they take turns).
Result<bool> MariaConn::HasAutoIncrement(const std::string& table) {
  std::string sql =
      "SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND "
      "table_name = '" + table + "' AND extra LIKE '%auto_increment%'";
  if (mysql_real_query(my_, sql.data(), sql.size()) != 0) return MariaConnError(my_, "columns");
  MYSQL_RES* r = mysql_store_result(my_);
  if (r == nullptr) return MariaConnError(my_, "columns");
  MYSQL_ROW row = mysql_fetch_row(r);
  bool counted = row && row[0] && atoi(row[0]) > 0;
  mysql_free_result(r);
  return counted;
}

Result<std::unique_ptr<MariaStmt>> MariaConn::PrepareText(const std::string& text, bool cursor) {
  MYSQL_STMT* s = mysql_stmt_init(my_);
  if (s == nullptr) return MariaConnError(my_, "prepare");
  if (mysql_stmt_prepare(s, text.data(), text.size()) != 0) {
    Status st = MariaError(mysql_stmt_errno(s), mysql_stmt_error(s), "prepare");
    mysql_stmt_close(s);
    return st;
  }
  return std::make_unique<MariaStmt>(s, cursor);
}

}  // namespace jfsbr
