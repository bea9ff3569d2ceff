// The shared parts of the bulk loads' gathering statements.
#include "sql/row_gather.h"

#include <algorithm>
#include <charconv>

namespace jfsbr {

void RowGatherStmt::Reset() { std::fill(set_.begin(), set_.end(), false); }

std::string* RowGatherStmt::Field(int i) {
  if (i < 1 || i > static_cast<int>(values_.size())) return nullptr;
  set_[i - 1] = true;
  values_[i - 1].clear();
  return &values_[i - 1];
}

SqlStmt& RowGatherStmt::SetInt(int i, int64_t v) {
  if (std::string* f = Field(i)) {
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
    f->append(buf, end);
  }
  return *this;
}

SqlStmt& RowGatherStmt::SetTsvEscaped(int i, std::string_view v) {
  if (std::string* f = Field(i)) AppendTsvEscaped(f, v);
  return *this;
}

void RowGatherStmt::AppendTsv(std::string* rows) const {
  for (size_t i = 0; i < values_.size(); i++) {
    if (i) *rows += '\t';
    *rows += set_[i] ? std::string_view(values_[i]) : "\\N";
  }
  *rows += '\n';
}

std::optional<GatherableInsert> ParseGatherableInsert(const std::string& sql) {
  constexpr std::string_view kInsert = "INSERT INTO ";
  if (!sql.starts_with(kInsert)) return {};
  size_t open = sql.find('('), close = sql.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  if (sql.compare(close, 9, ") VALUES(") != 0) return {};
  size_t end = sql.find(')', close + 9);
  if (end == std::string::npos) return {};
  GatherableInsert g;
  g.count = static_cast<int>(std::count(sql.begin() + open, sql.begin() + close, ',')) + 1;
  if (std::count(sql.begin(), sql.end(), '?') != g.count ||
      std::count(sql.begin() + close, sql.begin() + end, '?') != g.count) {
    return {};
  }
  g.rest = sql.substr(end + 1);
  if (!g.rest.empty() && !g.rest.starts_with(" ON CONFLICT(")) return {};
  g.table = sql.substr(kInsert.size(), open - kInsert.size());
  g.columns = sql.substr(open, close + 1 - open);
  return g;
}

void AppendTsvEscaped(std::string* out, std::string_view v) {
  // Runs of plain bytes go in whole; names and slices rarely hold one to escape.
  size_t start = 0;
  for (size_t i = 0; i < v.size(); i++) {
    char e;
    switch (v[i]) {
      case '\\': e = '\\'; break;
      case '\t': e = 't'; break;
      case '\n': e = 'n'; break;
      case '\r': e = 'r'; break;
      case '\0': e = '0'; break;
      default: continue;
    }
    out->append(v.substr(start, i - start));
    *out += '\\';
    *out += e;
    start = i + 1;
  }
  out->append(v.substr(start));
}

}  // namespace jfsbr
