#pragma once
// A simulated vehicle for `fleetctl simulate`: drives a random walk on a street-grid-like lattice around a
// city centre, with smooth heading changes and speeds between 20 and 70 km/h. Pure computation, no I/O.
#include <cstdint>
#include <random>
#include <string_view>

namespace fleetctl {

struct LatLon {
  double lat = 0;
  double lon = 0;
};

// Known city centres; false for an unknown name.
bool city_centre(std::string_view name, LatLon& out);
// "paris, berlin, ..." for help texts.
const char* city_names();

class SimVehicle {
 public:
  SimVehicle(LatLon centre, std::uint64_t seed);

  // Drives for dt seconds (any length; integrated in steps of at most 0.1 s).
  void advance(double dt_s);

  LatLon position() const;
  double speed_kph() const noexcept { return speed_mps_ * 3.6; }
  double heading_deg() const;  // compass bearing, [0, 360)

 private:
  void pick_next_waypoint();
  void step(double dt_s);

  LatLon centre_;
  std::mt19937_64 rng_;
  // Local east/north plane in metres around the centre (equirectangular; fine over a few km).
  double x_ = 0, y_ = 0;
  double heading_rad_ = 0;  // math angle: 0 = east, counter-clockwise
  double speed_mps_ = 0;
  double target_speed_mps_ = 0;
  int grid_i_ = 0, grid_j_ = 0;  // the intersection being driven to
  int dir_ = 0;                  // 0 east, 1 north, 2 west, 3 south
};

}  // namespace fleetctl
