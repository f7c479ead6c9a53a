// What clients and orchestrators see when the store cannot take a write: ingest answers 503 with
// Retry-After and a code naming the cause (the disk, or a full queue), and /readyz names the storage
// until a write succeeds again.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "auth/authenticator.hpp"
#include "hub/broker.hpp"
#include "hub/tenant_hub.hpp"
#include "store/memory_store.hpp"

namespace fleet::api {
namespace {

class NoAuthenticator final : public auth::Authenticator {
 public:
  void authenticate(std::string_view, std::function<void(auth::AuthOutcome)> done) override { done({}); }
};

// A MemoryStore whose appends fail with a chosen error and whose disk can be declared failing.
class RefusingStore final : public store::Store {
 public:
  std::optional<Error> append_error;
  std::string failure;

  void append(store::AppendRequest req, store::Callback<store::AppendResult> done) override {
    if (append_error) return done(*append_error);
    inner_.append(std::move(req), std::move(done));
  }
  void create_device(TenantId t, std::string n, std::string k, store::Callback<Device> done) override {
    inner_.create_device(std::move(t), std::move(n), std::move(k), std::move(done));
  }
  void revoke_device(TenantId t, DeviceId id, store::Callback<Device> done) override {
    inner_.revoke_device(std::move(t), std::move(id), std::move(done));
  }
  void get_device(TenantId t, DeviceId id, store::Callback<Device> done) override {
    inner_.get_device(std::move(t), std::move(id), std::move(done));
  }
  void list_devices(TenantId t, store::Callback<std::vector<Device>> done) override {
    inner_.list_devices(std::move(t), std::move(done));
  }
  void snapshot(TenantId t, store::Callback<store::Snapshot> done) override {
    inner_.snapshot(std::move(t), std::move(done));
  }
  void history(store::HistoryQuery q, store::Callback<store::HistoryPage> done) override {
    inner_.history(std::move(q), std::move(done));
  }
  void events_after(TenantId t, Seq since, std::size_t max, store::Callback<store::Recovery> done) override {
    inner_.events_after(std::move(t), since, max, std::move(done));
  }
  std::string epoch(const TenantId& t) const override { return inner_.epoch(t); }
  // Every key is active: these tests are about what happens after the key check.
  bool device_key_active(std::string_view) const override { return true; }
  std::string write_failure() const override { return failure; }
  void create_group(TenantId t, std::string name, std::vector<DeviceId> devices,
                    store::Callback<store::Group> done) override {
    inner_.create_group(std::move(t), std::move(name), std::move(devices), std::move(done));
  }
  void list_groups(TenantId t, store::Callback<std::vector<store::Group>> done) override {
    inner_.list_groups(std::move(t), std::move(done));
  }
  void set_group_devices(TenantId t, std::string id, std::vector<DeviceId> devices,
                         store::Callback<store::Group> done) override {
    inner_.set_group_devices(std::move(t), std::move(id), std::move(devices), std::move(done));
  }
  void delete_group(TenantId t, std::string id, store::Callback<store::Group> done) override {
    inner_.delete_group(std::move(t), std::move(id), std::move(done));
  }
  void group_members(TenantId t, std::vector<std::string> ids,
                     store::Callback<store::GroupMembers> done) override {
    inner_.group_members(std::move(t), std::move(ids), std::move(done));
  }
  void create_share(store::Share share, store::Callback<store::Share> done) override {
    inner_.create_share(std::move(share), std::move(done));
  }
  void list_shares(TenantId t, store::Callback<std::vector<store::Share>> done) override {
    inner_.list_shares(std::move(t), std::move(done));
  }
  void revoke_share(TenantId t, std::string id, store::Callback<store::Share> done) override {
    inner_.revoke_share(std::move(t), std::move(id), std::move(done));
  }
  void active_shares(std::int64_t now_ms, store::Callback<std::vector<store::Share>> done) override {
    inner_.active_shares(now_ms, std::move(done));
  }
  std::string share_key() const override { return inner_.share_key(); }
  void stop() override { inner_.stop(); }

 private:
  store::MemoryStore inner_;
};

class StorageErrorsTest : public ::testing::Test {
 protected:
  StorageErrorsTest()
      : ctx_{store_, broker_, device_index_, auth_, shares_, clock_, {}, nullptr, nullptr, {}} {
    broker_.add_shard([](std::function<void()> task) { task(); }, hub_);
  }

  Response ingest() {
    Request req{"POST", "/api/v1/telemetry", "", "Bearer fk_any", R"({"ts":1795000000000,"lat":1,"lon":2})"};
    std::optional<Response> out;
    handle_ingest(ctx_, std::move(req), [&](Response r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(Response{});
  }
  Response readyz() {
    std::optional<Response> out;
    handle_readyz(ctx_, [&](Response r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(Response{});
  }
  static std::string header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  static std::string code(const Response& r) {
    return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
  }

  ManualClock clock_{1'795'000'000'000};
  RefusingStore store_;
  hub::TenantHub hub_;
  proto::DeviceIndex device_index_;
  hub::LocalBroker broker_;
  NoAuthenticator auth_;
  auth::ShareRegistry shares_{std::string(32, 'k')};
  ApiContext ctx_;
};

TEST_F(StorageErrorsTest, ADiskThatRefusesWritesIs503WithRetryAfterNot500) {
  store_.append_error = make_error(ErrorCode::storage_unavailable,
                                   "storage refuses writes (disk full or failing); retry later");
  auto r = ingest();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(code(r), "storage_unavailable");
  EXPECT_EQ(header(r, "Retry-After"), "5");
  EXPECT_NE(r.body.find("disk full"), std::string::npos) << r.body;
}

TEST_F(StorageErrorsTest, AFullQueueIs503WithItsOwnCode) {
  store_.append_error = make_error(ErrorCode::unavailable, "store queue full");
  auto r = ingest();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(code(r), "unavailable");
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_NE(r.body.find("store queue full"), std::string::npos) << r.body;
}

TEST_F(StorageErrorsTest, ReadinessNamesStorageThatCannotWriteAndComesBack) {
  EXPECT_EQ(readyz().status, 200);
  store_.failure = "exec: database or disk is full";
  auto r = readyz();
  EXPECT_EQ(r.status, 503);
  auto j = boost::json::parse(r.body);
  EXPECT_EQ(j.at("status").as_string(), "not_ready");
  EXPECT_EQ(std::string(j.at("reason").as_string()).rfind("storage", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("disk is full"), std::string::npos) << r.body;
  store_.failure.clear();
  EXPECT_EQ(readyz().status, 200);
}

TEST_F(StorageErrorsTest, ShuttingDownIsReportedBeforeStorage) {
  store_.failure = "disk I/O error";
  ctx_.not_ready_reason = [] { return std::string("shutting down"); };
  auto r = readyz();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(boost::json::parse(r.body).at("reason").as_string(), "shutting down");
}

}  // namespace
}  // namespace fleet::api
