#include "options.hpp"

#include <charconv>
#include <stdexcept>

namespace loadgen {

Options::Options(int argc, char** argv) {
  if (argc < 2) throw std::invalid_argument("missing scenario");
  scenario_ = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--") || arg.size() == 2)
      throw std::invalid_argument("unexpected argument " + std::string(arg));
    std::string name(arg.substr(2));
    std::string value = "true";
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
      value = argv[++i];
    }
    values_[name] = value;
  }
}

const std::string* Options::find(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return nullptr;
  used_.insert(std::string(name));
  return &it->second;
}

bool Options::has(std::string_view name) const { return find(name) != nullptr; }

std::string Options::str(std::string_view name, std::string_view fallback) const {
  const auto* v = find(name);
  return v ? *v : std::string(fallback);
}

std::string Options::required(std::string_view name) const {
  const auto* v = find(name);
  if (!v) throw std::invalid_argument("missing --" + std::string(name));
  return *v;
}

std::int64_t Options::integer(std::string_view name, std::int64_t fallback) const {
  const auto* v = find(name);
  if (!v) return fallback;
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || end != v->data() + v->size()) {
    throw std::invalid_argument("--" + std::string(name) + " wants an integer, got " + *v);
  }
  return out;
}

double Options::number(std::string_view name, double fallback) const {
  const auto* v = find(name);
  if (!v) return fallback;
  double out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc{} || end != v->data() + v->size()) {
    throw std::invalid_argument("--" + std::string(name) + " wants a number, got " + *v);
  }
  return out;
}

bool Options::flag(std::string_view name) const {
  const auto* v = find(name);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  throw std::invalid_argument("--" + std::string(name) + " takes no value");
}

std::vector<double> Options::numbers(std::string_view name, std::vector<double> fallback) const {
  const auto* v = find(name);
  if (!v) return fallback;
  std::vector<double> out;
  std::string_view rest = *v;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    double x = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), x);
    if (ec != std::errc{} || end != item.data() + item.size()) {
      throw std::invalid_argument("--" + std::string(name) + " wants numbers separated by commas, got " + *v);
    }
    out.push_back(x);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

std::vector<std::string> Options::unused() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : values_) {
    if (!used_.contains(name)) out.push_back(name);
  }
  return out;
}

}  // namespace loadgen
