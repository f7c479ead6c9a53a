#pragma once
// A KeySource that keeps the key set of a JWKS URL (e.g. Clerk's
// https://<frontend-api>/.well-known/jwks.json) fresh: one fetch at start, one every `refresh_interval`, and
// on demand (unknown kid) at most once per `min_refresh_gap`. Fetching runs on its own thread and io_context,
// so verification never waits on it.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "auth/key_source.hpp"
#include "core/result.hpp"

namespace fleet::net {

struct JwksFetcherConfig {
  // https://..., or http://... only for a loopback host (127.0.0.0/8, ::1, localhost): a JWKS fetched
  // in clear over a network could be swapped for an attacker's keys.
  std::string url;
  std::chrono::milliseconds timeout{5000};  // whole fetch: resolve, connect, TLS, request, response
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds refresh_interval{10 * 60 * 1000};
  std::chrono::milliseconds retry_interval{30 * 1000};   // next periodic attempt after a failed fetch
  std::chrono::milliseconds min_refresh_gap{10 * 1000};  // on-demand refreshes: at most one per gap
  std::string ca_file;  // extra trusted CA certificates (PEM), in addition to the system store; optional
};

class JwksFetcher final : public auth::KeySource {
 public:
  // Validates the configuration (URL scheme, host, limits); does not fetch. ErrorCode::invalid_field.
  static Result<std::shared_ptr<JwksFetcher>> create(JwksFetcherConfig config);
  ~JwksFetcher() override;  // stop()s  NOLINT(bugprone-exception-escape): see the definition

  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // Starts the fetch thread and the initial fetch; returns at once. Call once.
  void start();
  // Blocks until a key set has been loaded or `timeout` passed; true when keys are loaded. For start-up:
  // the server can refuse to listen without keys, or start anyway and rely on the retries.
  bool wait_for_keys(std::chrono::milliseconds timeout) const;
  // Cancels any fetch in flight, completes pending refresh callbacks and joins the thread. Idempotent.
  // Safe to call from any thread; called from the fetch thread itself it does not wait.
  void stop();

  // The last successfully fetched set (empty before the first success). Failed fetches keep it.
  std::shared_ptr<const auth::KeySet> current() const override;
  // Coalesces with a fetch in flight; otherwise starts one unless the last fetch started less than
  // min_refresh_gap ago (then `done` runs at once: skipped). `done` runs on the fetch thread, or inline
  // when the fetcher is not running.
  void refresh(std::function<void()> done) override;

 private:
  struct Impl;
  explicit JwksFetcher(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace fleet::net
