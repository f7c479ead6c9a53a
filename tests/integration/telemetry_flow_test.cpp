// Ingest -> durable store -> fan-out, seen from real sockets: seq order, tenant isolation, 400/401/404.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

std::string point(double lat, double lon, std::int64_t ts_ms = 0) {
  boost::json::object p{{"lat", lat}, {"lon", lon}};
  if (ts_ms) {
    p["ts"] = ts_ms;
  } else {
    p["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  }
  return boost::json::serialize(p);
}

std::vector<boost::json::object> read_events(WsClient& ws, std::size_t n,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return fleet::testing::read_events(
      ws, [n](const auto& events) { return events.size() >= n; }, timeout);
}

class TelemetryFlow : public ::testing::Test {
 protected:
  FleetdProcess server;
  unsigned short port() const { return server.port(); }
};

TEST_F(TelemetryFlow, IngestIsDeliveredInSeqOrderAfterHelloAndSnapshot) {
  const std::string admin = dev_token(port(), "alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck 1");
  // One point before the viewer connects: it shows up in the snapshot, not as telemetry.
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(48.1, 2.1), truck.key).status, 202);

  WsClient ws(port(), "/ws?token=" + admin);
  auto hello = ws.read_json();
  ASSERT_EQ(hello.at("type").as_string(), "hello");
  EXPECT_EQ(hello.at("seq").as_int64(), 1);
  auto snapshot = ws.read_json();
  ASSERT_EQ(snapshot.at("type").as_string(), "snapshot");
  EXPECT_EQ(snapshot.at("seq").as_int64(), 1);
  auto& devices = snapshot.at("devices").as_array();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].at("id").as_string(), truck.id);
  EXPECT_EQ(devices[0].at("name").as_string(), "Truck 1");
  EXPECT_DOUBLE_EQ(devices[0].at("last").at("lat").as_double(), 48.1);

  auto r1 = request(port(), "POST", "/api/v1/telemetry",
                    "[" + point(48.2, 2.2) + "," + point(48.3, 2.3) + "]", truck.key);
  ASSERT_EQ(r1.status, 202) << r1.body;
  EXPECT_EQ(r1.json().at("accepted").as_int64(), 2);
  EXPECT_EQ(r1.json().at("last_seq").as_int64(), 3);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(48.4 + i * 0.01, 2.4), truck.key).status,
              202);
  }
  auto events = read_events(ws, 7);
  ASSERT_EQ(events.size(), 7u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].at("seq").as_int64(), static_cast<std::int64_t>(i + 2));
    EXPECT_EQ(events[i].at("device").as_string(), truck.id);
  }
  EXPECT_DOUBLE_EQ(events[0].at("lat").as_double(), 48.2);
}

TEST_F(TelemetryFlow, TwoTenantsNeverSeeEachOthersPoints) {
  const std::string a = dev_token(port(), "alice", "org_a");
  const std::string b = dev_token(port(), "bob", "org_b");
  const NewDevice ta = create_device(port(), a, "A truck");
  const NewDevice tb = create_device(port(), b, "B truck");
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(10, 10), tb.key).status, 202);

  WsClient wa(port(), "/ws?token=" + a);
  WsClient wb(port(), "/ws?token=" + b);
  wa.read_json();
  auto snap_a = wa.read_json();
  ASSERT_EQ(snap_a.at("devices").as_array().size(), 1u);
  EXPECT_EQ(snap_a.at("devices").as_array()[0].at("id").as_string(), ta.id);
  wb.read_json();
  wb.read_json();

  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(1 + i, 1), ta.key).status, 202);
    ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(-1 - i, -1), tb.key).status, 202);
  }
  auto ea = read_events(wa, 10);
  auto eb = read_events(wb, 10);
  ASSERT_EQ(ea.size(), 10u);
  ASSERT_EQ(eb.size(), 10u);
  for (auto& e : ea) EXPECT_EQ(e.at("device").as_string(), ta.id);
  for (auto& e : eb) EXPECT_EQ(e.at("device").as_string(), tb.id);
  // Sequences are per tenant: both start at 1 (B's first point was seq 1, before the viewer joined).
  EXPECT_EQ(ea.front().at("seq").as_int64(), 1);
  EXPECT_EQ(eb.front().at("seq").as_int64(), 2);
  // And nothing else arrives for A.
  EXPECT_TRUE(read_events(wa, 1, std::chrono::milliseconds(300)).empty());
}

TEST_F(TelemetryFlow, BadBatchIsRefusedWholeAndStoresNothing) {
  const std::string admin = dev_token(port(), "alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck");
  WsClient ws(port(), "/ws?token=" + admin);
  ws.read_json();
  ws.read_json();
  const std::string body =
      "[" + point(1, 1) + "," + point(2, 2) + "," + point(3, 3) + "," + point(95, 3) + "]";
  auto r = request(port(), "POST", "/api/v1/telemetry", body, truck.key);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "invalid_point");
  EXPECT_EQ(r.json().at("error").at("index").as_int64(), 3);
  EXPECT_EQ(r.json().at("error").at("field").as_string(), "lat");
  EXPECT_TRUE(read_events(ws, 1, std::chrono::milliseconds(300)).empty());
  auto history = request(port(), "GET", "/api/v1/devices/" + truck.id + "/telemetry", {}, admin);
  ASSERT_EQ(history.status, 200);
  EXPECT_TRUE(history.json().at("points").as_array().empty());
  // The next good point gets seq 1: nothing of the bad batch consumed a sequence number.
  auto ok = request(port(), "POST", "/api/v1/telemetry", point(4, 4), truck.key);
  EXPECT_EQ(ok.json().at("last_seq").as_int64(), 1);
}

TEST_F(TelemetryFlow, MalformedBodiesGetJsonErrors) {
  const std::string admin = dev_token(port(), "alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck");
  auto dup = request(port(), "POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lat":2,"lon":3})",
                     truck.key);
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(dup.json().at("error").at("code").as_string(), "invalid_json");
  auto big = request(port(), "POST", "/api/v1/telemetry", std::string(2 << 20, ' '), truck.key);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.json().at("error").at("code").as_string(), "payload_too_large");
  auto nokey = request(port(), "POST", "/api/v1/telemetry", point(1, 1));
  EXPECT_EQ(nokey.status, 401);
  auto badkey = request(port(), "POST", "/api/v1/telemetry", point(1, 1), "fk_nope");
  EXPECT_EQ(badkey.status, 401);
  EXPECT_EQ(badkey.json().at("error").at("code").as_string(), "unauthorized");
}

TEST_F(TelemetryFlow, RevokedKeyIsRefused) {
  const std::string admin = dev_token(port(), "alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck");
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(1, 1), truck.key).status, 202);
  ASSERT_EQ(request(port(), "DELETE", "/api/v1/devices/" + truck.id, {}, admin).status, 200);
  EXPECT_EQ(request(port(), "POST", "/api/v1/telemetry", point(1, 1), truck.key).status, 401);
  auto list = request(port(), "GET", "/api/v1/devices", {}, admin);
  EXPECT_TRUE(list.json().at("devices").as_array().empty());
}

TEST_F(TelemetryFlow, AnotherTenantsDeviceAnswers404LikeAMissingOne) {
  const std::string a = dev_token(port(), "alice", "org_a");
  const std::string b = dev_token(port(), "bob", "org_b");
  const NewDevice ta = create_device(port(), a, "A truck");
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point(1, 1), ta.key).status, 202);
  const std::string missing = "dev_00000000000000000000000000000000";
  for (const std::string& id : {ta.id, missing}) {
    auto h = request(port(), "GET", "/api/v1/devices/" + id + "/telemetry", {}, b);
    EXPECT_EQ(h.status, 404) << id;
    EXPECT_EQ(h.json().at("error").at("code").as_string(), "not_found");
    auto d = request(port(), "DELETE", "/api/v1/devices/" + id, {}, b);
    EXPECT_EQ(d.status, 404) << id;
  }
  // The owner still sees its device and its point.
  auto own = request(port(), "GET", "/api/v1/devices/" + ta.id + "/telemetry", {}, a);
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(own.json().at("points").as_array().size(), 1u);
}

TEST_F(TelemetryFlow, CreatingDevicesNeedsTheAdminRole) {
  const std::string member = dev_token(port(), "carol", "org_a", "org:member");
  auto r = request(port(), "POST", "/api/v1/devices", R"({"name":"x"})", member);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "forbidden");
  const std::string admin_v1 = dev_token(port(), "dave", "org_a", "org:admin");
  EXPECT_EQ(request(port(), "POST", "/api/v1/devices", R"({"name":"y"})", admin_v1).status, 201);
  EXPECT_EQ(request(port(), "GET", "/api/v1/devices", {}, member).status, 200);
  EXPECT_EQ(request(port(), "GET", "/api/v1/devices").status, 401);
}

TEST_F(TelemetryFlow, HistoryPaginatesEveryPointOnce) {
  const std::string admin = dev_token(port(), "alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck");
  std::string batch = "[";
  for (int i = 0; i < 25; ++i) batch += (i ? "," : "") + point(1 + i * 0.1, 1, 1795000000000 + i * 1000);
  batch += "]";
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", batch, truck.key).status, 202);
  std::vector<std::int64_t> seqs;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    std::string target =
        "/api/v1/devices/" + truck.id + "/telemetry?limit=10" + (after.empty() ? "" : "&after=" + after);
    auto r = request(port(), "GET", target, {}, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    for (auto& p : j.at("points").as_array()) seqs.push_back(p.at("seq").as_int64());
    if (j.at("next").is_null()) break;
    after = std::string(j.at("next").as_string());
  }
  ASSERT_EQ(seqs.size(), 25u);
  for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<std::int64_t>(i + 1));
  auto bad = request(port(), "GET", "/api/v1/devices/" + truck.id + "/telemetry?limit=5000", {}, admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json().at("error").at("field").as_string(), "limit");
}

}  // namespace
}  // namespace fleet::testing
