// The admin HTTP/1.1 server (issue 7), on the service's own Asio event loop, bound to 127.0.0.1
// by default: GET /healthz for probes (no authentication), GET /metrics in the Prometheus text
// format (a bearer token required; refused outright when none is configured), and a small router
// (method + path -> handler) so that later pages join the same server. Handlers run on the event
// loop's thread, so they may use the store; a loop stuck in a long cycle therefore answers
// /healthz late, which a probe with a timeout sees as unhealthy. Timeouts and size limits keep a
// slow or hostile client from holding a connection. Logs one line when listening; requests only
// at debug level, and never their headers (the token is in one).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::daemon {

using AdminHeaders = std::vector<std::pair<std::string, std::string>>;

struct AdminRequest {
  std::string method;  // as sent: "GET", "HEAD", "POST", ...
  std::string path;    // the target up to '?', not decoded
  std::string query;   // after '?', not decoded; empty when none
  AdminHeaders headers;
  std::string body;

  // The first header of that name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  AdminHeaders headers;  // extra headers; Content-Length and Connection are set by the server
  std::string body;

  static AdminResponse json(int status, const nlohmann::json& body);
  static AdminResponse error(int status, std::string_view message);  // {"error": message}
};

struct HealthReport {
  bool ok = false;
  nlohmann::json details;  // e.g. {"loop": "alive", "database": "writable"}
};

struct AdminHandlers {
  std::function<HealthReport()> health;
  std::function<std::string()> metrics;  // the exposition text (MetricsRegistry::render)
};

struct AdminServerOptions {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 address
  std::uint16_t port = 9464;          // 0: the kernel picks (see AdminServer::port())
  // Routes with Access::kToken need "Authorization: Bearer <token>"; without a token configured
  // they answer 403.
  std::optional<std::string> bearer_token;
  // The whole of a request (headers and body) must arrive within this, counted from when the
  // server starts waiting for it: also how long an idle keep-alive connection is kept.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint64_t max_body_bytes = 64 * 1024;
  std::size_t max_connections = 32;  // more are accepted and closed at once
};

// The options for settings.admin, the token read from its file or variable; nullopt and `error`
// (naming the file or variable, never the token) when it cannot be read.
struct AdminOptionsResult {
  std::optional<AdminServerOptions> options;
  std::string error;
};
AdminOptionsResult adminServerOptions(const config::AdminSettings& settings);

// Whether `given` equals `expected`, in a time that does not depend on where they differ.
bool constantTimeEquals(std::string_view given, std::string_view expected);

class AdminServer {
 public:
  enum class Access { kPublic, kToken };
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  struct StartResult {
    bool ok = false;
    std::string error;  // "127.0.0.1:9464: Address already in use"
  };

  // Adds GET /healthz and GET /metrics. Nothing happens on `io` until start().
  AdminServer(boost::asio::io_context& io, AdminServerOptions options, AdminHandlers handlers);
  ~AdminServer();  // stop()s
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // More routes (before start()). A GET route answers HEAD too. A handler that throws gives a
  // 500 (logged); nothing propagates into the event loop.
  void addRoute(std::string method, std::string path, Access access, Handler handler);

  // Binds, listens and starts accepting. Like every Asio object, start() and stop() are called
  // on the thread running `io` (or while no thread runs it).
  [[nodiscard]] StartResult start();
  // Closes the listener and every open connection; their handlers finish with operation_aborted
  // the next time `io` runs. Idempotent.
  void stop();

  std::uint16_t port() const;  // the bound port once started (the kernel's pick for port 0)

  // Answers one request as the server would (routing, authentication, HEAD): for tests and for
  // pages that embed others.
  AdminResponse handle(const AdminRequest& request) const;

  struct State;  // daemon/admin_server.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace cohortwatch::daemon
