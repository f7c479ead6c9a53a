#pragma once
// The keys file of `fleetctl simulate`: the devices it created, with their keys, which the server shows only
// once. Reading never mistakes a file it cannot read for an absent one (writing the new list over it would
// lose those keys), and writing never leaves the keys readable by others, not even for a moment.
#include <string>
#include <vector>

#include "core/result.hpp"

namespace fleetctl {

struct SimDevice {
  std::string id;
  std::string name;
  std::string key;
};

// [{"id","name","key"}, ...] from `path`; empty when the file does not exist. An error when it exists but
// cannot be read, or is not such a list.
fleet::Result<std::vector<SimDevice>> load_sim_keys(const std::string& path);

// Replaces `path` with `devices` atomically (a temporary file beside it, renamed), mode 0600.
fleet::Result<void> save_sim_keys(const std::string& path, const std::vector<SimDevice>& devices);

}  // namespace fleetctl
