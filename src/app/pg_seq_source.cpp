#include "app/pg_seq_source.hpp"

namespace fleet::app {

void PgSeqSource::heads(store::Callback<std::vector<cluster::TenantHead>> done) {
  Result<std::vector<cluster::TenantHead>> out = std::vector<cluster::TenantHead>{};
  {
    const std::lock_guard lock(mu_);
    if (!conn_ || !conn_->ok()) {
      // A short connect timeout: while PostgreSQL is down there is nothing to repair anyway, and the
      // probe must not hold up the delivery of what the bus brings.
      auto c = store::PgConn::connect(uri_ + (uri_.find('?') == std::string::npos ? "?" : "&") +
                                      "connect_timeout=2&options=-c%20statement_timeout%3D2000");
      if (c) {
        conn_ = std::move(*c);
      } else {
        conn_.reset();
        out = c.error();
      }
    }
    if (conn_) {
      auto r = conn_->query("SELECT tenant, seq FROM tenant_stream");
      if (!r) {
        out = r.error();
      } else {
        out->reserve(static_cast<std::size_t>(r->rows()));
        for (int i = 0; i < r->rows(); ++i)
          out->push_back({TenantId(r->text(i, 0)), static_cast<Seq>(r->int64(i, 1))});
      }
    }
  }
  done(std::move(out));
}

void PgSeqSource::events_after(TenantId tenant, Seq since, std::size_t max,
                               store::Callback<store::Recovery> done) {
  store_.events_after(std::move(tenant), since, max, std::move(done));
}

}  // namespace fleet::app
