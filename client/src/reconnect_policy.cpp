#include "fleet/reconnect_policy.hpp"

#include "proto/close_codes.hpp"

namespace fleet {
namespace {

bool is(std::string_view reason, proto::CloseReason r) noexcept {
  return reason == proto::close_info(r).reason;
}

}  // namespace

AfterClose after_close(std::uint16_t code, std::string_view reason, bool refreshed_in_band) noexcept {
  if (!proto::needs_new_token(code)) return AfterClose::reconnect;
  const bool another_principal =
      is(reason, proto::CloseReason::org_changed) || is(reason, proto::CloseReason::token_mismatch);
  if (refreshed_in_band && another_principal) return AfterClose::reconnect_now_with_token;
  // Our since / epoch were refused: resuming again would be refused again.
  if (is(reason, proto::CloseReason::invalid_resume)) return AfterClose::reconnect_fresh;
  // The auth message did not arrive in time: the network was slow, the token may be fine.
  if (is(reason, proto::CloseReason::auth_timeout)) return AfterClose::reconnect;
  return AfterClose::wait_for_token;
}

const char* to_string(AfterClose a) noexcept {
  switch (a) {
    case AfterClose::reconnect: return "reconnect";
    case AfterClose::reconnect_fresh: return "reconnect_fresh";
    case AfterClose::reconnect_now_with_token: return "reconnect_now_with_token";
    case AfterClose::wait_for_token: return "wait_for_token";
  }
  return "unknown";
}

}  // namespace fleet
