#include "daemon/admin_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <unordered_map>

namespace cohortwatch::daemon {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kRealm = "Bearer realm=\"cohortwatch\"";
// After an accept error other than the listener closing (e.g. out of descriptors), wait this long
// before accepting again rather than spinning.
constexpr std::chrono::seconds kAcceptRetry{1};
// How long a closing connection keeps reading what the client still sends (lingerThenClose).
constexpr std::chrono::seconds kLinger{2};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// "127.0.0.1:9464", "[::1]:9464".
std::string endpointText(const std::string& address, std::uint16_t port) {
  return address.find(':') != std::string::npos ? fmt::format("[{}]:{}", address, port)
                                                : fmt::format("{}:{}", address, port);
}

// A request path as it may appear in a debug log line: printable ASCII only, cut short.
std::string loggablePath(std::string_view path) {
  std::string out;
  for (char c : path.substr(0, 200)) {
    out += (c > ' ' && c < 127) ? c : '?';
  }
  if (path.size() > 200) out += "...";
  return out;
}

// The token of "Authorization: Bearer <token>" (scheme in any case, RFC 6750); nullopt when the
// header is absent or another scheme.
std::optional<std::string_view> bearerToken(const AdminRequest& request) {
  const auto header = request.header("Authorization");
  if (!header) return std::nullopt;
  constexpr std::string_view kScheme = "bearer";
  std::string_view value = *header;
  if (value.size() <= kScheme.size() ||
      !equalsIgnoreCase(value.substr(0, kScheme.size()), kScheme) ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  value.remove_prefix(kScheme.size());
  const auto start = value.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::nullopt;
  value.remove_prefix(start);
  const auto end = value.find_last_not_of(" \t");
  return value.substr(0, end + 1);
}

}  // namespace

// ---- requests and responses

std::optional<std::string_view> AdminRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

AdminResponse AdminResponse::json(int status, const nlohmann::json& body) {
  AdminResponse response;
  response.status = status;
  response.content_type = "application/json";
  // Replace invalid UTF-8 rather than throw: a health detail may quote an error message.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return response;
}

AdminResponse AdminResponse::error(int status, std::string_view message) {
  return json(status, {{"error", message}});
}

bool constantTimeEquals(std::string_view given, std::string_view expected) {
  // Every byte of `expected` is visited whatever `given` holds; only the (public) length of
  // `given` decides which byte each is compared with.
  unsigned difference = given.size() == expected.size() ? 0u : 1u;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto other = i < given.size() ? static_cast<unsigned char>(given[i]) : 0u;
    difference |= static_cast<unsigned char>(expected[i]) ^ other;
  }
  return difference == 0;
}

AdminOptionsResult adminServerOptions(const config::AdminSettings& settings) {
  AdminOptionsResult result;
  AdminServerOptions options;
  options.address = settings.address;
  options.port = static_cast<std::uint16_t>(std::clamp(settings.port, 0, 65535));
  if (settings.token) {
    config::SecretValue secret = config::resolveSecret(*settings.token);
    if (!secret.value) {
      result.error = "admin token: " + secret.error;
      return result;
    }
    options.bearer_token = std::move(secret.value);
  }
  result.options = std::move(options);
  return result;
}

// ---- the server's state, shared with its connections

class AdminSession;

struct AdminServer::State : std::enable_shared_from_this<AdminServer::State> {
  struct Route {
    std::string method;
    std::string path;
    Access access = Access::kPublic;
    Handler handler;
  };

  State(asio::io_context& context, AdminServerOptions server_options)
      : io(context), options(std::move(server_options)), acceptor(context), accept_retry(context) {}

  AdminResponse handle(const AdminRequest& request) const;
  AdminResponse authorise(const AdminRequest& request) const;  // status 0: authorised
  void accept();
  void stop();

  asio::io_context& io;
  AdminServerOptions options;
  std::vector<Route> routes;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  // The open connections, for stop(); each removes itself when it ends.
  std::unordered_map<const AdminSession*, std::weak_ptr<AdminSession>> sessions;
};

AdminResponse AdminServer::State::authorise(const AdminRequest& request) const {
  if (!options.bearer_token) {
    return AdminResponse::error(403,
                                "this endpoint needs a bearer token and none is configured: "
                                "set admin.token_file (or admin.token: env:NAME)");
  }
  const auto given = bearerToken(request);
  if (!given) {
    AdminResponse response = AdminResponse::error(401, "a bearer token is required");
    response.headers.emplace_back("WWW-Authenticate", std::string(kRealm));
    return response;
  }
  if (!constantTimeEquals(*given, *options.bearer_token)) {
    AdminResponse response = AdminResponse::error(401, "the bearer token is not valid");
    response.headers.emplace_back("WWW-Authenticate",
                                  std::string(kRealm) + ", error=\"invalid_token\"");
    return response;
  }
  AdminResponse authorised;
  authorised.status = 0;
  return authorised;
}

AdminResponse AdminServer::State::handle(const AdminRequest& request) const {
  std::vector<const Route*> on_path;
  for (const Route& route : routes) {
    if (route.path == request.path) on_path.push_back(&route);
  }
  if (on_path.empty()) return AdminResponse::error(404, "not found");

  const auto matches = [&](const Route* route) {
    return route->method == request.method || (request.method == "HEAD" && route->method == "GET");
  };
  const auto found = std::find_if(on_path.begin(), on_path.end(), matches);
  if (found == on_path.end()) {
    std::vector<std::string> allowed;
    for (const Route* route : on_path) {
      allowed.push_back(route->method);
      if (route->method == "GET") allowed.emplace_back("HEAD");
    }
    AdminResponse response = AdminResponse::error(405, "method not allowed");
    response.headers.emplace_back("Allow", fmt::format("{}", fmt::join(allowed, ", ")));
    return response;
  }
  const Route& route = **found;
  if (route.access == Access::kToken) {
    if (AdminResponse refused = authorise(request); refused.status != 0) return refused;
  }
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    spdlog::error("admin: {} {} failed: {}", route.method, route.path, e.what());
  } catch (...) {
    spdlog::error("admin: {} {} failed", route.method, route.path);
  }
  return AdminResponse::error(500, "internal error (see the service log)");
}

// ---- one connection: requests read and answered one at a time

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket socket, std::shared_ptr<AdminServer::State> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  ~AdminSession() { state_->sessions.erase(this); }

  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  void start() {
    state_->sessions.emplace(this, weak_from_this());
    readRequest();
  }

  // From stop(): the pending read or write ends with operation_aborted.
  void abort() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void readRequest() {
    parser_.emplace();
    parser_->header_limit(state_->options.max_header_bytes);
    parser_->body_limit(state_->options.max_body_bytes);
    stream_.expires_after(state_->options.read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == asio::error::operation_aborted || state_->stopped) return;
    if (ec == http::error::end_of_stream) return closeGracefully();
    if (ec == beast::error::timeout) {
      spdlog::debug("admin: connection closed: no complete request within {} ms",
                    state_->options.read_timeout.count());
      return;  // tcp_stream has closed the socket
    }
    if (ec == http::error::header_limit) return refuse(431, "request headers too large");
    if (ec == http::error::body_limit) return refuse(413, "request body too large");
    if (ec && ec.category() == beast::error_code(http::error::bad_target).category()) {
      return refuse(400, "malformed request");
    }
    if (ec) return closeGracefully();  // reset by the peer, and the like

    http::request<http::string_body> message = parser_->release();
    AdminRequest request;
    request.method = std::string(message.method_string());
    const auto sent_target = message.target();  // boost::string_view in Boost 1.74
    const std::string_view target(sent_target.data(), sent_target.size());
    const auto mark = target.find('?');
    request.path = std::string(target.substr(0, mark));
    if (mark != std::string_view::npos) request.query = std::string(target.substr(mark + 1));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());

    AdminResponse response = request.path.starts_with('/')
                                 ? state_->handle(request)
                                 : AdminResponse::error(400, "the request target must be a path");
    spdlog::debug("admin: {} {} -> {}", loggablePath(request.method), loggablePath(request.path),
                  response.status);
    write(std::move(response), message.version(), message.keep_alive(), request.method == "HEAD");
  }

  void refuse(int status, std::string_view message) {
    spdlog::debug("admin: request refused: {} {}", status, message);
    write(AdminResponse::error(status, message), 11, false, false);
  }

  void write(AdminResponse response, unsigned version, bool keep_alive, bool head) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::content_type, response.content_type);
    response_.set(http::field::cache_control, "no-store");
    response_.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) response_.insert(name, value);
    response_.keep_alive(keep_alive && !state_->stopped);
    // HEAD: the length the GET body would have, and no body.
    response_.content_length(response.body.size());
    if (!head) response_.body() = std::move(response.body);
    stream_.expires_after(state_->options.write_timeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onWrite(ec); });
  }

  void onWrite(beast::error_code ec) {
    if (ec || state_->stopped) return;  // closed by the timeout, the peer or stop()
    if (!response_.keep_alive()) return lingerThenClose();
    readRequest();
  }

  void closeGracefully() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  // After the last response: our side is shut down, and what the client still sends is read and
  // dropped until it closes (or kLinger passes). Closing with unread data would send a reset,
  // which can destroy the response before the client reads it (a refused request's body).
  void lingerThenClose() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLinger);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                if (ec != beast::error::timeout) self->stream_.close();
                                return;
                              }
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::array<char, 4096> discard_{};
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::shared_ptr<AdminServer::State> state_;
};

// ---- accepting

void AdminServer::State::accept() {
  acceptor.async_accept(
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (self->stopped || ec == asio::error::operation_aborted) return;
        if (ec) {
          spdlog::warn("admin: accepting a connection failed: {}; trying again in {}s",
                       ec.message(), kAcceptRetry.count());
          self->accept_retry.expires_after(kAcceptRetry);
          self->accept_retry.async_wait([self](const boost::system::error_code& wait_error) {
            if (!wait_error && !self->stopped) self->accept();
          });
          return;
        }
        if (self->sessions.size() >= self->options.max_connections) {
          spdlog::debug("admin: {} connections open; one more refused", self->sessions.size());
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<AdminSession>(std::move(socket), self)->start();
        }
        self->accept();
      });
}

void AdminServer::State::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  std::vector<std::shared_ptr<AdminSession>> open;
  for (const auto& [key, session] : sessions) {
    if (auto alive = session.lock()) open.push_back(std::move(alive));
  }
  for (const auto& session : open) session->abort();
}

// ---- the server

AdminServer::AdminServer(boost::asio::io_context& io, AdminServerOptions options,
                         AdminHandlers handlers)
    : state_(std::make_shared<State>(io, std::move(options))) {
  addRoute("GET", "/healthz", Access::kPublic,
           [health = std::move(handlers.health)](const AdminRequest&) {
             HealthReport report;
             report.ok = true;  // with no check given, answering at all shows the loop is alive
             if (health) {
               try {
                 report = health();
               } catch (const std::exception& e) {
                 spdlog::error("admin: the health check failed: {}", e.what());
                 report = HealthReport{
                     false, nlohmann::json{{"error", "the health check failed (see the log)"}}};
               }
             }
             nlohmann::json body = {{"status", report.ok ? "ok" : "unavailable"}};
             if (!report.details.is_null()) body["details"] = report.details;
             return AdminResponse::json(report.ok ? 200 : 503, body);
           });
  addRoute("GET", "/metrics", Access::kToken,
           [metrics = std::move(handlers.metrics)](const AdminRequest&) {
             AdminResponse response;
             response.content_type = std::string(kMetricsContentType);
             if (metrics) response.body = metrics();
             return response;
           });
}

AdminServer::~AdminServer() {
  try {
    stop();
  } catch (...) {  // only bad_alloc could get here; the io_context's end closes what is left
  }
}

void AdminServer::addRoute(std::string method, std::string path, Access access, Handler handler) {
  state_->routes.push_back({std::move(method), std::move(path), access, std::move(handler)});
}

AdminServer::StartResult AdminServer::start() {
  State& state = *state_;
  const std::string where = endpointText(state.options.address, state.options.port);
  if (state.started || state.stopped)
    return {false, where + ": the admin server was started before"};
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(state.options.address, ec);
  if (ec)
    return {false, fmt::format("admin address \"{}\" is not an IP address", state.options.address)};
  const tcp::endpoint endpoint(address, state.options.port);
  state.acceptor.open(endpoint.protocol(), ec);
  if (!ec) state.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) state.acceptor.bind(endpoint, ec);
  if (!ec) state.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) state.port = state.acceptor.local_endpoint(ec).port();
  if (ec) {
    boost::system::error_code ignored;
    state.acceptor.close(ignored);
    return {false, fmt::format("{}: {}", where, ec.message())};
  }
  state.started = true;
  spdlog::info(
      "admin HTTP server listening on {}{}", endpointText(state.options.address, state.port),
      state.options.bearer_token ? ""
                                 : " (/metrics answers 403 until admin.token_file is configured)");
  state.accept();
  return {true, {}};
}

void AdminServer::stop() {
  state_->stop();
}

std::uint16_t AdminServer::port() const {
  return state_->port;
}

AdminResponse AdminServer::handle(const AdminRequest& request) const {
  return state_->handle(request);
}

}  // namespace cohortwatch::daemon
