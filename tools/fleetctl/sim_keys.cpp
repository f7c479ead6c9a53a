#include "sim_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>

namespace fleetctl {
namespace {

namespace json = boost::json;

fleet::Error io_error(const std::string& what, const std::string& path) {
  return fleet::Error::make(fleet::ErrorCode::internal,
                            what + " " + path + ": " + std::generic_category().message(errno));
}

}  // namespace

fleet::Result<std::vector<SimDevice>> load_sim_keys(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::vector<SimDevice>{};  // a first run: created and written back
    return io_error("cannot read", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read", path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  if (in.bad()) return io_error("cannot read", path);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  auto bad = [&] {
    return fleet::Error::make(fleet::ErrorCode::invalid_json,
                              path + ": expected [{\"id\",\"name\",\"key\"}, ...]");
  };
  if (ec || !v.is_array()) return bad();
  std::vector<SimDevice> out;
  for (const json::value& e : v.get_array()) {
    const json::object* o = e.if_object();
    if (!o) return bad();
    auto str = [&](const char* k) -> const json::string* {
      const json::value* f = o->if_contains(k);
      return f ? f->if_string() : nullptr;
    };
    if (!str("key") || str("key")->empty()) return bad();
    out.push_back({str("id") ? std::string(*str("id")) : "", str("name") ? std::string(*str("name")) : "",
                   std::string(*str("key"))});
  }
  return out;
}

fleet::Result<void> save_sim_keys(const std::string& path, const std::vector<SimDevice>& devices) {
  json::array arr;
  for (const SimDevice& d : devices)
    arr.push_back(json::object{{"id", d.id}, {"name", d.name}, {"key", d.key}});
  const std::string text = json::serialize(arr) + "\n";
  const std::string tmp = path + ".tmp";
  // Created 0600, and fchmod for a leftover temporary file that O_CREAT would not change.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("cannot write", tmp);
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  if (!ok) {
    const fleet::Error e = io_error("cannot write", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::close(fd) != 0) return io_error("cannot write", tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename " + tmp + " to", path);
  return {};
}

}  // namespace fleetctl
