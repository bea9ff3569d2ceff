// libpq calls: the dialect rewrite, binary columns, cursors for scans, the
// pipeline for bulk writes, and PostgreSQL's errors as Status.
#include "sql/postgres.h"

#include <endian.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "sql/row_gather.h"

namespace jfsbr {
namespace {

// Column types as PostgreSQL numbers them (pg_type.oid).
constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kBool = 16, kOid = 26;
constexpr int kFetchRows = 2000;      // rows a scan's cursor hands over at a time
constexpr int kPipelineDepth = 1024;  // statements in flight before waiting

std::string OneLine(std::string m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  std::replace(m.begin(), m.end(), '\n', ' ');
  return m;
}

Status ConnError(PGconn* pg, std::string_view what) {
  std::string msg = "postgres " + std::string(what) + ": " + OneLine(PQerrorMessage(pg));
  if (PQstatus(pg) == CONNECTION_BAD) return Status::Unavailable(msg);
  return Status::IOError(msg);
}

// The Status of a finished result (OK for rows and commands).
Status ResultStatus(PGconn* pg, const PGresult* r, std::string_view what) {
  if (r == nullptr) return ConnError(pg, what);
  ExecStatusType t = PQresultStatus(r);
  if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_PIPELINE_SYNC) {
    return Status::OK();
  }
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string code = state ? state : "";
  std::string msg = "postgres " + std::string(what) + ": " + OneLine(PQresultErrorMessage(r));
  if (code == "40001" || code == "40P01") return Status::Conflict(msg);
  if (code == "23505") return Status::Exists(msg);
  if (code == "42P01") return Status::NotFound("no such table: " + msg);
  if (code.starts_with("28")) return Status::Permission(msg);
  if (code.starts_with("08") || PQstatus(pg) == CONNECTION_BAD) return Status::Unavailable(msg);
  return Status::IOError(msg);
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// SQLite's spelling to PostgreSQL's; *params counts the parameters.
std::string Rewrite(const std::string& sql, int* params) {
  std::string out;
  out.reserve(sql.size() + 16);
  *params = 0;
  bool quoted = false;  // inside a '...' literal
  for (size_t i = 0; i < sql.size(); i++) {
    char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (quoted) {
      out += c;
    } else if (c == '?') {
      out += "$" + std::to_string(++*params);
    } else if (c == '`') {
      out += '"';
    } else if (sql.compare(i, 14, "COLLATE BINARY") == 0) {
      out += "COLLATE \"C\"";
      i += 13;
    } else {
      out += c;
    }
  }
  return out;
}

class PgStmt : public SqlStmt {
 public:
  PgStmt(PgConn* conn, std::string sql, int params, bool stream, std::string name)
      : conn_(conn),
        sql_(std::move(sql)),
        name_(std::move(name)),
        stream_(stream),
        values_(params),
        lengths_(params),
        formats_(params),
        set_(params) {}
  ~PgStmt() override { Reset(); }

  SqlStmt& Int(int i, int64_t v) override { return Set(i, std::to_string(v), 0); }
  SqlStmt& Blob(int i, std::string_view v) override { return Set(i, std::string(v), 1); }
  SqlStmt& Text(int i, std::string_view v) override { return Set(i, std::string(v), 0); }

  Result<bool> Step() override {
    if (!started_) {
      started_ = true;
      JFS_RETURN_IF_ERROR(Start());
      if (!res_) return false;  // sent in the pipeline: no rows
    }
    if (++row_ < PQntuples(res_.get())) return true;
    // The batch is used up: the next one, if the cursor has more.
    while (cursor_ && !exhausted_) {
      std::string fetch = "FETCH " + std::to_string(kFetchRows) + " FROM " + cursor_name_;
      res_.reset(
          PQexecParams(conn_->raw(), fetch.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1));
      JFS_RETURN_IF_ERROR(ResultStatus(conn_->raw(), res_.get(), "fetch"));
      int n = PQntuples(res_.get());
      exhausted_ = n < kFetchRows;
      row_ = 0;
      if (n > 0) return true;
    }
    return false;
  }

  int64_t ColInt(int c) const override {
    if (PQgetisnull(res_.get(), row_, c)) return 0;
    const char* p = PQgetvalue(res_.get(), row_, c);
    switch (PQftype(res_.get(), c)) {
      case kInt8: {
        uint64_t v;
        memcpy(&v, p, 8);
        return static_cast<int64_t>(be64toh(v));
      }
      case kInt4:
      case kOid: {
        uint32_t v;
        memcpy(&v, p, 4);
        return static_cast<int32_t>(be32toh(v));
      }
      case kInt2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return static_cast<int16_t>(be16toh(v));
      }
      case kBool:
        return *p != 0;
      default:
        return 0;
    }
  }
  std::string_view ColBlob(int c) const override {
    return std::string_view(PQgetvalue(res_.get(), row_, c),
                            static_cast<size_t>(PQgetlength(res_.get(), row_, c)));
  }
  bool ColNull(int c) const override { return PQgetisnull(res_.get(), row_, c) != 0; }

  void Reset() override {
    if (cursor_ && PQtransactionStatus(conn_->raw()) == PQTRANS_INTRANS) {
      PQclear(PQexec(conn_->raw(), ("CLOSE " + cursor_name_).c_str()));
    }
    cursor_ = exhausted_ = started_ = false;
    res_.reset();
    row_ = -1;
    std::fill(set_.begin(), set_.end(), false);
  }

 private:
  SqlStmt& Set(int i, std::string v, int format) {
    if (i < 1 || i > static_cast<int>(values_.size())) return *this;
    values_[i - 1] = std::move(v);
    formats_[i - 1] = format;
    set_[i - 1] = true;
    return *this;
  }

  Status Start() {
    std::vector<const char*> values(values_.size());
    for (size_t i = 0; i < values_.size(); i++) {
      values[i] = set_[i] ? values_[i].data() : nullptr;
      lengths_[i] = static_cast<int>(values_[i].size());
    }
    int n = static_cast<int>(values_.size());
    PGconn* pg = conn_->raw();
    row_ = -1;
    // A scan in a transaction reads through a cursor, a batch at a time.
    if (stream_ && PQtransactionStatus(pg) == PQTRANS_INTRANS) {
      cursor_name_ = conn_->NextName('c');
      std::string declare = "DECLARE " + cursor_name_ + " NO SCROLL CURSOR FOR " + sql_;
      res_.reset(PQexecParams(pg, declare.c_str(), n, nullptr, values.data(), lengths_.data(),
                              formats_.data(), 1));
      JFS_RETURN_IF_ERROR(ResultStatus(pg, res_.get(), "declare"));
      res_.reset(PQmakeEmptyPGresult(pg, PGRES_TUPLES_OK));
      cursor_ = true;
      return Status::OK();
    }
    if (stream_) {
      res_.reset(PQexecParams(pg, sql_.c_str(), n, nullptr, values.data(), lengths_.data(),
                              formats_.data(), 1));
      return ResultStatus(pg, res_.get(), "query");
    }
    if (conn_->pipelined()) {
      if (!PQsendQueryPrepared(pg, name_.c_str(), n, values.data(), lengths_.data(),
                               formats_.data(), 1)) {
        return ConnError(pg, "send");
      }
      return conn_->Sent();
    }
    res_.reset(
        PQexecPrepared(pg, name_.c_str(), n, values.data(), lengths_.data(), formats_.data(), 1));
    return ResultStatus(pg, res_.get(), "statement");
  }

  PgConn* conn_;
  std::string sql_, name_, cursor_name_;
  bool stream_, started_ = false, cursor_ = false, exhausted_ = false;
  std::vector<std::string> values_;
  std::vector<int> lengths_, formats_;
  std::vector<bool> set_;
  ResultPtr res_;
  int row_ = -1;
};

// A plain INSERT of a bulk load: each run appends the row to its table's
// COPY data (text format), sent when enough has gathered or before the
// next statement that is not a row.
class CopyStmt : public RowGatherStmt {
 public:
  CopyStmt(PgConn* conn, PgConn::CopyData* data, int columns)
      : RowGatherStmt(columns), conn_(conn), data_(data) {}

  SqlStmt& Int(int i, int64_t v) override { return SetInt(i, v); }
  SqlStmt& Blob(int i, std::string_view v) override {
    static const char kHex[] = "0123456789abcdef";
    std::string* f = Field(i);
    if (f == nullptr) return *this;
    *f = "\\\\x";  // bytea's hex form, its backslash escaped for COPY
    f->reserve(f->size() + 2 * v.size());
    for (unsigned char c : v) *f += kHex[c >> 4], *f += kHex[c & 15];
    return *this;
  }
  SqlStmt& Text(int i, std::string_view v) override { return SetTsvEscaped(i, v); }
  Result<bool> Step() override {
    AppendTsv(&data_->rows);
    JFS_RETURN_IF_ERROR(conn_->Copied(data_));
    return false;
  }

 private:
  PgConn* conn_;
  PgConn::CopyData* data_;
};

}  // namespace

Result<std::unique_ptr<PgConn>> PgConn::Open(const PgOptions& o) {
  std::vector<const char*> keys = {"dbname"}, values = {o.uri.c_str()};
  std::string options = o.search_path.empty() ? "" : "-c search_path=" + o.search_path;
  if (!o.password.empty()) keys.push_back("password"), values.push_back(o.password.c_str());
  if (!options.empty()) keys.push_back("options"), values.push_back(options.c_str());
  if (o.uri.find("connect_timeout=") == std::string::npos) {
    // A server that does not answer fails the command instead of hanging it.
    keys.push_back("connect_timeout"), values.push_back("10");
  }
  keys.push_back(nullptr), values.push_back(nullptr);
  PGconn* pg = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (pg == nullptr) return Status::IOError("postgres: out of memory");
  if (PQstatus(pg) != CONNECTION_OK) {
    std::string msg = OneLine(PQerrorMessage(pg));
    PQfinish(pg);
    if (msg.find("password authentication failed") != std::string::npos ||
        msg.find("no password supplied") != std::string::npos) {
      return Status::Permission("postgres: " + msg);
    }
    if (msg.find("invalid") != std::string::npos || msg.find("URI") != std::string::npos) {
      return Status::InvalidArgument("postgres: " + msg);
    }
    return Status::Unavailable("postgres: " + msg);
  }
  // The server's notices ("relation already exists, skipping") are not for
  // the user: libpq would print them on stderr.
  PQsetNoticeProcessor(
      pg, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PgConn> c(new PgConn(pg));
  // No idle-in-transaction timeout: a dump's exported snapshot stays open,
  // mostly idle, for as long as the dump of a large volume runs.
  return c;
}

PgConn::~PgConn() {
  if (pipelined_) (void)SetPipelined(false);
  DropStatements();
  PQfinish(pg_);
}

std::string PgConn::Where() const {
  std::string host = PQhost(pg_) ? PQhost(pg_) : "";
  return std::string(PQuser(pg_)) + "@" + host + ":" + PQport(pg_) + "/" + PQdb(pg_);
}

Result<std::vector<std::string>> PgConn::Tables() {
  // A catalog query: safe inside a transaction, never aborts it.
  ResultPtr r(PQexecParams(pg_,
                           "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = "
                           "current_schema()",
                           0, nullptr, nullptr, nullptr, nullptr, 1));
  JFS_RETURN_IF_ERROR(ResultStatus(pg_, r.get(), "tables"));
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); i++) out.emplace_back(PQgetvalue(r.get(), i, 0));
  tables_ = out;
  return out;
}

Result<std::string> PgConn::ShareSnapshot() {
  JFS_ASSIGN_OR_RETURN(StmtRef s, Prepare("SELECT pg_export_snapshot()"));
  JFS_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::IOError("postgres: pg_export_snapshot returned nothing");
  return std::string(s->ColBlob(0));
}

Status PgConn::JoinSnapshot(const std::string& id) {
  if (id.find_first_not_of("0123456789ABCDEF-") != std::string::npos) {
    return Status::InvalidArgument("not a snapshot id: " + id);
  }
  JFS_RETURN_IF_ERROR(BeginRead());
  return Exec("SET TRANSACTION SNAPSHOT '" + id + "'");
}

Status PgConn::ExecText(const std::string& sql) {
  if (pipelined_) {
    JFS_RETURN_IF_ERROR(SetPipelined(false));
    Status st = ExecText(sql);
    JFS_RETURN_IF_ERROR(SetPipelined(true));
    return st;
  }
  int params = 0;
  std::string text = Rewrite(sql, &params);
  ResultPtr r(PQexec(pg_, text.c_str()));
  JFS_RETURN_IF_ERROR(ResultStatus(pg_, r.get(), "exec"));
  if (sql.starts_with("CREATE TABLE") || sql.starts_with("DROP TABLE")) tables_.clear();
  return Status::OK();
}

// A statement naming a table the schema lacks fails before it reaches the
// server: in PostgreSQL any error aborts the transaction around it, and
// reads of an older volume treat a missing table as an empty one.
Status PgConn::CheckTables(const std::string& sql) {
  if (pipelined_) return Status::OK();  // a bulk load, after its tables were made
  const std::string& prefix = table_prefix();
  auto word = [](char c) {
    return islower(static_cast<unsigned char>(c)) || isdigit(static_cast<unsigned char>(c)) ||
           c == '_';
  };
  bool quoted = false;  // names in '...' are values, not tables
  for (size_t at = 0; at < sql.size(); at++) {
    if (sql[at] == '\'') quoted = !quoted;
    if (quoted || sql.compare(at, prefix.size(), prefix) != 0 || (at > 0 && word(sql[at - 1]))) {
      continue;
    }
    size_t end = at;
    while (end < sql.size() && word(sql[end])) end++;
    std::string table = sql.substr(at, end - at);
    at = end - 1;
    if (std::find(tables_.begin(), tables_.end(), table) != tables_.end()) continue;
    JFS_ASSIGN_OR_RETURN(auto tables, Tables());
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
      return Status::NotFound("no such table: " + table);
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<SqlStmt>> PgConn::Compile(const std::string& sql, bool stream) {
  JFS_RETURN_IF_ERROR(CheckTables(sql));
  if (pipelined_) {
    // A plain INSERT (nothing after its values) becomes a row of a COPY.
    if (auto insert = ParseGatherableInsert(sql); insert && insert->rest.empty()) {
      std::string copy = "COPY " + insert->table + insert->columns + " FROM STDIN";
      auto& data = copies_[copy];
      data.copy = copy;
      return std::unique_ptr<SqlStmt>(std::make_unique<CopyStmt>(this, &data, insert->count));
    }
  }
  int params = 0;
  std::string text = Rewrite(sql, &params);
  std::string name;
  if (!stream) {
    name = NextName('s');
    if (pipelined_) {
      if (!PQsendPrepare(pg_, name.c_str(), text.c_str(), params, nullptr)) {
        return ConnError(pg_, "send");
      }
      JFS_RETURN_IF_ERROR(Sent());
    } else {
      ResultPtr r(PQprepare(pg_, name.c_str(), text.c_str(), params, nullptr));
      JFS_RETURN_IF_ERROR(ResultStatus(pg_, r.get(), "prepare"));
    }
  }
  return std::unique_ptr<SqlStmt>(
      std::make_unique<PgStmt>(this, std::move(text), params, stream, std::move(name)));
}

Status PgConn::Sent() {
  if (++pending_ < kPipelineDepth) return Status::OK();
  return Drain();
}

Status PgConn::Drain() {
  if (pending_ == 0) return Status::OK();
  pending_ = 0;
  if (!PQpipelineSync(pg_)) return ConnError(pg_, "sync");
  Status first;
  while (true) {
    PGresult* r = PQgetResult(pg_);
    if (r == nullptr) {
      if (PQstatus(pg_) == CONNECTION_BAD) return ConnError(pg_, "pipeline");
      continue;  // the end of one statement's results
    }
    ResultPtr owned(r);
    ExecStatusType t = PQresultStatus(r);
    if (t == PGRES_PIPELINE_SYNC) break;
    if (t == PGRES_PIPELINE_ABORTED) continue;  // after the first error
    Status st = ResultStatus(pg_, r, "pipeline");
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

Status PgConn::SetPipelined(bool on) {
  if (on == pipelined_) return Status::OK();
  if (on) {
    if (!PQenterPipelineMode(pg_)) return ConnError(pg_, "pipeline");
    pipelined_ = true;
    return Status::OK();
  }
  Status st = Drain();
  pipelined_ = false;
  if (!PQexitPipelineMode(pg_)) return st.ok() ? ConnError(pg_, "pipeline") : st;
  JFS_RETURN_IF_ERROR(st);
  for (auto& [copy, data] : copies_) JFS_RETURN_IF_ERROR(SendCopy(&data));
  return Status::OK();
}

Status PgConn::Copied(CopyData* data) {
  if (data->rows.size() < kCopyBytes) return Status::OK();
  // COPY cannot run in a pipeline: the pipeline ends for it.
  JFS_RETURN_IF_ERROR(SetPipelined(false));
  return SetPipelined(true);
}

Status PgConn::SendCopy(CopyData* data) {
  if (data->rows.empty()) return Status::OK();
  ResultPtr r(PQexec(pg_, data->copy.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COPY_IN) return ResultStatus(pg_, r.get(), "copy");
  bool sent = PQputCopyData(pg_, data->rows.data(), static_cast<int>(data->rows.size())) == 1 &&
              PQputCopyEnd(pg_, nullptr) == 1;
  data->rows.clear();
  Status st = sent ? Status::OK() : ConnError(pg_, "copy");
  while (PGresult* end = PQgetResult(pg_)) {
    ResultPtr owned(end);
    if (st.ok()) st = ResultStatus(pg_, end, "copy");
  }
  return st;
}

}  // namespace jfsbr
