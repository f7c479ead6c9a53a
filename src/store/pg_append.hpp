#pragma once
// PgStore's group commit: many appends in one transaction that takes each tenant's seq range from the
// sequencer row (tenant_stream), inserts the points and moves the devices' last positions. The tenant
// row's lock, held until COMMIT, orders the writers of every node: seq order is commit order.
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/pg_conn.hpp"
#include "store/store.hpp"

namespace fleet::store {

class PgAppender {
 public:
  // Stores the appends in one transaction (BEGIN .. COMMIT on `conn`). On success, each append's own
  // answer in order: stored with its seqs, or refused (unauthorized for an unknown or revoked key,
  // invalid_field for an empty batch) without being stored. On failure nothing was stored (unless the
  // connection died during COMMIT, when the outcome is unknown) and the error says why:
  // storage_unavailable for a lost or refusing server, conn.last_sqlstate() telling a deadlock.
  // The requests must stay alive and unchanged for the call.
  Result<std::vector<Result<AppendResult>>> commit(PgConn& conn,
                                                   const std::vector<const AppendRequest*>& reqs);

 private:
  Result<std::vector<Result<AppendResult>>> stage(PgConn& conn,
                                                  const std::vector<const AppendRequest*>& reqs);

  // One array per telemetry column, reused from group to group.
  PgArrayText tenant_, seq_, device_, ts_, received_, lat_, lon_, speed_, heading_, altitude_, accuracy_,
      battery_, attributes_;
  PgArrayText last_id_, last_seq_, last_ts_;
  PgParams params_;
};

}  // namespace fleet::store
