// Stream options against a real fleetd (docs/protocol.md, "Stream options"): the compact encoding carries
// exactly the events JSON does, device indexes are announced before use on every connection (resumed or
// not), flush windows send fewer, larger frames, coalescing keeps the newest event per device, and a
// session that asks for nothing gets today's JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <map>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string auth(const std::string& token, json::object extra = {}) {
  json::object o{{"type", "auth"}, {"token", token}};
  for (auto& kv : extra) o[kv.key()] = kv.value();
  return json::serialize(o);
}

// What one connection has learnt and received, decoded back to JSON-shaped events.
struct CompactReader {
  std::map<std::int64_t, std::string> devices;  // index -> id
  std::vector<json::object> events;
  std::vector<std::string> order;  // message types in arrival order
  std::uint64_t skipped = 0;
  int frames = 0;

  void take(const json::object& m) {
    const std::string type(m.at("type").as_string());
    order.push_back(type);
    if (type == "snapshot") {
      for (const auto& d : m.at("devices").as_array()) {
        devices[d.at("i").as_int64()] = std::string(d.at("id").as_string());
      }
    } else if (type == "devices") {
      for (const auto& d : m.at("devices").as_array()) {
        devices[d.at("i").as_int64()] = std::string(d.at("id").as_string());
      }
    } else if (type == "tc") {
      ++frames;
      if (const auto* s = m.if_contains("skipped")) skipped += s->as_int64();
      for (const auto& c : m.at("chunks").as_array()) decode_chunk(c.as_array());
    }
  }

  void decode_chunk(const json::array& chunk) {
    const std::int64_t seq0 = chunk.at(0).as_int64();
    const std::int64_t ts0 = chunk.at(1).as_int64();
    static constexpr const char* kOptional[] = {"speed_kph", "heading_deg", "altitude_m", "accuracy_m",
                                                "battery_pct"};
    for (std::size_t k = 2; k < chunk.size(); ++k) {
      const auto& e = chunk[k].as_array();
      ASSERT_GE(e.size(), 5u);
      ASSERT_LE(e.size(), 11u);
      const auto index = e.at(2).as_int64();
      ASSERT_TRUE(devices.count(index)) << "index " << index << " used before it was announced";
      json::object o{{"seq", seq0 + e.at(0).as_int64()},
                     {"device", devices[index]},
                     {"ts", ts0 + e.at(1).as_int64()},
                     {"lat", static_cast<double>(e.at(3).as_int64()) / 1e6},
                     {"lon", static_cast<double>(e.at(4).as_int64()) / 1e6}};
      for (std::size_t f = 0; f < 5 && 5 + f < e.size(); ++f) {
        if (!e[5 + f].is_null()) o[kOptional[f]] = e[5 + f];
      }
      if (e.size() == 11) {
        EXPECT_TRUE(e[10].is_object());
        o["attributes"] = e[10];
      }
      events.push_back(std::move(o));
    }
  }
};

class WsCompact : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<FleetdProcess>(std::vector<std::string>{"--dev"});
    admin_ = dev_token(port(), "alice", "org_a");
    truck_ = create_device(port(), admin_, "Truck 1");
    van_ = create_device(port(), admin_, "Van 2");
  }
  unsigned short port() const { return server_->port(); }
  std::int64_t post(const NewDevice& d, const json::object& point) {
    auto r = request(port(), "POST", "/api/v1/telemetry", json::serialize(point), d.key);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? r.json().at("last_seq").as_int64() : 0;
  }
  std::int64_t post_minimal(const NewDevice& d, double lat) {
    return post(d, json::object{{"ts", now_ms()}, {"lat", lat}, {"lon", 2.35}});
  }
  // Reads messages into `reader` until it holds `events` events.
  static void read_into(WsClient& ws, CompactReader& reader, std::size_t events) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (reader.events.size() + reader.skipped < events && std::chrono::steady_clock::now() < deadline) {
      auto msg = ws.read(seconds(20));
      ASSERT_TRUE(msg) << "closed " << ws.close_code() << " " << ws.close_reason();
      reader.take(json::parse(*msg).as_object());
    }
  }

  std::unique_ptr<FleetdProcess> server_;
  std::string admin_;
  NewDevice truck_;
  NewDevice van_;
};

TEST_F(WsCompact, CarriesEveryFieldOfEveryEventAsJsonDoes) {
  WsClient plain(port(), "/ws");
  plain.send(auth(admin_));
  auto plain_hello = plain.read_json();
  EXPECT_FALSE(plain_hello.contains("format")) << "a session that asked for nothing gets today's hello";
  auto plain_snapshot = plain.read_json();
  for (const auto& d : plain_snapshot.at("devices").as_array()) EXPECT_FALSE(d.as_object().contains("i"));

  WsClient compact(port(), "/ws");
  compact.send(auth(admin_, {{"format", "compact"}}));
  auto hello = compact.read_json();
  EXPECT_EQ(hello.at("format").as_string(), "compact");
  EXPECT_EQ(hello.at("flush_ms").as_int64(), 0);
  EXPECT_FALSE(hello.at("coalesce").as_bool());
  CompactReader reader;
  reader.take(compact.read_json());
  ASSERT_EQ(reader.order.back(), "snapshot");
  EXPECT_EQ(reader.devices.size(), 2u);

  const std::int64_t t = now_ms();
  post_minimal(truck_, 48.8566);
  post(van_, json::object{{"ts", t - 5000},
                          {"lat", -33.8688197},
                          {"lon", -151.2092955},
                          {"speed_kph", 42.5},
                          {"heading_deg", 359.9},
                          {"altitude_m", -12.25},
                          {"accuracy_m", 3},
                          {"battery_pct", 88},
                          {"attributes", json::object{{"door", "closed"}, {"temp_c", 4.5}}}});
  post(truck_, json::object{{"ts", t + 1}, {"lat", 0.0000004}, {"lon", 179.9999996}, {"battery_pct", 7}});
  // A device created mid-stream: its index is announced before its first event.
  const NewDevice bus = create_device(port(), admin_, "Bus 3");
  post(bus, json::object{{"ts", t}, {"lat", 1}, {"lon", 2}, {"attributes", json::object{{"line", "7"}}}});

  read_into(compact, reader, 4);
  auto expected = read_events(plain, [](const auto& e) { return e.size() >= 4; });
  ASSERT_EQ(expected.size(), 4u);
  ASSERT_EQ(reader.events.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    json::object want = expected[i];
    json::object got = reader.events[i];
    EXPECT_EQ(got.at("seq").as_int64(), want.at("seq").as_int64());
    EXPECT_EQ(got.at("device").as_string(), want.at("device").as_string());
    EXPECT_EQ(got.at("ts").as_int64(), want.at("ts").as_int64());
    for (const char* c : {"lat", "lon"}) {
      EXPECT_LE(std::abs(got.at(c).to_number<double>() - want.at(c).to_number<double>()), 0.5e-6 + 1e-12)
          << c;
    }
    want.erase("lat");
    want.erase("lon");
    got.erase("lat");
    got.erase("lon");
    EXPECT_EQ(json::serialize(got), json::serialize(want)) << "event " << i;
  }
  // The mid-stream device was announced in a `devices` message before the frame that used it.
  const auto devices_at = std::find(reader.order.begin(), reader.order.end(), "devices");
  ASSERT_NE(devices_at, reader.order.end());
  EXPECT_EQ(reader.devices.size(), 3u);
  EXPECT_EQ(reader.events[3].at("device").as_string(), bus.id);
  EXPECT_EQ(metric(port(), R"(fleet_ws_streams_total{format="compact"})"), "1");
  EXPECT_EQ(metric(port(), R"(fleet_ws_streams_total{format="json"})"), "1");
  EXPECT_EQ(metric(port(), "fleet_ws_devices_announced_total"), "1");
}

TEST_F(WsCompact, ResumeAnnouncesIndexesAgainOnTheNewConnection) {
  std::string epoch;
  {
    WsClient ws(port(), "/ws");
    ws.send(auth(admin_, {{"format", "compact"}}));
    epoch = std::string(ws.read_json().at("epoch").as_string());
    CompactReader reader;
    reader.take(ws.read_json());
    post_minimal(truck_, 1);
    read_into(ws, reader, 1);
    ws.close();
  }
  post_minimal(van_, 2);
  post_minimal(truck_, 3);
  WsClient ws(port(), "/ws");
  ws.send(auth(admin_, {{"format", "compact"}, {"since", 1}, {"epoch", epoch}}));
  auto hello = ws.read_json();
  EXPECT_TRUE(hello.at("recovered").as_bool());
  CompactReader fresh;  // a new connection's table starts empty
  read_into(ws, fresh, 2);
  ASSERT_EQ(fresh.events.size(), 2u);
  EXPECT_EQ(fresh.order.front(), "devices");
  EXPECT_EQ(fresh.events[0].at("seq").as_int64(), 2);
  EXPECT_EQ(fresh.events[0].at("device").as_string(), van_.id);
  EXPECT_EQ(fresh.events[1].at("device").as_string(), truck_.id);
}

TEST_F(WsCompact, MalformedOptionsCloseWithInvalidOptions) {
  for (const json::object& bad :
       {json::object{{"format", "xml"}}, json::object{{"format", 1}}, json::object{{"flush_ms", 1001}},
        json::object{{"flush_ms", -1}}, json::object{{"flush_ms", 2.5}}, json::object{{"coalesce", "yes"}}}) {
    WsClient ws(port(), "/ws");
    ws.send(auth(admin_, bad));
    EXPECT_EQ(ws.wait_close(), 1008) << json::serialize(bad);
    EXPECT_EQ(ws.close_reason(), "Invalid options") << json::serialize(bad);
  }
  for (const char* query : {"format=xml", "flush_ms=abc", "flush_ms=5000", "coalesce=2"}) {
    WsClient ws(port(), std::string("/ws?token=") + admin_ + "&" + query);
    EXPECT_EQ(ws.wait_close(), 1008) << query;
    EXPECT_EQ(ws.close_reason(), "Invalid options") << query;
  }
  // Well-formed options by query are echoed.
  WsClient ws(port(), "/ws?token=" + admin_ + "&format=compact&flush_ms=50&coalesce=1");
  auto hello = ws.read_json();
  EXPECT_EQ(hello.at("format").as_string(), "compact");
  EXPECT_EQ(hello.at("flush_ms").as_int64(), 50);
  EXPECT_TRUE(hello.at("coalesce").as_bool());
}

TEST_F(WsCompact, AFlushWindowSendsFewerLargerFramesAndLosesNothing) {
  WsClient prompt(port(), "/ws");
  prompt.send(auth(admin_));
  prompt.read_json();
  prompt.read_json();
  WsClient windowed(port(), "/ws");
  windowed.send(auth(admin_, {{"format", "compact"}, {"flush_ms", 1000}}));
  windowed.read_json();
  CompactReader reader;
  reader.take(windowed.read_json());

  // One event at a time: the window-0 session gets each in its own frame before the next is posted.
  constexpr int kEvents = 20;
  int prompt_frames = 0;
  for (int i = 0; i < kEvents; ++i) {
    post_minimal(i % 2 == 0 ? truck_ : van_, 10 + i * 1e-3);
    auto m = prompt.read_json();
    ASSERT_EQ(m.at("type").as_string(), "telemetry");
    ASSERT_EQ(m.at("events").as_array().size(), 1u);
    ++prompt_frames;
  }
  read_into(windowed, reader, kEvents);
  ASSERT_EQ(reader.events.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(reader.skipped, 0u) << "no coalescing unless asked for";
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(reader.events[i].at("seq").as_int64(), i + 1);
  EXPECT_EQ(prompt_frames, kEvents);
  EXPECT_LT(reader.frames, kEvents / 2) << "the window gathers events into fewer frames";
  EXPECT_NE(metric(port(), "fleet_ws_window_flushes_total"), "0");
}

TEST_F(WsCompact, CoalescingKeepsTheNewestEventPerDeviceAndCountsTheRest) {
  WsClient ws(port(), "/ws");
  ws.send(auth(admin_, {{"format", "compact"}, {"flush_ms", 1000}, {"coalesce", true}}));
  ws.read_json();
  CompactReader reader;
  reader.take(ws.read_json());
  constexpr int kEvents = 12;
  for (int i = 0; i < kEvents; ++i) post_minimal(i % 2 == 0 ? truck_ : van_, 20 + i * 1e-3);
  read_into(ws, reader, kEvents);
  EXPECT_EQ(reader.events.size() + reader.skipped, static_cast<std::size_t>(kEvents));
  EXPECT_LT(reader.events.size(), static_cast<std::size_t>(kEvents)) << "older positions were coalesced";
  // The newest position of each device arrives, in seq order.
  ASSERT_GE(reader.events.size(), 2u);
  const auto& last = reader.events.back();
  EXPECT_EQ(last.at("seq").as_int64(), kEvents);
  EXPECT_NEAR(last.at("lat").to_number<double>(), 20 + (kEvents - 1) * 1e-3, 1e-6);
  for (std::size_t i = 1; i < reader.events.size(); ++i) {
    EXPECT_GT(reader.events[i].at("seq").as_int64(), reader.events[i - 1].at("seq").as_int64());
  }
}

TEST_F(WsCompact, IndexesStayRightAcrossRevocationAndCreation) {
  WsClient ws(port(), "/ws");
  ws.send(auth(admin_, {{"format", "compact"}}));
  ws.read_json();
  CompactReader reader;
  reader.take(ws.read_json());
  ASSERT_EQ(reader.devices.size(), 2u);
  std::int64_t van_index = -1;
  for (const auto& [i, id] : reader.devices) {
    if (id == van_.id) van_index = i;
  }
  ASSERT_GE(van_index, 0);
  post_minimal(van_, 5);
  ASSERT_EQ(request(port(), "DELETE", "/api/v1/devices/" + van_.id, "", admin_).status, 200);
  const NewDevice bus = create_device(port(), admin_, "Bus 3");
  post_minimal(bus, 6);
  post_minimal(truck_, 7);
  read_into(ws, reader, 3);
  ASSERT_EQ(reader.events.size(), 3u);
  EXPECT_EQ(reader.events[0].at("device").as_string(), van_.id);
  EXPECT_EQ(reader.events[1].at("device").as_string(), bus.id);
  EXPECT_EQ(reader.events[2].at("device").as_string(), truck_.id);
  for (const auto& [i, id] : reader.devices) {
    if (id == bus.id) {
      EXPECT_NE(i, van_index) << "a revoked device's index is never reused";
    }
  }
  // A new connection's snapshot (the van is gone from it) names the same devices by the same indexes.
  WsClient again(port(), "/ws");
  again.send(auth(admin_, {{"format", "compact"}}));
  again.read_json();
  CompactReader fresh;
  fresh.take(again.read_json());
  ASSERT_EQ(fresh.devices.size(), 2u);
  for (const auto& [i, id] : fresh.devices) {
    EXPECT_NE(id, van_.id);
    EXPECT_EQ(reader.devices.at(i), id);
  }
}

}  // namespace
}  // namespace fleet::testing
