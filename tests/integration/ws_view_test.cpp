// Scoped views against a real fleetd (docs/protocol.md, "Views: scope the stream"): a tenant of 10,000
// devices on a 100 x 100 grid of known positions; a viewer whose box covers 1 % of them receives exactly
// those devices' events, a scoped snapshot for each view, enter/leave frames when a vehicle crosses the
// box's edge, at most one event per device per min_interval (the newest), and every event of a named
// (followed) device. Bad views close with the documented codes; another tenant's devices stay unknown.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kSide = 100;  // kSide x kSide devices
constexpr double kLat0 = 48.0;
constexpr double kLon0 = 2.0;
constexpr double kStep = 0.01;

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The centre of grid cell (row, col): the device's home position.
double lat_of(int row) { return kLat0 + row * kStep + kStep / 2; }
double lon_of(int col) { return kLon0 + col * kStep + kStep / 2; }

// [west, south, east, north] around grid cells [row0, row1) x [col0, col1).
json::array box(int row0, int row1, int col0, int col1) {
  return json::array{kLon0 + col0 * kStep, kLat0 + row0 * kStep, kLon0 + col1 * kStep, kLat0 + row1 * kStep};
}

std::string view(json::object o) {
  o["type"] = "view";
  return json::serialize(o);
}

struct Grid {
  std::unique_ptr<FleetdProcess> server;
  std::string admin;
  std::vector<NewDevice> devices;  // row-major
  std::map<std::string, int> index_of;

  unsigned short port() const { return server->port(); }
  const NewDevice& at(int row, int col) const { return devices[static_cast<std::size_t>(row * kSide + col)]; }

  // Posts one point per (device, position), pipelined on one connection; returns the last seq.
  std::int64_t post(const std::vector<std::tuple<const NewDevice*, double, double>>& points) {
    std::vector<HttpCall> calls;
    calls.reserve(points.size());
    std::int64_t ts = now_ms();
    for (const auto& [d, lat, lon] : points) {
      calls.push_back({"POST", "/api/v1/telemetry",
                       json::serialize(json::object{{"ts", ts++}, {"lat", lat}, {"lon", lon}}), d->key});
    }
    HttpConnection http(port());
    std::int64_t last = 0;
    for (const HttpResult& r : http.pipeline(calls)) {
      EXPECT_EQ(r.status, 202) << r.body;
      if (r.status == 202) last = std::max<std::int64_t>(last, r.json().at("last_seq").as_int64());
    }
    return last;
  }
};

Grid* grid = nullptr;

// A session that has read its hello and (whole-tenant) snapshot.
struct Viewer {
  WsClient ws;
  explicit Viewer(const std::string& token) : ws(grid->port(), "/ws") {
    ws.send(json::serialize(json::object{{"type", "auth"}, {"token", token}}));
    EXPECT_EQ(ws.read_json().at("type").as_string(), "hello");
    EXPECT_EQ(ws.read_json().at("type").as_string(), "snapshot");
  }
  // The next message of `type`, collecting telemetry events met on the way.
  json::object until(std::string_view type, std::vector<json::object>* events = nullptr) {
    for (;;) {
      json::object m = ws.read_json();
      if (m.at("type").as_string() == type) return m;
      if (events != nullptr && m.at("type").as_string() == "telemetry") {
        for (auto& e : m.at("events").as_array()) events->push_back(e.as_object());
      }
    }
  }
  // Telemetry events until one of `device` at seq >= `seq` arrives (included); other messages in `others`.
  std::vector<json::object> events_until(const std::string& device, std::int64_t seq,
                                         std::vector<json::object>* others = nullptr) {
    std::vector<json::object> out;
    for (;;) {
      json::object m = ws.read_json();
      if (m.at("type").as_string() != "telemetry") {
        if (others != nullptr) others->push_back(m);
        continue;
      }
      EXPECT_FALSE(m.contains("skipped")) << "a scoped stream explains no gaps";
      bool done = false;
      for (auto& e : m.at("events").as_array()) {
        out.push_back(e.as_object());
        done = done || (e.at("device").as_string() == device && e.at("seq").as_int64() >= seq);
      }
      if (done) return out;
    }
  }
};

class WsView : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    grid = new Grid;
    grid->server = std::make_unique<FleetdProcess>(std::vector<std::string>{"--dev"});
    grid->admin = dev_token(grid->port(), "alice", "org_grid", "admin", 3600);
    std::vector<HttpCall> creates;
    for (int i = 0; i < kSide * kSide; ++i) {
      creates.push_back({"POST", "/api/v1/devices",
                         json::serialize(json::object{{"name", "v" + std::to_string(i)}}), grid->admin});
    }
    HttpConnection http(grid->port());
    for (const HttpResult& r : http.pipeline(creates)) {
      ASSERT_EQ(r.status, 201) << r.body;
      auto j = r.json();
      grid->devices.push_back(
          {std::string(j.at("device").at("id").as_string()), std::string(j.at("key").as_string())});
      grid->index_of[grid->devices.back().id] = static_cast<int>(grid->devices.size()) - 1;
    }
    std::vector<std::tuple<const NewDevice*, double, double>> home;
    for (int row = 0; row < kSide; ++row) {
      for (int col = 0; col < kSide; ++col) home.emplace_back(&grid->at(row, col), lat_of(row), lon_of(col));
    }
    grid->post(home);
  }
  static void TearDownTestSuite() {
    delete grid;
    grid = nullptr;
  }
};

TEST_F(WsView, AOnePercentBoxReceivesExactlyItsDevicesEventsAfterAScopedSnapshot) {
  Viewer v(grid->admin);
  v.ws.send(view({{"id", 1}, {"boxes", json::array{box(40, 50, 40, 50)}}}));
  const json::object snap = v.until("snapshot");
  EXPECT_EQ(snap.at("view").as_int64(), 1);
  std::set<std::string> expected;
  for (int row = 40; row < 50; ++row) {
    for (int col = 40; col < 50; ++col) expected.insert(grid->at(row, col).id);
  }
  std::set<std::string> listed;
  for (const auto& d : snap.at("devices").as_array()) listed.insert(std::string(d.at("id").as_string()));
  EXPECT_EQ(listed, expected) << "the snapshot holds the devices in the box, and only those";

  // Every device reports again, a little north-east of home (still in its own grid cell); then one device
  // of the box reports last, so its event ends what the viewer can receive.
  std::vector<std::tuple<const NewDevice*, double, double>> moved;
  for (int row = 0; row < kSide; ++row) {
    for (int col = 0; col < kSide; ++col)
      moved.emplace_back(&grid->at(row, col), lat_of(row) + 0.001, lon_of(col) + 0.001);
  }
  grid->post(moved);
  const NewDevice& last = grid->at(45, 45);
  const std::int64_t end = grid->post({{&last, lat_of(45), lon_of(45)}});
  const auto events = v.events_until(last.id, end);
  std::set<std::string> seen;
  for (const auto& e : events) {
    const std::string id(e.at("device").as_string());
    EXPECT_TRUE(expected.contains(id)) << id << " is outside the box";
    seen.insert(id);
  }
  EXPECT_EQ(events.size(), expected.size() + 1);
  EXPECT_EQ(seen, expected) << "every device of the box, exactly once (plus the closing event)";
}

TEST_F(WsView, AVehicleCrossingTheEdgeLeavesAndEntersTheView) {
  Viewer v(grid->admin);
  v.ws.send(view({{"id", 7}, {"boxes", json::array{box(60, 70, 60, 70)}}}));
  v.until("snapshot");
  const NewDevice& edge = grid->at(65, 69);  // inside, by the east edge
  const NewDevice& outside = grid->at(65, 70);
  const NewDevice& marker = grid->at(62, 62);  // stays inside: its events mark progress

  // Out through the east edge: a view_change says it left, and its outside position is never sent.
  grid->post({{&edge, lat_of(65), lon_of(70)}});
  std::int64_t mark = grid->post({{&marker, lat_of(62), lon_of(62)}});
  std::vector<json::object> others;
  auto events = v.events_until(marker.id, mark, &others);
  ASSERT_EQ(others.size(), 1u) << json::serialize(json::value_from(others));
  EXPECT_EQ(others[0].at("type").as_string(), "view_change");
  EXPECT_EQ(others[0].at("view").as_int64(), 7);
  EXPECT_EQ(others[0].at("left"), (json::array{json::string(edge.id)}));
  EXPECT_TRUE(others[0].at("entered").as_array().empty());
  for (const auto& e : events) EXPECT_NE(e.at("device").as_string(), edge.id);

  // Back in, and a neighbour that was always outside comes in too: entered first, then their events.
  grid->post({{&edge, lat_of(65), lon_of(69)}, {&outside, lat_of(65), lon_of(68)}});
  mark = grid->post({{&marker, lat_of(62), lon_of(62)}});
  others.clear();
  events = v.events_until(marker.id, mark, &others);
  std::set<std::string> entered;
  for (const auto& m : others) {  // one view_change per frame: the two posts may take one or two
    EXPECT_EQ(m.at("type").as_string(), "view_change");
    for (const auto& id : m.at("entered").as_array()) entered.insert(std::string(id.as_string()));
    EXPECT_TRUE(m.at("left").as_array().empty());
  }
  EXPECT_EQ(entered, (std::set<std::string>{edge.id, outside.id}));
  std::set<std::string> moved;
  for (const auto& e : events) moved.insert(std::string(e.at("device").as_string()));
  EXPECT_TRUE(moved.contains(edge.id) && moved.contains(outside.id));

  // Put the neighbour back home, outside: it leaves again.
  grid->post({{&outside, lat_of(65), lon_of(70)}});
  mark = grid->post({{&marker, lat_of(62), lon_of(62)}});
  others.clear();
  v.events_until(marker.id, mark, &others);
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].at("left"), (json::array{json::string(outside.id)}));
}

TEST_F(WsView, EachViewChangeGetsItsOwnScopedSnapshot) {
  Viewer v(grid->admin);
  v.ws.send(view({{"id", 1}, {"boxes", json::array{box(10, 12, 10, 12)}}}));
  EXPECT_EQ(v.until("snapshot").at("devices").as_array().size(), 4u);
  // Two boxes, one across the grid's west edge, and a named device far away.
  v.ws.send(view({{"id", 2},
                  {"boxes", json::array{box(20, 21, 20, 23), box(30, 31, 0, 2)}},
                  {"devices", json::array{json::string(grid->at(90, 90).id)}}}));
  const json::object snap = v.until("snapshot");
  EXPECT_EQ(snap.at("view").as_int64(), 2);
  std::set<std::string> ids;
  for (const auto& d : snap.at("devices").as_array()) ids.insert(std::string(d.at("id").as_string()));
  EXPECT_EQ(ids, (std::set<std::string>{grid->at(20, 20).id, grid->at(20, 21).id, grid->at(20, 22).id,
                                        grid->at(30, 0).id, grid->at(30, 1).id, grid->at(90, 90).id}));
  // Back to the whole tenant.
  v.ws.send(view({{"id", 3}}));
  EXPECT_EQ(v.until("snapshot").at("devices").as_array().size(), std::size_t{kSide * kSide});
}

TEST_F(WsView, MinIntervalSendsTheNewestEventPerDeviceAtMostOncePerIntervalButEveryFollowedEvent) {
  Viewer v(grid->admin);
  const NewDevice& followed = grid->at(5, 95);  // outside the box
  v.ws.send(view({{"id", 4},
                  {"boxes", json::array{box(80, 82, 80, 82)}},
                  {"devices", json::array{json::string(followed.id)}},
                  {"min_interval_ms", 1000}}));
  v.until("snapshot");
  const NewDevice* boxed[] = {&grid->at(80, 80), &grid->at(80, 81), &grid->at(81, 80), &grid->at(81, 81)};
  // 12 rounds 100 ms apart: each device moves 12 times in about 1.2 s.
  constexpr int kRounds = 12;
  std::map<std::string, int> home_row;
  for (const NewDevice* d : boxed) home_row[d->id] = grid->index_of[d->id] / kSide;
  // Posted from another thread while this one reads, so arrival times are the server's pacing.
  std::int64_t last = 0;
  std::thread load([&] {
    for (int round = 1; round <= kRounds; ++round) {
      std::vector<std::tuple<const NewDevice*, double, double>> points;
      for (const NewDevice* d : boxed) {
        const int i = grid->index_of.at(d->id);
        points.emplace_back(d, lat_of(i / kSide) + round * 0.0001, lon_of(i % kSide));
      }
      points.emplace_back(&followed, lat_of(5) + round * 0.0001, lon_of(95));
      last = grid->post(points);
      std::this_thread::sleep_for(milliseconds(100));  // the load's pace, not a synchronisation
    }
  });
  // Until every device's newest position has arrived.
  std::map<std::string, std::vector<std::pair<Clock::time_point, json::object>>> by_device;
  const auto deadline = Clock::now() + seconds(20);
  auto newest_arrived = [&] {
    for (const NewDevice* d : boxed) {
      auto& got = by_device[d->id];
      if (got.empty() ||
          got.back().second.at("lat").as_double() < lat_of(home_row[d->id]) + kRounds * 0.0001 - 1e-9)
        return false;
    }
    return by_device[followed.id].size() == kRounds;
  };
  while (!newest_arrived() && Clock::now() < deadline) {
    json::object m = v.ws.read_json();
    if (m.at("type").as_string() != "telemetry") continue;
    std::set<std::string> in_frame;
    for (auto& e : m.at("events").as_array()) {
      const std::string id(e.at("device").as_string());
      if (id != followed.id)
        EXPECT_TRUE(in_frame.insert(id).second) << "two events of " << id << " in one frame";
      by_device[id].emplace_back(Clock::now(), e.as_object());
    }
  }
  load.join();
  ASSERT_TRUE(newest_arrived()) << "the newest position of every device arrives";
  EXPECT_GT(last, 0);
  for (const NewDevice* d : boxed) {
    const auto& got = by_device[d->id];
    // 1.2 s of movement: two or three windows, never one event per post.
    EXPECT_LE(got.size(), 3u) << d->id;
    for (std::size_t k = 1; k < got.size(); ++k) {
      EXPECT_GT(got[k].second.at("seq").as_int64(), got[k - 1].second.at("seq").as_int64());
      // Frames leave a window apart; the socket may bunch two a little (scheduling), never by half.
      EXPECT_GE(got[k].first - got[k - 1].first, milliseconds(500)) << d->id;
    }
  }
  const auto& f = by_device[followed.id];
  ASSERT_EQ(f.size(), std::size_t{kRounds}) << "every event of the followed device";
  for (int k = 0; k < kRounds; ++k) {
    EXPECT_NEAR(f[static_cast<std::size_t>(k)].second.at("lat").as_double(), lat_of(5) + (k + 1) * 0.0001,
                1e-9);
  }
}

TEST_F(WsView, AGroupViewHoldsTheGroupsDevicesInsideItsBoxesOrAnywhere) {
  json::array members;
  for (int col = 0; col < 10; ++col) members.push_back(json::string(grid->at(70, col).id));
  const auto created =
      request(grid->port(), "POST", "/api/v1/groups",
              json::serialize(json::object{{"name", "row 70"}, {"devices", members}}), grid->admin);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string group(created.json().at("group").at("id").as_string());
  Viewer v(grid->admin);
  // The box holds columns 0-19 of rows 70-71: the group's 10 devices are half of them, and a box alone
  // would hold 40.
  v.ws.send(view(
      {{"id", 1}, {"groups", json::array{json::string(group)}}, {"boxes", json::array{box(70, 72, 0, 5)}}}));
  std::set<std::string> expected;
  for (int col = 0; col < 5; ++col) expected.insert(grid->at(70, col).id);
  std::set<std::string> ids;
  const json::object snap_1 = v.until("snapshot");
  for (const auto& d : snap_1.at("devices").as_array()) ids.insert(std::string(d.at("id").as_string()));
  EXPECT_EQ(ids, expected);
  // Its events: the group's devices in the box only, though their neighbours report too.
  for (int col = 0; col < 5; ++col) grid->post({{&grid->at(71, col), lat_of(71), lon_of(col)}});
  const std::int64_t mark = grid->post({{&grid->at(70, 4), lat_of(70), lon_of(4)}});
  for (const auto& e : v.events_until(grid->at(70, 4).id, mark)) {
    EXPECT_TRUE(expected.contains(std::string(e.at("device").as_string())));
  }
  // The group alone: all its devices, wherever they are.
  v.ws.send(view({{"id", 2}, {"groups", json::array{json::string(group)}}}));
  ids.clear();
  const json::object snap_2 = v.until("snapshot");
  for (const auto& d : snap_2.at("devices").as_array()) ids.insert(std::string(d.at("id").as_string()));
  EXPECT_EQ(ids.size(), 10u);
}

TEST_F(WsView, TheFirstAuthMessageMayCarryTheViewSoTheFirstSnapshotIsScoped) {
  WsClient admin(grid->port(), "/ws");
  admin.send(json::serialize(json::object{{"type", "auth"}, {"token", grid->admin}}));
  const std::string epoch(admin.read_json().at("epoch").as_string());

  WsClient ws(grid->port(), "/ws");
  ws.send(json::serialize(
      json::object{{"type", "auth"},
                   {"token", grid->admin},
                   {"since", 1},
                   {"epoch", epoch},
                   {"view", json::object{{"id", 5}, {"boxes", json::array{box(40, 42, 40, 42)}}}}}));
  const json::object hello = ws.read_json();
  EXPECT_FALSE(hello.at("recovered").as_bool()) << "the scoped snapshot replaces the tenant's missed events";
  const json::object snap = ws.read_json();
  ASSERT_EQ(snap.at("type").as_string(), "snapshot");
  EXPECT_EQ(snap.at("view").as_int64(), 5);
  EXPECT_EQ(snap.at("devices").as_array().size(), 4u) << "no whole-tenant snapshot first";

  WsClient bad(grid->port(), "/ws");
  bad.send(json::serialize(json::object{{"type", "auth"},
                                        {"token", grid->admin},
                                        {"view", json::object{{"boxes", json::array{box(0, 1, 0, 1), 5}}}}}));
  EXPECT_EQ(bad.wait_close(), 1008);
  EXPECT_EQ(bad.close_reason(), "Invalid view");
}

TEST_F(WsView, MalformedOrOversizedViewsCloseWithInvalidView) {
  const std::string bad[] = {
      R"({"type":"view","boxes":[[2,48,3]]})",         // three numbers
      R"({"type":"view","boxes":[[2,48,3,181]]})",     // north out of range... and south > north
      R"({"type":"view","boxes":[[181,48,182,49]]})",  // longitude out of range
      R"({"type":"view","boxes":[[2,49,3,48]]})",      // south above north
      R"({"type":"view","devices":["truck"]})",        // not a device id
      R"({"type":"view","groups":["dev_00000000000000000000000000000000"]})",  // not a group id
      R"({"type":"view","min_interval_ms":50})",                               // under 100
      R"({"type":"view","min_interval_ms":20000})",                            // over 10,000
      R"({"type":"view","box":[[2,48,3,49]]})",                                // unknown member
      R"({"type":"view","id":-1})",
  };
  for (const std::string& text : bad) {
    Viewer v(grid->admin);
    v.ws.send(text);
    EXPECT_EQ(v.ws.wait_close(), 1008) << text;
    EXPECT_EQ(v.ws.close_reason(), "Invalid view") << text;
  }
  // Limits: 17 boxes; 257 devices.
  json::array boxes;
  for (int i = 0; i < 17; ++i) boxes.push_back(box(0, 1, 0, 1));
  json::array devices;
  for (int i = 0; i < 257; ++i)
    devices.push_back(json::string(grid->devices[static_cast<std::size_t>(i)].id));
  for (const std::string& text : {view({{"boxes", boxes}}), view({{"devices", devices}})}) {
    Viewer v(grid->admin);
    v.ws.send(text);
    EXPECT_EQ(v.ws.wait_close(), 1008) << text.size();
    EXPECT_EQ(v.ws.close_reason(), "Invalid view");
  }
}

TEST_F(WsView, ViewsFasterThanTheRateCloseWithTooManyViews) {
  Viewer v(grid->admin);
  for (int i = 0; i < 30; ++i) v.ws.send(view({{"id", i}, {"boxes", json::array{box(0, 1, 0, 1)}}}));
  EXPECT_EQ(v.ws.wait_close(), 1008);
  EXPECT_EQ(v.ws.close_reason(), "Too many views");
}

TEST_F(WsView, AnotherTenantsDevicesAndGroupsAreUnknownAndNeverSent) {
  const std::string other_admin = dev_token(grid->port(), "bob", "org_other");
  const NewDevice foreign = create_device(grid->port(), other_admin, "Not yours");
  Viewer v(grid->admin);
  const std::string missing_group = "grp_0123456789abcdef0123456789abcdef";
  v.ws.send(view({{"id", 9},
                  {"devices", json::array{json::string(foreign.id), json::string(grid->at(1, 1).id)}},
                  {"groups", json::array{json::string(missing_group)}}}));
  const json::object snap = v.until("snapshot");
  std::set<std::string> unknown;
  for (const auto& u : snap.at("unknown").as_array()) unknown.insert(std::string(u.as_string()));
  EXPECT_EQ(unknown, (std::set<std::string>{foreign.id, missing_group}));
  for (const auto& d : snap.at("devices").as_array()) EXPECT_NE(d.at("id").as_string(), foreign.id);
  // The foreign device reports; then a named device of ours: only ours arrives.
  request(grid->port(), "POST", "/api/v1/telemetry",
          json::serialize(json::object{{"ts", now_ms()}, {"lat", 1.0}, {"lon", 1.0}}), foreign.key);
  const NewDevice& ours = grid->at(1, 1);
  const std::int64_t mark = grid->post({{&ours, lat_of(1), lon_of(1)}});
  for (const auto& e : v.events_until(ours.id, mark)) EXPECT_EQ(e.at("device").as_string(), ours.id);
}

}  // namespace
}  // namespace fleet::testing
