// The admin HTTP server, over real TCP on 127.0.0.1 (port 0), its io_context running in a thread
// as the service's event loop would: /healthz and /metrics as a probe and Prometheus see them,
// the bearer token, the router's 404 and 405, HEAD, keep-alive, limits, timeouts and stop().
#include "daemon/admin_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/metrics.h"

namespace cohortwatch::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kClientTimeout{5};
constexpr const char* kToken = "0123456789abcdef-admin-token";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

struct Reply {
  std::string error;  // empty when a response was read
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool keep_alive = false;

  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

// One client connection on its own io_context; every operation is bounded by a timeout, so a
// server that misbehaves fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(kClientTimeout);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [this](beast::error_code ec) { error_ = ec; });
    run();
  }

  bool connected() const { return !error_; }

  Reply send(const std::string& method, const std::string& target,
             const std::vector<std::pair<std::string, std::string>>& headers = {},
             const std::string& body = {}, unsigned version = 11) {
    Reply reply;
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(version);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    if (!body.empty() || method == "POST") request.prepare_payload();

    stream_.expires_after(kClientTimeout);
    http::async_write(stream_, request, [this](beast::error_code ec, std::size_t) { error_ = ec; });
    run();
    if (error_) {
      reply.error = "write: " + error_.message();
      return reply;
    }
    http::response_parser<http::string_body> parser;
    parser.skip(method == "HEAD");  // a response to HEAD has no body, whatever its length says
    stream_.expires_after(kClientTimeout);
    http::async_read(stream_, buffer_, parser,
                     [this](beast::error_code ec, std::size_t) { error_ = ec; });
    run();
    if (error_) {
      reply.error = "read: " + error_.message();
      return reply;
    }
    const auto& response = parser.get();
    reply.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      reply.headers[name] = std::string(field.value());
    }
    reply.body = response.body();
    reply.keep_alive = response.keep_alive();
    return reply;
  }

  // Waits for the server to close the connection: true when it did within `timeout`.
  bool closedByServer(std::chrono::milliseconds timeout) {
    std::array<char, 512> data{};
    stream_.expires_after(timeout);
    beast::error_code result;
    bool done = false;
    std::function<void()> readMore = [&] {
      stream_.async_read_some(asio::buffer(data), [&](beast::error_code ec, std::size_t) {
        if (ec) {
          result = ec;
          done = true;
          return;
        }
        readMore();  // unexpected bytes: keep waiting for the close
      });
    };
    readMore();
    run();
    return done && result != beast::error::timeout;
  }

 private:
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code error_;
};

Reply request(std::uint16_t port, const std::string& method, const std::string& target,
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  Client client(port);
  if (!client.connected()) return Reply{"connect failed", 0, {}, {}, false};
  return client.send(method, target, headers);
}

std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// ---- a strict reader of the text exposition format 0.0.4

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge
  std::set<std::string> helps;
  std::vector<Sample> samples;
  std::vector<std::string> problems;  // lines that are not in the format
};

// The label block between '{' and '}'; false when it is not name="value",... with only \\, \"
// and \n escaped.
bool parseLabels(std::string_view text, std::map<std::string, std::string>& labels) {
  static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  std::size_t at = 0;
  while (at < text.size()) {
    const auto equals = text.find('=', at);
    if (equals == std::string_view::npos) return false;
    const std::string name(text.substr(at, equals - at));
    if (!std::regex_match(name, kLabelName) || labels.count(name) > 0) return false;
    at = equals + 1;
    if (at >= text.size() || text[at] != '"') return false;
    ++at;
    std::string value;
    bool closed = false;
    while (at < text.size()) {
      const char c = text[at++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\n') return false;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (at >= text.size()) return false;
      const char escaped = text[at++];
      if (escaped == '\\') {
        value += '\\';
      } else if (escaped == '"') {
        value += '"';
      } else if (escaped == 'n') {
        value += '\n';
      } else {
        return false;
      }
    }
    if (!closed) return false;
    labels[name] = value;
    if (at < text.size()) {
      if (text[at] != ',') return false;
      ++at;
    }
  }
  return true;
}

Exposition parseExposition(const std::string& text) {
  static const std::regex kHelp("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
  static const std::regex kType("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?|NaN|Inf)))");
  Exposition out;
  if (!text.empty() && text.back() != '\n') out.problems.push_back("no final newline");
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    std::smatch match;
    if (std::regex_match(line, match, kHelp)) {
      if (!out.helps.insert(match[1]).second) out.problems.push_back("second HELP: " + line);
    } else if (std::regex_match(line, match, kType)) {
      if (out.types.count(match[1]) > 0) out.problems.push_back("second TYPE: " + line);
      out.types[match[1]] = match[2];
    } else if (std::regex_match(line, match, kSample)) {
      Sample sample;
      sample.name = match[1];
      if (match[2].matched && !parseLabels(match[3].str(), sample.labels)) {
        out.problems.push_back("bad labels: " + line);
      }
      const std::string value = match[4];
      sample.value = value == "NaN" ? std::nan("") : std::stod(value);
      if (out.types.count(sample.name) == 0) out.problems.push_back("sample before TYPE: " + line);
      out.samples.push_back(std::move(sample));
    } else {
      out.problems.push_back("not in the format: " + line);
    }
  }
  return out;
}

const Sample* findSample(const Exposition& exposition, const std::string& name,
                         const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& sample : exposition.samples) {
    if (sample.name == name && sample.labels == labels) return &sample;
  }
  return nullptr;
}

// ---- the server under test, on an event loop in a thread

class AdminServerTest : public ::testing::Test {
 protected:
  ~AdminServerTest() override { shutdown(); }

  void start(AdminServerOptions options = {},
             const std::function<void(AdminServer&)>& configure = {}) {
    options.address = "127.0.0.1";
    options.port = 0;
    AdminHandlers handlers;
    handlers.health = [this] {
      ++health_calls_;
      const bool ok = healthy_.load();
      return HealthReport{ok, {{"loop", "alive"}, {"database", ok ? "writable" : "read-only"}}};
    };
    handlers.metrics = [this] {
      metrics_.updateProcess();
      return registry_.render();
    };
    server_ = std::make_unique<AdminServer>(io_, std::move(options), std::move(handlers));
    if (configure) configure(*server_);
    const auto started = server_->start();
    ASSERT_TRUE(started.ok) << started.error;
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  AdminServerOptions withToken() {
    AdminServerOptions options;
    options.bearer_token = kToken;
    return options;
  }

  // Runs `step` on the event loop's thread and waits for it.
  void onLoop(const std::function<void()>& step) {
    std::promise<void> done;
    asio::post(io_, [&] {
      step();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(kClientTimeout), std::future_status::ready);
  }

  void shutdown() {
    if (thread_.joinable()) {
      work_.reset();
      io_.stop();
      thread_.join();
    }
    server_.reset();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  MetricsRegistry registry_;
  ServiceMetrics metrics_{registry_};
  std::atomic<bool> healthy_{true};
  std::atomic<int> health_calls_{0};
  std::unique_ptr<AdminServer> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

// ---- /healthz

TEST_F(AdminServerTest, HealthzIs200WithJsonWhenHealthy) {
  start();
  const Reply reply = request(port_, "GET", "/healthz");
  ASSERT_EQ(reply.error, "");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  EXPECT_EQ(reply.header("content-length"), std::to_string(reply.body.size()));
  const auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["details"]["loop"], "alive");
  EXPECT_EQ(body["details"]["database"], "writable");
}

TEST_F(AdminServerTest, HealthzIs503WithJsonWhenTheDatabaseIsNotWritable) {
  start();
  healthy_ = false;
  const Reply reply = request(port_, "GET", "/healthz");
  ASSERT_EQ(reply.error, "");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  const auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_EQ(body["details"]["database"], "read-only");
  healthy_ = true;
  EXPECT_EQ(request(port_, "GET", "/healthz").status, 200);
}

TEST_F(AdminServerTest, HealthzNeedsNoTokenEvenWhenOneIsConfigured) {
  start(withToken());
  EXPECT_EQ(request(port_, "GET", "/healthz").status, 200);
  EXPECT_EQ(request(port_, "GET", "/healthz", bearer("wrong")).status, 200);
  EXPECT_EQ(request(port_, "GET", "/healthz?verbose=1").status, 200);
}

TEST(AdminServerHealth, AThrowingCheckIs503AndTheLoopGoesOn) {
  asio::io_context io;
  AdminHandlers handlers;
  handlers.health = []() -> HealthReport { throw std::runtime_error("database is locked"); };
  AdminServer server(io, {}, std::move(handlers));
  AdminRequest request;
  request.method = "GET";
  request.path = "/healthz";
  const AdminResponse response = server.handle(request);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(nlohmann::json::parse(response.body)["status"], "unavailable");
}

// ---- /metrics and the token

TEST_F(AdminServerTest, MetricsWithTheTokenIsTheExpositionFormat) {
  start(withToken());
  metrics_.sourceRun("childview", 1234, 5,
                     std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
  metrics_.alertsFired("proven_reoffence", 2);
  metrics_.outbox("mail", 1, 10, 0, 2);
  const Gauge odd =
      registry_.gauge("test_odd_labels", "A \"help\" with a \\ and\na newline.", {"path"});
  odd.set({"C:\\exports\\\"new\"\nfolder"}, 1.5);

  const Reply reply = request(port_, "GET", "/metrics", bearer(kToken));
  ASSERT_EQ(reply.error, "");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("content-type"), kMetricsType);
  const Exposition exposition = parseExposition(reply.body);
  EXPECT_THAT(exposition.problems, ::testing::IsEmpty());
  for (const auto& [family, type] : exposition.types) {
    EXPECT_EQ(exposition.helps.count(family), 1u) << family << " has no HELP";
  }
  EXPECT_EQ(exposition.types.at(kRowsTaken), "counter");
  EXPECT_EQ(exposition.types.at(kOutboxMessages), "gauge");
  EXPECT_EQ(exposition.types.at(kResidentMemory), "gauge");

  const Sample* taken = findSample(exposition, kRowsTaken, {{"source", "childview"}});
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->value, 1234);
  const Sample* sent =
      findSample(exposition, kOutboxMessages, {{"channel", "mail"}, {"status", "sent"}});
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->value, 10);
  const Sample* odd_sample =
      findSample(exposition, "test_odd_labels", {{"path", "C:\\exports\\\"new\"\nfolder"}});
  ASSERT_NE(odd_sample, nullptr) << reply.body;
  EXPECT_EQ(odd_sample->value, 1.5);
  const Sample* memory = findSample(exposition, kResidentMemory);
  ASSERT_NE(memory, nullptr);
  EXPECT_GT(memory->value, 1024 * 1024);
  const Sample* started = findSample(exposition, kStartTime);
  ASSERT_NE(started, nullptr);
  EXPECT_GT(started->value, 1.6e9);
}

TEST_F(AdminServerTest, MetricsWithoutTheRightTokenIs401) {
  start(withToken());
  const Reply missing = request(port_, "GET", "/metrics");
  ASSERT_EQ(missing.error, "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.header("www-authenticate"), StartsWith("Bearer"));
  EXPECT_EQ(missing.header("content-type"), "application/json");
  EXPECT_THAT(missing.body, ::testing::Not(HasSubstr("cohortwatch_")));

  for (const std::string& wrong :
       {std::string("wrong"), std::string(kToken) + "x", std::string(kToken).substr(1),
        std::string(kToken).substr(0, std::string(kToken).size() - 1) + "g", std::string()}) {
    SCOPED_TRACE(wrong);
    const Reply reply = request(port_, "GET", "/metrics", bearer(wrong));
    EXPECT_EQ(reply.status, 401);
    EXPECT_THAT(reply.header("www-authenticate"), StartsWith("Bearer"));
    EXPECT_THAT(reply.body, ::testing::Not(HasSubstr(kToken)));
  }
  EXPECT_EQ(
      request(port_, "GET", "/metrics", {{"Authorization", std::string("Basic ") + kToken}}).status,
      401);
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_EQ(request(port_, "GET", "/metrics", {{"Authorization", std::string("bearer ") + kToken}})
                .status,
            200);
}

TEST_F(AdminServerTest, MetricsIsRefusedWith403WhenNoTokenIsConfigured) {
  start();
  for (const auto& headers : {std::vector<std::pair<std::string, std::string>>{}, bearer(kToken)}) {
    const Reply reply = request(port_, "GET", "/metrics", headers);
    ASSERT_EQ(reply.error, "");
    EXPECT_EQ(reply.status, 403);
    EXPECT_EQ(reply.header("content-type"), "application/json");
    EXPECT_THAT(nlohmann::json::parse(reply.body)["error"].get<std::string>(),
                HasSubstr("token_file"));
  }
}

TEST(AdminServerToken, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_FALSE(constantTimeEquals("secreT", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(constantTimeEquals("secret2", "secret"));
  EXPECT_FALSE(constantTimeEquals("", "secret"));
  EXPECT_FALSE(constantTimeEquals(std::string("secret\0", 7), "secret"));
}

TEST(AdminServerToken, OptionsReadTheTokenFileAndNeverShowIt) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("cohortwatch_admin_token_" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "t0ken-from-file\n";
  }
  config::AdminSettings settings;
  settings.port = 0;
  settings.token = config::SecretRef{config::SecretRef::Kind::kFile, path.string()};
  const AdminOptionsResult result = adminServerOptions(settings);
  ASSERT_TRUE(result.options) << result.error;
  EXPECT_EQ(result.options->bearer_token, "t0ken-from-file");
  EXPECT_EQ(result.options->address, "127.0.0.1");
  EXPECT_EQ(result.options->port, 0);
  std::filesystem::remove(path);

  const AdminOptionsResult missing = adminServerOptions(settings);
  EXPECT_FALSE(missing.options);
  EXPECT_THAT(missing.error, HasSubstr(path.string()));

  const AdminOptionsResult none = adminServerOptions(config::AdminSettings{});
  ASSERT_TRUE(none.options);
  EXPECT_FALSE(none.options->bearer_token);
  EXPECT_EQ(none.options->port, 9464);
}

// ---- the router

TEST_F(AdminServerTest, UnknownPathIs404) {
  start(withToken());
  for (const char* target : {"/", "/metrics/", "/healthz/x", "/admin", "/Metrics"}) {
    SCOPED_TRACE(target);
    const Reply reply = request(port_, "GET", target, bearer(kToken));
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(nlohmann::json::parse(reply.body)["error"], "not found");
  }
}

TEST_F(AdminServerTest, WrongMethodIs405WithAllow) {
  start(withToken());
  for (const char* target : {"/metrics", "/healthz"}) {
    SCOPED_TRACE(target);
    const Reply post = request(port_, "POST", target, bearer(kToken));
    ASSERT_EQ(post.error, "");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("allow"), "GET, HEAD");
    EXPECT_EQ(request(port_, "DELETE", target).status, 405);
  }
}

TEST_F(AdminServerTest, HeadAnswersWithTheLengthAndNoBody) {
  start(withToken());
  Client client(port_);
  ASSERT_TRUE(client.connected());
  const Reply get = client.send("GET", "/healthz");
  const Reply head = client.send("HEAD", "/healthz");  // the same connection: no stray body
  ASSERT_EQ(head.error, "");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.header("content-type"), "application/json");

  const Reply metrics = client.send("HEAD", "/metrics", bearer(kToken));
  ASSERT_EQ(metrics.error, "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "");
  EXPECT_EQ(metrics.header("content-type"), kMetricsType);
  EXPECT_NE(metrics.header("content-length"), "0");
  EXPECT_EQ(client.send("HEAD", "/metrics").status, 401);
  const Reply after = client.send("GET", "/healthz");
  ASSERT_EQ(after.error, "");
  EXPECT_EQ(nlohmann::json::parse(after.body)["status"], "ok");
}

TEST_F(AdminServerTest, MoreRoutesCanBeAdded) {
  start(withToken(), [](AdminServer& server) {
    server.addRoute(
        "POST", "/review/notes", AdminServer::Access::kToken, [](const AdminRequest& request) {
          return AdminResponse::json(201, {{"received", request.body}, {"query", request.query}});
        });
    server.addRoute("GET", "/review/notes", AdminServer::Access::kToken, [](const AdminRequest&) {
      AdminResponse response;
      response.content_type = "text/html; charset=utf-8";
      response.body = "<p>notes</p>";
      return response;
    });
  });
  Client client(port_);
  const Reply created =
      client.send("POST", "/review/notes?meeting=3", bearer(kToken), "first note");
  ASSERT_EQ(created.error, "");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(nlohmann::json::parse(created.body)["received"], "first note");
  EXPECT_EQ(nlohmann::json::parse(created.body)["query"], "meeting=3");
  EXPECT_EQ(client.send("GET", "/review/notes", bearer(kToken)).body, "<p>notes</p>");
  EXPECT_EQ(client.send("GET", "/review/notes").status, 401);
  EXPECT_EQ(client.send("PUT", "/review/notes", bearer(kToken)).header("allow"), "POST, GET, HEAD");
}

TEST_F(AdminServerTest, AThrowingHandlerIs500AndTheServerGoesOn) {
  start({}, [](AdminServer& server) {
    server.addRoute("GET", "/boom", AdminServer::Access::kPublic,
                    [](const AdminRequest&) -> AdminResponse { throw std::runtime_error("boom"); });
  });
  EXPECT_EQ(request(port_, "GET", "/boom").status, 500);
  EXPECT_EQ(request(port_, "GET", "/healthz").status, 200);
}

// ---- connections

TEST_F(AdminServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start(withToken());
  Client client(port_);
  for (int i = 0; i < 3; ++i) {
    const Reply reply = client.send("GET", i == 1 ? "/metrics" : "/healthz", bearer(kToken));
    ASSERT_EQ(reply.error, "") << i;
    EXPECT_EQ(reply.status, 200);
    EXPECT_TRUE(reply.keep_alive);
  }
  EXPECT_EQ(health_calls_.load(), 2);
  const Reply last = client.send("GET", "/healthz", {{"Connection", "close"}});
  EXPECT_EQ(last.status, 200);
  EXPECT_FALSE(last.keep_alive);
  EXPECT_TRUE(client.closedByServer(std::chrono::seconds(2)));
}

TEST_F(AdminServerTest, OversizedHeadersAre431AndTheConnectionCloses) {
  start();
  Client client(port_);
  const Reply reply = client.send("GET", "/healthz", {{"X-Padding", std::string(10000, 'a')}});
  ASSERT_EQ(reply.error, "");
  EXPECT_EQ(reply.status, 431);
  EXPECT_TRUE(client.closedByServer(std::chrono::seconds(2)));
  EXPECT_EQ(request(port_, "GET", "/healthz").status, 200);
}

TEST_F(AdminServerTest, OversizedBodyIs413) {
  AdminServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  Client client(port_);
  const Reply reply = client.send("POST", "/healthz", {}, std::string(4096, 'x'));
  ASSERT_EQ(reply.error, "");
  EXPECT_EQ(reply.status, 413);
}

TEST_F(AdminServerTest, ASilentClientIsDroppedAfterTheReadTimeoutWithoutBlockingOthers) {
  AdminServerOptions options;
  options.read_timeout = std::chrono::milliseconds(1500);
  start(options);
  const auto connected_at = Clock::now();
  Client silent(port_);
  ASSERT_TRUE(silent.connected());

  const auto asked_at = Clock::now();
  const Reply reply = request(port_, "GET", "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_LT(Clock::now() - asked_at, std::chrono::milliseconds(1000))
      << "another request waited for the silent client";

  EXPECT_TRUE(silent.closedByServer(std::chrono::seconds(5)));
  EXPECT_GE(Clock::now() - connected_at, std::chrono::milliseconds(1400));
}

TEST_F(AdminServerTest, AnIdleKeepAliveConnectionIsDroppedAfterTheReadTimeout) {
  AdminServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  start(options);
  Client client(port_);
  EXPECT_EQ(client.send("GET", "/healthz").status, 200);
  EXPECT_TRUE(client.closedByServer(std::chrono::seconds(5)));
}

TEST_F(AdminServerTest, ConnectionsBeyondTheLimitAreClosed) {
  AdminServerOptions options;
  options.max_connections = 2;
  start(options);
  auto first = std::make_unique<Client>(port_);
  Client second(port_);
  ASSERT_EQ(first->send("GET", "/healthz").status, 200);  // both sessions exist now
  ASSERT_EQ(second.send("GET", "/healthz").status, 200);
  Client third(port_);
  EXPECT_TRUE(third.closedByServer(std::chrono::seconds(2)));
  first.reset();  // the client goes away: its session ends, and a place is free again
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    served = request(port_, "GET", "/healthz").status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
}

TEST_F(AdminServerTest, StopReturnsPromptlyAndClosesOpenConnections) {
  start();  // the default read timeout, 10 s: stop() must not wait for it
  Client idle(port_);
  ASSERT_EQ(idle.send("GET", "/healthz").status, 200);
  Client silent(port_);
  ASSERT_TRUE(silent.connected());

  const auto before = Clock::now();
  onLoop([this] { server_->stop(); });
  EXPECT_LT(Clock::now() - before, std::chrono::seconds(1));
  EXPECT_TRUE(idle.closedByServer(std::chrono::seconds(2)));
  EXPECT_TRUE(silent.closedByServer(std::chrono::seconds(2)));
  Client late(port_);
  EXPECT_FALSE(late.connected() && late.send("GET", "/healthz").status == 200);
  onLoop([this] { server_->stop(); });  // again: nothing happens
}

TEST_F(AdminServerTest, StartFailsClearlyWhenThePortIsTaken) {
  start();
  AdminServerOptions options;
  options.port = port_;
  AdminServer second(io_, options, {});
  const auto started = second.start();
  EXPECT_FALSE(started.ok);
  EXPECT_THAT(started.error, HasSubstr("127.0.0.1:" + std::to_string(port_)));
}

TEST(AdminServerStart, AnAddressThatIsNotAnIpAddressIsAnError) {
  asio::io_context io;
  AdminServerOptions options;
  options.address = "localhost";
  AdminServer server(io, options, {});
  const auto started = server.start();
  EXPECT_FALSE(started.ok);
  EXPECT_THAT(started.error, HasSubstr("\"localhost\" is not an IP address"));
}

TEST(AdminServerStart, ListensOnIpv6Loopback) {
  asio::io_context io;
  AdminServerOptions options;
  options.address = "::1";
  options.port = 0;
  AdminServer server(io, options, {});
  const auto started = server.start();
  if (!started.ok) GTEST_SKIP() << "no IPv6 loopback here: " << started.error;
  EXPECT_NE(server.port(), 0);
}

}  // namespace
}  // namespace cohortwatch::daemon
