#pragma once
// Helpers shared by the store tests: blocking calls over the callback API, temp dirs, point builders.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <ostream>
#include <string>

#include "core/telemetry.hpp"
#include "store/store.hpp"

namespace fleet {
// gtest prints ids by their text in failure messages (found by ADL), not as bytes.
template <class Tag>
void PrintTo(const StrongId<Tag>& id, std::ostream* os) {
  *os << id.str();
}
}  // namespace fleet

namespace fleet::store::testing {

// Runs an asynchronous store call and waits for its callback.
template <class T, class F>
Result<T> call(F&& f) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  f([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

inline Result<Device> create(Store& s, const std::string& tenant, const std::string& name,
                             const std::string& key) {
  return call<Device>([&](auto cb) { s.create_device(TenantId(tenant), name, key, cb); });
}

inline TelemetryPoint point(std::int64_t ts_ms, double lat = 1.0, double lon = 2.0) {
  TelemetryPoint p;
  p.ts_ms = ts_ms;
  p.lat = lat;
  p.lon = lon;
  return p;
}

inline Result<AppendResult> append(Store& s, const std::string& key, std::vector<TelemetryPoint> pts,
                                   std::int64_t received_ms = 1'700'000'000'000) {
  return call<AppendResult>([&](auto cb) { s.append(AppendRequest{key, std::move(pts), received_ms}, cb); });
}

inline Result<HistoryPage> history(Store& s, HistoryQuery q) {
  return call<HistoryPage>([&](auto cb) { s.history(std::move(q), cb); });
}

inline Result<Snapshot> snapshot(Store& s, const std::string& tenant) {
  return call<Snapshot>([&](auto cb) { s.snapshot(TenantId(tenant), cb); });
}

inline Result<Recovery> events_after(Store& s, const std::string& tenant, Seq since, std::size_t max_events) {
  return call<Recovery>([&](auto cb) { s.events_after(TenantId(tenant), since, max_events, cb); });
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fleet_store_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace fleet::store::testing
