#include "cli.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace fleetctl {
namespace {

constexpr FlagSpec kCommonFlags[] = {
    {"server", "URL", "server base URL (default $FLEET_SERVER or http://127.0.0.1:3000)"},
    {"help", "", "show this help"},
};

const FlagSpec* find_spec(std::span<const FlagSpec> specs, std::string_view name) {
  for (const FlagSpec& s : specs) {
    if (s.name == name) return &s;
  }
  for (const FlagSpec& s : kCommonFlags) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

fleet::Error usage(std::string msg) {
  return fleet::Error::make(fleet::ErrorCode::bad_request, std::move(msg));
}

}  // namespace

fleet::Result<Args> Args::parse(std::span<const FlagSpec> specs, std::span<char* const> argv) {
  Args a;
  bool flags_done = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string_view arg = argv[i];
    if (flags_done || !arg.starts_with("-") || arg == "-") {
      a.positional_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h") arg = "--help";
    if (!arg.starts_with("--")) return usage("unknown flag " + std::string(arg));
    std::string_view name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = find_spec(specs, name);
    if (!spec) return usage("unknown flag --" + std::string(name));
    if (spec->value_name.empty()) {
      if (value) return usage("--" + std::string(name) + " takes no value");
      value = "true";
    } else if (!value) {
      if (i + 1 >= argv.size()) return usage("--" + std::string(name) + " needs a value");
      // "-33.9" and "-" (stdin) are values, but "--user --org acme" lost the user: refuse rather than guess.
      const std::string_view next = argv[i + 1];
      if (next.starts_with("--")) {
        return usage("--" + std::string(name) + " needs a value, not the flag " + std::string(next) +
                     " (write --" + std::string(name) + "=" + std::string(next) + " if you mean it)");
      }
      value = argv[++i];
    }
    a.values_.emplace_back(std::string(name), std::move(*value));
  }
  return a;
}

bool Args::has(std::string_view name) const { return get(name).has_value(); }

std::optional<std::string> Args::get(std::string_view name) const {
  // The last occurrence wins, like most CLIs.
  const auto it =
      std::find_if(values_.rbegin(), values_.rend(), [&](const auto& kv) { return kv.first == name; });
  return it != values_.rend() ? std::optional<std::string>(it->second) : std::nullopt;
}

std::vector<std::string> Args::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [flag, value] : values_) {
    if (flag == name) out.push_back(value);
  }
  return out;
}

std::string Args::get_or(std::string_view name, std::string fallback) const {
  auto v = get(name);
  return v ? *v : std::move(fallback);
}

fleet::Result<std::optional<double>> Args::number(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::optional<double>{};
  double d = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (ec != std::errc{} || end != v->data() + v->size() || !std::isfinite(d)) {
    return usage("--" + std::string(name) + " must be a number, got \"" + *v + "\"");
  }
  return std::optional<double>(d);
}

fleet::Result<std::optional<long long>> Args::integer(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::optional<long long>{};
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size()) {
    return usage("--" + std::string(name) + " must be an integer, got \"" + *v + "\"");
  }
  return std::optional<long long>(n);
}

void print_command_help(const Command& cmd) {
  std::cout << "usage: fleetctl [--server URL] " << cmd.synopsis << "\n\n" << cmd.summary << "\n\nflags:\n";
  auto line = [](const FlagSpec& f) {
    std::string left = "  --" + std::string(f.name);
    if (!f.value_name.empty()) left += " " + std::string(f.value_name);
    if (left.size() < 24) left.resize(24, ' ');
    std::cout << left << "  " << f.help << "\n";
  };
  for (const FlagSpec& f : cmd.flags) line(f);
  for (const FlagSpec& f : kCommonFlags) line(f);
}

std::string server_url(const Args& args) {
  if (auto s = args.get("server")) return *s;
  if (const char* env = std::getenv("FLEET_SERVER"); env && *env) return env;
  return "http://127.0.0.1:3000";
}

std::optional<std::string> flag_or_env(const Args& args, std::string_view flag, const char* env) {
  if (auto v = args.get(flag)) return v;
  if (const char* e = std::getenv(env); e && *e) return std::string(e);
  return std::nullopt;
}

int usage_error(std::string_view message) {
  std::cerr << "fleetctl: " << message << " (see --help)\n";
  return kExitUsage;
}

int failure(std::string_view message) {
  std::cerr << "fleetctl: " << message << "\n";
  return kExitFailure;
}

int report_http_error(const fleet::http::Response& res) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(res.body, ec);
  const boost::json::object* err = nullptr;
  if (!ec && v.is_object()) {
    if (auto* e = v.get_object().if_contains("error"); e && e->is_object()) err = &e->get_object();
  }
  std::string msg = "server answered " + std::to_string(res.status);
  if (err) {
    auto str = [&](std::string_view key) -> std::string {
      auto* f = err->if_contains(key);
      return f && f->is_string() ? std::string(f->get_string()) : std::string();
    };
    if (auto code = str("code"); !code.empty()) msg += " " + code;
    if (auto m = str("message"); !m.empty()) msg += ": " + m;
    if (auto* idx = err->if_contains("index"); idx && idx->is_number()) {
      msg += " (index " + boost::json::serialize(*idx) + ")";
    }
    if (auto f = str("field"); !f.empty()) msg += " (field " + f + ")";
  } else if (!res.body.empty()) {
    msg += ": " + res.body.substr(0, 200);
  }
  if (!res.retry_after.empty()) msg += " (retry after " + res.retry_after + " s)";
  return failure(msg);
}

std::optional<fleet::http::Response> call(const Args& args, std::string_view method, std::string_view path,
                                          std::string_view bearer, std::string_view body) {
  auto conn = fleet::http::Connection::open(server_url(args));
  if (!conn) {
    failure(conn.error().message);
    return std::nullopt;
  }
  auto res = (*conn)->request(method, path, bearer, body);
  if (!res) {
    failure(server_url(args) + ": " + res.error().message);
    return std::nullopt;
  }
  return std::move(*res);
}

void print_body(const std::string& body) {
  std::cout << body;
  if (body.empty() || body.back() != '\n') std::cout << '\n';
  std::cout.flush();
}

}  // namespace fleetctl
