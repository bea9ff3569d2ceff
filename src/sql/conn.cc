// The parts of a connection every database shares: the statement cache and
// the table prefix.
#include "sql/conn.h"

namespace jfsbr {

Status SqlStmt::Run() {
  while (true) {
    JFS_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

StmtRef::~StmtRef() {
  if (s_ == nullptr) return;
  s_->Reset();
  s_->busy_ = false;
}

std::string SqlConn::Prefixed(std::string_view sql) const {
  std::string out(sql);
  if (prefix_.empty() || prefix_ == kDefault) return out;
  for (size_t at = 0; (at = out.find(kDefault, at)) != std::string::npos; at += prefix_.size()) {
    out.replace(at, kDefault.size(), prefix_);
  }
  return out;
}

Result<StmtRef> SqlConn::Prepare(const std::string& sql, bool stream) {
  auto& cache = cache_[stream];
  auto it = cache.find(sql);
  if (it == cache.end()) {
    JFS_ASSIGN_OR_RETURN(auto stmt, Compile(Prefixed(sql), stream));
    it = cache.emplace(sql, std::move(stmt)).first;
  }
  if (it->second->busy_) {
    JFS_ASSIGN_OR_RETURN(auto fresh, Compile(Prefixed(sql), stream));
    SqlStmt* p = fresh.get();
    p->busy_ = true;
    return StmtRef(p, std::move(fresh));
  }
  it->second->busy_ = true;
  return StmtRef(it->second.get(), nullptr);
}

bool IsMissingTable(const Status& st) {
  return !st.ok() && st.message().find("no such table") != std::string::npos;
}

}  // namespace jfsbr
