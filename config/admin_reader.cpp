#include "config/admin_reader.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <array>

namespace cohortwatch::config {

namespace {

// A numeric IPv4 or IPv6 address: the server binds to exactly that, so no name resolution.
bool isIpAddress(const std::string& text) {
  std::array<unsigned char, sizeof(struct in6_addr)> buffer{};
  return ::inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

}  // namespace

void readAdmin(Reader& reader, const Value& root, Settings& out) {
  MapReader map =
      reader.map(lookup(root, "admin"), {"enabled", "address", "port", "token", "token_file"});
  if (!map.ok()) return;
  AdminSettings& admin = out.admin;
  map.boolean("enabled", admin.enabled);
  if (map.string("address", admin.address) && !isIpAddress(admin.address)) {
    reader.error(
        map.get("address"),
        fmt::format("expected an IP address like 127.0.0.1 or ::1, got \"{}\"", admin.address));
  }
  map.integer("port", admin.port, 0, 65535);
  admin.token = map.secret("token");
}

}  // namespace cohortwatch::config
