#include "obs/metrics.hpp"

#include <charconv>
#include <map>

namespace fleet::obs {

struct Registry::Series {
  std::string name;
  std::string help;
  std::string labels;
  char kind = 'c';  // 'c' counter, 'g' gauge, 'f' gauge function
  Counter counter;
  Gauge gauge;
  std::function<double()> fn;
};

Registry::Series& Registry::find_or_add(std::string_view name, std::string_view help, std::string_view labels,
                                        char kind) {
  std::lock_guard lock(mu_);
  for (auto& s : series_) {
    if (s->name == name && s->labels == labels) return *s;
  }
  auto s = std::make_unique<Series>();
  s->name = name;
  s->help = help;
  s->labels = labels;
  s->kind = kind;
  series_.push_back(std::move(s));
  return *series_.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, std::string_view labels) {
  return find_or_add(name, help, labels, 'c').counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, std::string_view labels) {
  return find_or_add(name, help, labels, 'g').gauge;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn) {
  find_or_add(name, help, {}, 'f').fn = std::move(fn);
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  // Group series by metric name so HELP/TYPE appear once per family, in registration order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Series*>> families;
  for (const auto& s : series_) {
    auto [it, inserted] = families.try_emplace(s->name);
    if (inserted) order.push_back(s->name);
    it->second.push_back(s.get());
  }
  std::string out;
  out.reserve(4096);
  for (const auto& name : order) {
    const auto& members = families[name];
    const Series& first = *members.front();
    out += "# HELP " + name + " " + first.help + "\n";
    out += "# TYPE " + name + (first.kind == 'c' ? " counter\n" : " gauge\n");
    for (const Series* s : members) {
      out += name;
      if (!s->labels.empty()) out += "{" + s->labels + "}";
      out += ' ';
      char buf[32];
      if (s->kind == 'c') {
        auto r = std::to_chars(buf, buf + sizeof buf, s->counter.value());
        out.append(buf, r.ptr);
      } else if (s->kind == 'g') {
        auto r = std::to_chars(buf, buf + sizeof buf, s->gauge.value());
        out.append(buf, r.ptr);
      } else {
        auto r = std::to_chars(buf, buf + sizeof buf, s->fn ? s->fn() : 0.0);
        out.append(buf, r.ptr);
      }
      out += '\n';
    }
  }
  return out;
}

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

}  // namespace fleet::obs
