// The shared parts of the bulk loads' gathering statements.
#include "sql/row_gather.h"

#include <algorithm>

namespace jfsbr {

void RowGatherStmt::Reset() { std::fill(values_.begin(), values_.end(), std::nullopt); }

SqlStmt& RowGatherStmt::Set(int i, std::string v) {
  if (i >= 1 && i <= static_cast<int>(values_.size())) values_[i - 1] = std::move(v);
  return *this;
}

void RowGatherStmt::AppendTsv(std::string* rows) const {
  for (size_t i = 0; i < values_.size(); i++) {
    if (i) *rows += '\t';
    *rows += values_[i] ? *values_[i] : "\\N";
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

std::string TsvEscaped(std::string_view v) {
  std::string out;
  out.reserve(v.size() + 8);
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace jfsbr
