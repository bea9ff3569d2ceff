#include "kv/engine.h"

#include <map>

#include "model/records.h"

namespace jfsbr {

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
