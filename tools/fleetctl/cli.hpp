#pragma once
// Shared plumbing for fleetctl sub-commands: flag parsing, help text, server selection, error reporting.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "fleet/http.hpp"

namespace fleetctl {

// Exit codes: 0 success, 1 failure reported by the server or the network, 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct FlagSpec {
  std::string_view name;        // without dashes: "user"
  std::string_view value_name;  // "" for a boolean switch, else shown in help: "URL"
  std::string_view help;
};

// Flags are "--name value" or "--name=value"; everything else is positional. "--" ends flag parsing.
// A separate value may start with one dash (negative numbers, "-" for stdin) but not two: that is the next
// flag, and the value was forgotten. A repeated flag takes its last value (get), or all of them (all).
// --server and --help are accepted by every command.
class Args {
 public:
  static fleet::Result<Args> parse(std::span<const FlagSpec> specs, std::span<char* const> argv);

  bool has(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;
  // Every value of a repeatable flag (--bbox A --bbox B), in the order given.
  std::vector<std::string> all(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }

  // Typed values; an unparsable value is a usage error naming the flag.
  fleet::Result<std::optional<double>> number(std::string_view name) const;
  fleet::Result<std::optional<long long>> integer(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::string> positional_;
};

struct Command {
  std::string_view name;
  std::string_view synopsis;  // "token --user U [--org O]"
  std::string_view summary;   // one line
  std::span<const FlagSpec> flags;
  int (*run)(const Args& args);
  // Takes positional arguments. Commands that do not refuse them before run(): a stray word is a forgotten
  // flag name or an unquoted value, and dropping it silently would run something else than what was asked.
  bool positional = false;
};

// Help for one command: synopsis, summary, flags (including the common ones).
void print_command_help(const Command& cmd);

// The server base URL: --server, else $FLEET_SERVER, else http://127.0.0.1:3000.
std::string server_url(const Args& args);

// A flag value or, when absent, the environment variable (for secrets that should stay out of `ps`).
std::optional<std::string> flag_or_env(const Args& args, std::string_view flag, const char* env);

// Prints "fleetctl: <message>" on stderr and returns kExitUsage / kExitFailure.
int usage_error(std::string_view message);
int failure(std::string_view message);

// Reports a non-2xx response on stderr: the JSON error body's code, message, index and field when present,
// else the status and the start of the body. Returns kExitFailure.
int report_http_error(const fleet::http::Response& res);

// Performs one request against the server; on success prints nothing. Transport errors are reported
// here. Returns the response only when it arrived.
std::optional<fleet::http::Response> call(const Args& args, std::string_view method, std::string_view path,
                                          std::string_view bearer, std::string_view body);

// Prints a JSON body on stdout followed by a newline.
void print_body(const std::string& body);

}  // namespace fleetctl
