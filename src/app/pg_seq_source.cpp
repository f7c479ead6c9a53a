#include "app/pg_seq_source.hpp"

#include "obs/thread_name.hpp"

namespace fleet::app {

PgSeqSource::PgSeqSource(std::string uri, store::Store& store) : uri_(std::move(uri)), store_(store) {
  thread_ = std::thread([this] { run(); });
}

PgSeqSource::~PgSeqSource() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  for (auto& done : waiting_) done(make_error(ErrorCode::unavailable, "stopping"));
}

void PgSeqSource::heads(store::Callback<std::vector<cluster::TenantHead>> done) {
  {
    const std::lock_guard lock(mu_);
    if (!stopping_) {
      waiting_.push_back(std::move(done));
      wake_.notify_one();
      return;
    }
  }
  done(make_error(ErrorCode::unavailable, "stopping"));
}

void PgSeqSource::events_after(TenantId tenant, Seq since, std::size_t max,
                               store::Callback<store::Recovery> done) {
  store_.events_after(std::move(tenant), since, max, std::move(done));
}

void PgSeqSource::run() {
  obs::set_thread_name("fleet-probe");
  std::vector<store::Callback<std::vector<cluster::TenantHead>>> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      batch.swap(waiting_);
    }
    const auto answer = query_heads();
    for (auto& done : batch) done(answer);
    batch.clear();
  }
}

Result<std::vector<cluster::TenantHead>> PgSeqSource::query_heads() {
  if (!conn_ || !conn_->ok()) {
    // While PostgreSQL is down there is nothing to repair anyway; short timeouts keep the next probe due.
    auto c = store::PgConn::connect(uri_ + (uri_.find('?') == std::string::npos ? "?" : "&") +
                                    "connect_timeout=2&options=-c%20statement_timeout%3D2000");
    if (!c) {
      conn_.reset();
      return c.error();
    }
    conn_ = std::move(*c);
  }
  auto r = conn_->query("SELECT tenant, seq FROM tenant_stream");
  if (!r) return r.error();
  std::vector<cluster::TenantHead> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i)
    out.push_back({TenantId(r->text(i, 0)), static_cast<Seq>(r->int64(i, 1))});
  return out;
}

}  // namespace fleet::app
