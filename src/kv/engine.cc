#include "kv/engine.h"

#include <map>

#include "model/records.h"

namespace jfsbr {
namespace {

// Reads ahead kPage keys at a time through Scan.
class ScanCursor final : public KvCursor {
 public:
  explicit ScanCursor(KvReader* r) : r_(r) {}
  void Seek(std::string_view target) override { Fill(std::string(target), false); }
  bool Valid() const override { return i_ < rows_.size(); }
  void Next() override {
    if (++i_ == rows_.size() && more_) Fill(rows_.back().first, true);
  }
  std::string_view key() const override { return rows_[i_].first; }
  std::string_view value() const override { return rows_[i_].second; }
  Status status() const override { return status_; }

 private:
  static constexpr size_t kPage = 64;
  void Fill(std::string from, bool after) {
    if (after) from.push_back('\0');  // the smallest key after `from`
    rows_.clear();
    i_ = 0;
    status_ = r_->Scan(from, "", [&](std::string_view k, std::string_view v) {
      rows_.emplace_back(k, v);
      return rows_.size() < kPage;
    });
    if (!status_.ok()) rows_.clear();
    more_ = rows_.size() == kPage;
  }

  KvReader* r_;
  std::vector<std::pair<std::string, std::string>> rows_;
  size_t i_ = 0;
  bool more_ = false;
  Status status_;
};

class Borrowed final : public KvEngine {
 public:
  explicit Borrowed(KvEngine* e) : e_(e) {}
  Result<std::optional<std::string>> Get(std::string_view k) override { return e_->Get(k); }
  Status Scan(std::string_view b, std::string_view e, const ScanFn& fn) override {
    return e_->Scan(b, e, fn);
  }
  std::unique_ptr<KvCursor> NewCursor() override { return e_->NewCursor(); }
  Status Commit(const WriteBatch& b) override { return e_->Commit(b); }
  Result<std::unique_ptr<KvSnapshot>> Snapshot() override { return e_->Snapshot(); }
  Result<uint64_t> Version() override { return e_->Version(); }
  std::string Describe() const override { return e_->Describe(); }

 private:
  KvEngine* e_;
};

}  // namespace

std::unique_ptr<KvEngine> BorrowEngine(KvEngine* engine) {
  return std::make_unique<Borrowed>(engine);
}

std::unique_ptr<KvCursor> KvReader::NewCursor() { return std::make_unique<ScanCursor>(this); }

Result<std::vector<std::pair<std::string, std::optional<std::string>>>> ResolveBatch(
    const WriteBatch& batch, const CurrentFn& current) {
  std::map<std::string, std::optional<std::string>> final;
  for (const auto& op : batch.ops) {
    switch (op.kind) {
      case WriteBatch::OpKind::kPut:
        final[op.key] = op.value;
        break;
      case WriteBatch::OpKind::kDelete:
        final[op.key] = std::nullopt;
        break;
      case WriteBatch::OpKind::kAddLE64: {
        std::optional<std::string> old;
        if (auto it = final.find(op.key); it != final.end()) {
          old = it->second;
        } else {
          JFS_ASSIGN_OR_RETURN(old, current(op.key));
        }
        int64_t v = 0;
        if (old) {
          auto decoded = DecodeCounterLE(*old);
          if (!decoded.ok()) return decoded.status().Annotate("counter");
          v = *decoded;
        }
        final[op.key] = EncodeCounterLE(v + op.delta);
        break;
      }
    }
  }
  return std::vector<std::pair<std::string, std::optional<std::string>>>(final.begin(),
                                                                         final.end());
}

Status CheckConditions(const WriteBatch& batch, const CurrentFn& current) {
  for (const auto& c : batch.conditions) {
    JFS_ASSIGN_OR_RETURN(auto now, current(c.key));
    if (now != c.expected) return Status::Conflict("a key read by the transaction changed");
  }
  return Status::OK();
}

}  // namespace jfsbr
