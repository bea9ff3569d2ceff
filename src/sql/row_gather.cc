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
