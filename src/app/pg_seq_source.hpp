#pragma once
// The cluster's SeqSource on PostgreSQL: tenants' heads from the sequencer table, repairs from the store.
// heads() runs its query on a thread of its own, on a connection of its own (reopened after a failure,
// with short connect and statement timeouts), so a probe neither queues behind ingest on the store's
// connections nor holds up the cluster thread while the database is slow or down.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/seq_source.hpp"
#include "store/pg_conn.hpp"
#include "store/store.hpp"

namespace fleet::app {

class PgSeqSource final : public cluster::SeqSource {
 public:
  // `store` answers events_after and must outlive this. `uri` is the store's database.
  PgSeqSource(std::string uri, store::Store& store);
  // Answers every probe still waiting with `unavailable`, then joins the thread.
  ~PgSeqSource() override;
  PgSeqSource(const PgSeqSource&) = delete;
  PgSeqSource& operator=(const PgSeqSource&) = delete;

  // Answered on the probe thread. Probes asked while one runs share its answer's successor: at most one
  // query is in flight, so a slow database is not asked ever more often.
  void heads(store::Callback<std::vector<cluster::TenantHead>> done) override;
  void events_after(TenantId tenant, Seq since, std::size_t max,
                    store::Callback<store::Recovery> done) override;

 private:
  void run();
  Result<std::vector<cluster::TenantHead>> query_heads();

  const std::string uri_;
  store::Store& store_;
  std::unique_ptr<store::PgConn> conn_;  // the probe thread's
  std::mutex mu_;                        // guards waiting_ and stopping_; never held across the query
  std::condition_variable wake_;
  std::vector<store::Callback<std::vector<cluster::TenantHead>>> waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace fleet::app
