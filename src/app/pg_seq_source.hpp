#pragma once
// The cluster's SeqSource on PostgreSQL: tenants' heads from the sequencer table, repairs from the store.
// heads() runs its query on the caller's thread (the cluster thread, every probe): one indexed scan of a
// row per tenant, bounded by a statement timeout, on a connection of its own (reopened after a failure),
// so a probe never queues behind ingest on the store's connections.
#include <memory>
#include <mutex>
#include <string>

#include "cluster/seq_source.hpp"
#include "store/pg_conn.hpp"
#include "store/store.hpp"

namespace fleet::app {

class PgSeqSource final : public cluster::SeqSource {
 public:
  // `store` answers events_after and must outlive this. `uri` is the store's database.
  PgSeqSource(std::string uri, store::Store& store) : uri_(std::move(uri)), store_(store) {}

  void heads(store::Callback<std::vector<cluster::TenantHead>> done) override;
  void events_after(TenantId tenant, Seq since, std::size_t max,
                    store::Callback<store::Recovery> done) override;

 private:
  const std::string uri_;
  store::Store& store_;
  std::mutex mu_;  // the connection is one thread's at a time
  std::unique_ptr<store::PgConn> conn_;
};

}  // namespace fleet::app
