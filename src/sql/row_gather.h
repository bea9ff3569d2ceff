// A bulk load's statement that runs no SQL of its own: each Step appends
// its row, as text, to the rows a connection gathers for one bulk statement
// (PostgreSQL's COPY, MySQL's LOAD DATA or multi-row INSERT) and sends
// later. The connections derive theirs, with their own value spellings, and
// recognize the statements they can gather with one parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/conn.h"

namespace jfsbr {

class RowGatherStmt : public SqlStmt {
 public:
  explicit RowGatherStmt(int columns) : values_(columns), set_(columns, false) {}
  int64_t ColInt(int) const override { return 0; }
  std::string_view ColBlob(int) const override { return {}; }
  bool ColNull(int) const override { return true; }
  void Reset() override;

 protected:
  // The i-th (1-based) value, emptied for the caller to spell into, or
  // nullptr out of range; unset values are NULL. The buffers live as long
  // as the statement: a row costs no allocation once they have grown.
  std::string* Field(int i);
  SqlStmt& SetInt(int i, int64_t v);
  SqlStmt& SetTsvEscaped(int i, std::string_view v);
  // The row as one line of tab-separated fields, \N for NULL: COPY's text
  // format and LOAD DATA's default.
  void AppendTsv(std::string* rows) const;
  std::vector<std::string> values_;
  std::vector<bool> set_;
};

// "INSERT INTO t(a, b) VALUES(?, ?)" taken apart, perhaps followed by an
// ON CONFLICT clause with no parameters of its own: the statements whose
// rows a bulk load can gather.
struct GatherableInsert {
  std::string table;    // t
  std::string columns;  // (a, b)
  int count = 0;        // of columns (and parameters)
  std::string rest;     // "" or " ON CONFLICT(...) ..."
};
std::optional<GatherableInsert> ParseGatherableInsert(const std::string& sql);

// Appends v to out escaped for a tab-separated field: backslash, tab,
// newline, carriage return and NUL.
void AppendTsvEscaped(std::string* out, std::string_view v);

}  // namespace jfsbr
