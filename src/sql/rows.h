// One SQL connection's reads and writes of records as rows of JuiceFS's
// tables: what every kind of record is in SQL (see sql_meta.h for the
// mapping's rules). Used by SqlMeta's transactions, snapshots and loads.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meta/meta.h"
#include "sql/conn.h"

namespace jfsbr {

class RowsImpl;

class Rows {
 public:
  // bulk: a load into empty tables whose unique indexes are built at the
  // end, so rows are inserted plainly (an upsert needs its index).
  explicit Rows(SqlConn* db, bool bulk = false);
  ~Rows();

  Result<std::optional<std::string>> Get(const RecordKey& key);
  // Get of the slice refs among keys, many to a query; other kinds are skipped.
  using Found = std::vector<std::pair<RecordKey, std::optional<std::string>>>;
  Status GetSliceRefs(std::span<const RecordKey> keys, Found* out);
  Status Put(const RecordKey& key, std::string_view value);
  Status Delete(const RecordKey& key);
  // Counters and slice refs; parent counts are derived, adds to them dropped.
  Status Add(const RecordKey& key, int64_t delta);
  Status Scan(const RecordRange& range, const RecordFn& fn);

 private:
  std::unique_ptr<RowsImpl> impl_;
};

}  // namespace jfsbr
