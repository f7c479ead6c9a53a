#include "api/bearer.hpp"
#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "auth/secrets.hpp"
#include "obs/metrics.hpp"
#include "proto/json_writer.hpp"
#include "proto/messages.hpp"

namespace fleet::api {
namespace {

struct IngestMetrics {
  obs::Counter& batches =
      obs::Registry::global().counter("fleet_ingest_batches_total", "Telemetry batches durably stored");
  obs::Counter& points =
      obs::Registry::global().counter("fleet_ingest_points_total", "Telemetry points durably stored");
  obs::Counter& rejected =
      obs::Registry::global().counter("fleet_ingest_rejected_total", "Telemetry requests refused (4xx/5xx)");
  static IngestMetrics& get() {
    static IngestMetrics m;
    return m;
  }
};

// Registered at start-up so every series is exported (as 0) before its first event.
[[maybe_unused]] const IngestMetrics& registered_ingestmetrics = IngestMetrics::get();

}  // namespace

std::optional<Response> admit_ingest(const ApiContext& ctx, std::string_view authorization) {
  auto refuse = [](Response r) {
    IngestMetrics::get().rejected.inc();
    return r;
  };
  const auto key = bearer_credentials(authorization);
  if (!key)
    return refuse(
        error_response(ErrorCode::unauthorized, "missing device key (Authorization: Bearer <key>)"));
  auto key_hash = auth::sha256_hex(*key);
  if (!key_hash) return refuse(error_response(key_hash.error()));
  if (!ctx.store.device_key_active(*key_hash)) {
    return refuse(error_response(ErrorCode::unauthorized, "unknown or revoked device key"));
  }
  return std::nullopt;
}

void handle_ingest(ApiContext& ctx, Request req, Responder done) {
  auto& metrics = IngestMetrics::get();
  const auto key = bearer_credentials(req.authorization);
  if (!key) {
    metrics.rejected.inc();
    return done(error_response(ErrorCode::unauthorized, "missing device key (Authorization: Bearer <key>)"));
  }
  auto key_hash = auth::sha256_hex(*key);
  if (!key_hash) return done(error_response(key_hash.error()));
  // The key before the body: an unknown key is 401 whatever it sent, and costs no parsing.
  if (!ctx.store.device_key_active(*key_hash)) {
    metrics.rejected.inc();
    return done(error_response(ErrorCode::unauthorized, "unknown or revoked device key"));
  }
  const std::int64_t now = ctx.clock.now_ms();
  auto points = parse_telemetry_body(req.body, ctx.ingest, now);
  if (!points) {
    metrics.rejected.inc();
    return done(error_response(points.error()));
  }
  store::AppendRequest append{std::move(*key_hash), std::move(*points), now};
  ctx.store.append(std::move(append), [&broker = ctx.broker, &index = ctx.device_index, &metrics,
                                       done = std::move(done)](Result<store::AppendResult> r) {
    if (!r) {
      metrics.rejected.inc();
      return done(error_response(r.error()));
    }
    // Runs on the store thread in commit order, so publishing here keeps each tenant's seq
    // order.
    broker.publish(proto::encode_batch(r->tenant, r->points, index));
    metrics.batches.inc();
    metrics.points.inc(r->points.size());
    std::string body = R"({"accepted":)";
    proto::append_json_number(body, static_cast<std::uint64_t>(r->points.size()));
    body += R"(,"last_seq":)";
    proto::append_json_number(body, std::uint64_t{r->last_seq});
    body += '}';
    done(json_response(202, std::move(body)));
  });
}

}  // namespace fleet::api
