#include "sim_vehicle.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fleetctl {
namespace {

constexpr double kBlockM = 180;    // street spacing
constexpr int kRadiusBlocks = 14;  // stay within ~2.5 km of the centre
constexpr double kMetresPerDegLat = 111'320;
constexpr double kMaxTurnRate = 1.2;  // rad/s: a 90-degree corner takes a bit over a second
constexpr double kAccel = 2.0;        // m/s^2, both ways
constexpr double kMinKph = 20, kMaxKph = 70;

struct City {
  std::string_view name;
  LatLon centre;
};
constexpr City kCities[] = {
    {"paris", {48.8566, 2.3522}},   {"berlin", {52.5200, 13.4050}},   {"london", {51.5074, -0.1278}},
    {"nyc", {40.7580, -73.9855}},   {"sf", {37.7749, -122.4194}},     {"tokyo", {35.6812, 139.7671}},
    {"madrid", {40.4168, -3.7038}}, {"sydney", {-33.8688, 151.2093}},
};

double wrap_pi(double a) {
  while (a > std::numbers::pi) a -= 2 * std::numbers::pi;
  while (a < -std::numbers::pi) a += 2 * std::numbers::pi;
  return a;
}

constexpr int kDx[] = {1, 0, -1, 0};
constexpr int kDy[] = {0, 1, 0, -1};

}  // namespace

bool city_centre(std::string_view name, LatLon& out) {
  for (const City& c : kCities) {
    // "Paris" and "NYC" as well: names are typed by people.
    const bool same = c.name.size() == name.size() &&
                      std::equal(name.begin(), name.end(), c.name.begin(), [](char a, char b) {
                        return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
                      });
    if (same) {
      out = c.centre;
      return true;
    }
  }
  return false;
}

const char* city_names() { return "paris, berlin, london, nyc, sf, tokyo, madrid, sydney"; }

SimVehicle::SimVehicle(LatLon centre, std::uint64_t seed) : centre_(centre), rng_(seed) {
  std::uniform_int_distribution<int> cell(-kRadiusBlocks / 2, kRadiusBlocks / 2);
  grid_i_ = cell(rng_);
  grid_j_ = cell(rng_);
  x_ = grid_i_ * kBlockM;
  y_ = grid_j_ * kBlockM;
  dir_ = std::uniform_int_distribution<int>(0, 3)(rng_);
  heading_rad_ = dir_ * std::numbers::pi / 2;
  target_speed_mps_ = std::uniform_real_distribution<double>(kMinKph, kMaxKph)(rng_) / 3.6;
  speed_mps_ = target_speed_mps_;
  pick_next_waypoint();
}

void SimVehicle::pick_next_waypoint() {
  // Mostly straight on, sometimes a turn, never a U-turn; turn back towards the centre at the edge.
  std::uniform_real_distribution<double> u(0, 1);
  const double r = u(rng_);
  int next = r < 0.6 ? dir_ : (r < 0.8 ? (dir_ + 1) % 4 : (dir_ + 3) % 4);
  auto outside = [&](int d) {
    return std::abs(grid_i_ + kDx[d]) > kRadiusBlocks || std::abs(grid_j_ + kDy[d]) > kRadiusBlocks;
  };
  if (outside(next)) {
    for (int d : {(dir_ + 1) % 4, (dir_ + 3) % 4, (dir_ + 2) % 4}) {
      if (!outside(d)) {
        next = d;
        break;
      }
    }
  }
  dir_ = next;
  grid_i_ += kDx[dir_];
  grid_j_ += kDy[dir_];
  if (u(rng_) < 0.3) target_speed_mps_ = std::uniform_real_distribution<double>(kMinKph, kMaxKph)(rng_) / 3.6;
}

void SimVehicle::step(double dt) {
  const double tx = grid_i_ * kBlockM - x_;
  const double ty = grid_j_ * kBlockM - y_;
  const double dist = std::hypot(tx, ty);
  if (dist < 12) {
    pick_next_waypoint();
    return step(dt);  // one waypoint change per step at most: the next one is a block away
  }
  // Steer towards the waypoint at a bounded turn rate (smooth headings, rounded corners).
  const double err = wrap_pi(std::atan2(ty, tx) - heading_rad_);
  heading_rad_ = wrap_pi(heading_rad_ + std::clamp(err, -kMaxTurnRate * dt, kMaxTurnRate * dt));
  // Slow down for sharp corners, then accelerate back towards the cruising speed.
  const double want = std::abs(err) > 0.5 ? kMinKph / 3.6 : target_speed_mps_;
  speed_mps_ += std::clamp(want - speed_mps_, -kAccel * dt, kAccel * dt);
  speed_mps_ = std::clamp(speed_mps_, kMinKph / 3.6, kMaxKph / 3.6);
  x_ += std::cos(heading_rad_) * speed_mps_ * dt;
  y_ += std::sin(heading_rad_) * speed_mps_ * dt;
}

void SimVehicle::advance(double dt_s) {
  while (dt_s > 0) {
    const double dt = std::min(dt_s, 0.1);
    step(dt);
    dt_s -= dt;
  }
}

LatLon SimVehicle::position() const {
  const double lat = centre_.lat + y_ / kMetresPerDegLat;
  const double lon = centre_.lon + x_ / (kMetresPerDegLat * std::cos(centre_.lat * std::numbers::pi / 180));
  return {lat, lon};
}

double SimVehicle::heading_deg() const {
  // Math angle (0 = east, CCW) to compass bearing (0 = north, CW).
  double deg = 90 - heading_rad_ * 180 / std::numbers::pi;
  deg = std::fmod(deg, 360);
  if (deg < 0) deg += 360;
  return deg >= 360 ? 0 : deg;
}

}  // namespace fleetctl
