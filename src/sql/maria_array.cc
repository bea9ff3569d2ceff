// Array-bound INSERTs of a MariaDB bulk load (maria_array.h).
#include "sql/maria_array.h"

#include <mysql.h>

#include "sql/maria_error.h"

namespace jfsbr {

MariaArrayInsert::MariaArrayInsert(MYSQL* my, std::string sql, int columns)
    : my_(my), sql_(std::move(sql)), cols_(columns), row_(columns) {}

MariaArrayInsert::~MariaArrayInsert() {
  if (stmt_ != nullptr) mysql_stmt_close(stmt_);
}

bool MariaArrayInsert::Supported(MYSQL* my) {
  unsigned long caps = 0;
  if (mariadb_get_infov(my, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &caps) != 0) {
    return false;
  }
  return (caps & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) != 0;
}

void MariaArrayInsert::Int(int i, int64_t v) {
  if (i < 1 || i > static_cast<int>(row_.size())) return;
  row_[i - 1].type = MYSQL_TYPE_LONGLONG;
  row_[i - 1].i = v;
}

void MariaArrayInsert::Bytes(int i, std::string_view v, bool text) {
  if (i < 1 || i > static_cast<int>(row_.size())) return;
  row_[i - 1].type = text ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
  row_[i - 1].s.assign(v);
}

void MariaArrayInsert::DropRow() {
  for (Pending& p : row_) p.type = 0;
}

Status MariaArrayInsert::EndRow() {
  // A column's values share one type: a row that changes it starts a new
  // execution (never, for the rows a load writes).
  for (size_t c = 0; c < cols_.size(); c++) {
    if (row_[c].type != 0 && cols_[c].type != 0 && row_[c].type != cols_[c].type) {
      JFS_RETURN_IF_ERROR(Send());
      break;
    }
  }
  for (size_t c = 0; c < cols_.size(); c++) {
    Column& col = cols_[c];
    Pending& p = row_[c];
    if (p.type != 0 && col.type == 0) {
      col.type = p.type;
      // The rows before had NULL here: their places in the new array.
      if (p.type == MYSQL_TYPE_LONGLONG) {
        col.ints.resize(rows_);
      } else {
        col.lengths.resize(rows_);
      }
    }
    col.indicators.push_back(p.type != 0 ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL);
    if (col.type == MYSQL_TYPE_LONGLONG) {
      col.ints.push_back(p.type != 0 ? p.i : 0);
      bytes_ += 9;
    } else if (col.type != 0) {
      size_t n = p.type != 0 ? p.s.size() : 0;
      col.bytes.append(p.s.data(), n);
      col.lengths.push_back(static_cast<unsigned long>(n));
      bytes_ += n + 4;
    } else {
      bytes_ += 1;
    }
    p.type = 0;
  }
  rows_++;
  return Status::OK();
}

Status MariaArrayInsert::Send() {
  if (rows_ == 0) return Status::OK();
  Status st = Execute();
  for (Column& c : cols_) {  // (their buffers kept for the next rows)
    c.type = 0;
    c.ints.clear();
    c.bytes.clear();
    c.lengths.clear();
    c.indicators.clear();
  }
  rows_ = 0;
  bytes_ = 0;
  return st;
}

Status MariaArrayInsert::Execute() {
  if (stmt_ == nullptr) {
    stmt_ = mysql_stmt_init(my_);
    if (stmt_ == nullptr) return MariaConnError(my_, "prepare");
    if (mysql_stmt_prepare(stmt_, sql_.data(), sql_.size()) != 0) {
      Status st = MariaError(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), "prepare");
      mysql_stmt_close(stmt_);
      stmt_ = nullptr;
      return st;
    }
  }
  std::vector<MYSQL_BIND> binds(cols_.size());
  // Column-wise arrays: fixed-size values one after the other, strings as
  // an array of pointers beside their lengths.
  std::vector<std::vector<char*>> ptrs(cols_.size());
  for (size_t c = 0; c < cols_.size(); c++) {
    Column& col = cols_[c];
    MYSQL_BIND& b = binds[c];
    b = MYSQL_BIND{};
    b.u.indicator = col.indicators.data();
    if (col.type == 0) {  // NULL in every row
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      col.ints.assign(rows_, 0);
      b.buffer = col.ints.data();
    } else if (col.type == MYSQL_TYPE_LONGLONG) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = col.ints.data();
    } else {
      b.buffer_type = static_cast<enum_field_types>(col.type);
      ptrs[c].resize(rows_);
      char* at = col.bytes.data();
      for (size_t r = 0; r < rows_; r++) {
        ptrs[c][r] = at;
        at += col.lengths[r];
      }
      b.buffer = ptrs[c].data();
      b.length = col.lengths.data();
    }
  }
  auto fail = [&](const char* what) {
    return MariaError(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), what);
  };
  unsigned int n = static_cast<unsigned int>(rows_);
  if (mysql_stmt_attr_set(stmt_, STMT_ATTR_ARRAY_SIZE, &n) != 0) return fail("bind");
  if (mysql_stmt_bind_param(stmt_, binds.data()) != 0) return fail("bind");
  if (mysql_stmt_execute(stmt_) != 0) return fail("load");
  return MariaWarnings(my_, false);
}

}  // namespace jfsbr
