#include "app/pg_shared_secret.hpp"

#include "store/pg_conn.hpp"

namespace fleet::app {

Result<std::string> pg_shared_secret(const std::string& uri, const std::string& name,
                                     const std::string& offer) {
  auto conn = store::PgConn::connect(uri);
  if (!conn) return conn.error();
  store::PgParams params;
  params.add(name).add(offer);
  // Concurrent first starts race here: ON CONFLICT makes the loser keep the winner's value.
  auto kept = (*conn)->query(
      "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key "
      "RETURNING value",
      params);
  if (!kept) return kept.error();
  if (kept->rows() != 1) return make_error(ErrorCode::internal, "cannot store the shared secret " + name);
  return kept->text(0, 0);
}

}  // namespace fleet::app
