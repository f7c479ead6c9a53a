#pragma once
// How a store thread hands a result to its caller's callback.
#include <exception>
#include <utility>

#include "obs/log.hpp"
#include "store/store.hpp"

namespace fleet::store {

// Callbacks belong to other layers; one that throws must not take a store thread (and every pending
// acknowledgement) down with it: the exception is logged and dropped.
template <class T>
void deliver(const Callback<T>& done, Result<T> r) noexcept {
  try {
    done(std::move(r));
  } catch (const std::exception& e) {
    obs::error("store callback threw", {{"what", e.what()}});
  } catch (...) {
    obs::error("store callback threw");
  }
}

}  // namespace fleet::store
