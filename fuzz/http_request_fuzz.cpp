// Arbitrary bytes as an HTTP/1.1 client's side of a connection to fleetd (net/http_session): Beast's
// parser, the framing checks (net/http_framing), the request-target split, the router and every API
// handler against an in-memory store, and the WebSocket upgrade checks. Several pipelined requests may
// follow each other. "@TOKEN@" in the input becomes a valid admin token, so authenticated routes are
// reached. Checks: no crash, leak or undefined behaviour, and the server hangs up after the client does
// (session_harness aborts otherwise).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "session_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  for (std::size_t at = 0; (at = input.find(fleet::fuzz::kTokenPlaceholder, at)) != std::string::npos;) {
    input.replace(at, fleet::fuzz::kTokenPlaceholder.size(), fleet::fuzz::valid_token());
    at += fleet::fuzz::valid_token().size();
  }
  fleet::fuzz::Session session;
  session.run_client(input);
  return 0;
}
