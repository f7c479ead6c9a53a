#pragma once
// Shares in SQLite (store.hpp, "Shares"): tables shares and share_devices (schema step 3). Synchronous, on
// the store thread only (SqliteRepo owns it and is its only caller). A share and its devices are written
// in one transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace fleet::store {

class SqliteShares {
 public:
  explicit SqliteShares(Db& db) noexcept : db_(db) {}

  Result<Share> create(Share share, std::int64_t now_ms);
  Result<std::vector<Share>> list(const TenantId& tenant);
  Result<Share> revoke(const TenantId& tenant, const std::string& id, std::int64_t now_ms);
  Result<std::vector<Share>> active(std::int64_t now_ms);

 private:
  // Runs one of the share SELECTs (bound by `bind`) and groups its rows into shares.
  template <class Bind>
  Result<std::vector<Share>> query(const char* sql, Bind bind);

  Db& db_;
};

}  // namespace fleet::store
