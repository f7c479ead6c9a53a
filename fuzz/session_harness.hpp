#pragma once
// A whole fleetd transport for one fuzz input, without threads or ports: a Worker whose io_context the
// harness runs itself, a MemoryStore with one device, the real Router, and the production JwtAuthenticator
// over a dev issuer's keys. The client's bytes reach a real HttpSession (which hands /ws upgrades to a
// real WsSession) over a socket pair; the harness reads and drops what the server answers.
//
// Everything but the issuer and the authenticator is built per input and destroyed after it, so every
// session's memory is freed before the next input (a leak is reported for the input that caused it).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/context.hpp"
#include "api/router.hpp"
#include "auth/share_registry.hpp"
#include "hub/broker.hpp"
#include "net/net_context.hpp"
#include "net/worker.hpp"
#include "store/memory_store.hpp"

namespace fleet::fuzz {

// The fixed world every input sees.
inline constexpr std::string_view kTenant = "org_fuzz";
inline constexpr std::string_view kDeviceKey = "fk_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";
// Replaced in HTTP input by a valid admin token of kTenant, so seeds can reach authenticated routes.
inline constexpr std::string_view kTokenPlaceholder = "@TOKEN@";

// A valid admin token of kTenant (RS256, dev issuer), valid at the harness clock for an hour.
const std::string& valid_token();

class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The tenant's seq space, for resume requests.
  std::string epoch() const { return store_.epoch(TenantId(std::string(kTenant))); }
  // Stores `n` points of the harness device through the ingest route, as a device would.
  void ingest(int n);

  // Connects a client, writes `bytes`, half-closes, and runs the worker until the server hangs up.
  // `on_reply` runs once, when the first bytes of the server's answer arrive. Aborts (a fuzz finding) when
  // the server does not hang up within a few seconds.
  void run_client(std::string_view bytes, const std::function<void()>& on_reply = {});

 private:
  void poll_until_idle();

  store::MemoryStore store_;
  proto::DeviceIndex device_index_;
  hub::LocalBroker broker_;
  net::Worker worker_;
  auth::ShareRegistry shares_;  // keyed by the store's share key: share tokens reach the session code too
  api::ApiContext api_;
  api::Router router_;
  net::NetContext net_;
};

}  // namespace fleet::fuzz
