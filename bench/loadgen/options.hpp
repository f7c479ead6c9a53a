#pragma once
// Command line: `fleet_loadgen <scenario> --name value ...`. Every option is named; typed getters fail
// with a message naming the option, and unused options are reported so typos do not pass silently.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

class Options {
 public:
  // Throws std::invalid_argument on a malformed command line.
  Options(int argc, char** argv);

  const std::string& scenario() const noexcept { return scenario_; }
  bool has(std::string_view name) const;

  std::string str(std::string_view name, std::string_view fallback) const;
  std::string required(std::string_view name) const;
  std::int64_t integer(std::string_view name, std::int64_t fallback) const;
  double number(std::string_view name, double fallback) const;
  bool flag(std::string_view name) const;  // --name without a value, or --name true|false
  std::vector<double> numbers(std::string_view name, std::vector<double> fallback) const;  // "1,2.5,3"

  // Options given on the command line that no getter asked for.
  std::vector<std::string> unused() const;

 private:
  std::string scenario_;
  std::map<std::string, std::string, std::less<>> values_;
  mutable std::set<std::string, std::less<>> used_;
  const std::string* find(std::string_view name) const;
};

}  // namespace loadgen
