#include "tests/support/http_test_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace cohortwatch::test_support {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Large enough for any webhook payload or test export; a limit so that a runaway client fails
// the test instead of exhausting memory.
constexpr std::uint64_t kBodyLimit = std::uint64_t{64} * 1024 * 1024;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool hasHeader(const HttpHeaders& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return equalsIgnoreCase(header.first, name); });
}

HttpTestResponse textResponse(int status, std::string body) {
  HttpTestResponse response;
  response.status = status;
  response.headers = {{"Content-Type", "text/plain"}};
  response.body = std::move(body);
  return response;
}

}  // namespace

std::optional<std::string> HttpTestRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::string HttpTestRequest::path() const {
  return target.substr(0, target.find('?'));
}

std::string HttpTestRequest::query() const {
  const auto mark = target.find('?');
  return mark == std::string::npos ? std::string() : target.substr(mark + 1);
}

struct HttpTestServer::State {
  explicit State(Handler h) : handler(std::move(h)) {
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    acceptNext();
    accept_thread = std::thread([this] { io.run(); });
  }

  ~State() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();  // wakes delayed responses
    io.stop();
    accept_thread.join();
    std::vector<std::thread> threads;
    {
      // After stopping is set and the accept thread has ended, no connection is added. Shutting
      // the sockets down wakes the connection threads blocked in a read; the mutex keeps a
      // thread from closing its socket (and the descriptor being reused) meanwhile.
      const std::lock_guard lock(mutex);
      for (const auto& socket : connections) {
        if (socket->is_open()) ::shutdown(socket->native_handle(), SHUT_RDWR);
      }
      threads.swap(connection_threads);
    }
    for (auto& thread : threads) thread.join();
  }

  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void acceptNext() {
    acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;  // the server is stopping
      {
        const std::lock_guard lock(mutex);
        if (stopping) return;
        auto connection = std::make_shared<tcp::socket>(std::move(socket));
        connections.push_back(connection);
        connection_threads.emplace_back([this, connection] { serve(*connection); });
      }
      acceptNext();
    });
  }

  HttpTestResponse respond(const HttpTestRequest& request) {
    if (handler) {
      try {
        return handler(request);
      } catch (const std::exception& error) {
        return textResponse(500,
                            std::string("http_test_server: the handler threw: ") + error.what());
      }
    }
    const std::lock_guard lock(mutex);
    if (script.empty()) {
      return textResponse(500, "http_test_server: no scripted response left for " + request.method +
                                   " " + request.target);
    }
    HttpTestResponse response = std::move(script.front());
    script.pop_front();
    return response;
  }

  void serve(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    boost::system::error_code error;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      http::read(socket, buffer, parser, error);
      if (error) break;
      const auto& message = parser.get();

      HttpTestRequest request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      for (const auto& field : message) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      request.body = message.body();
      {
        const std::lock_guard lock(mutex);
        requests.push_back(request);
      }
      changed.notify_all();

      const HttpTestResponse response = respond(request);
      if (response.delay.count() > 0) {
        std::unique_lock lock(mutex);
        if (changed.wait_for(lock, response.delay, [this] { return stopping; })) break;
      }

      http::response<http::string_body> reply;
      reply.version(message.version());
      reply.result(static_cast<unsigned>(response.status));
      for (const auto& [name, value] : response.headers) reply.insert(name, value);
      reply.body() = response.body;
      const bool bodyless =
          response.status / 100 == 1 || response.status == 204 || response.status == 304;
      if (!bodyless && !hasHeader(response.headers, "Content-Length")) {
        reply.content_length(response.body.size());
      }
      const bool close = response.close_connection || !message.keep_alive();
      reply.keep_alive(!close);
      http::write(socket, reply, error);
      if (error || close) break;
    }
    const std::lock_guard lock(mutex);
    socket.shutdown(tcp::socket::shutdown_both, error);
    socket.close(error);
  }

  Handler handler;  // empty: answer from the script
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread accept_thread;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;  // a request arrived, or the server is stopping
  std::deque<HttpTestResponse> script;
  std::vector<HttpTestRequest> requests;
  bool stopping = false;
  std::vector<std::shared_ptr<tcp::socket>> connections;
  std::vector<std::thread> connection_threads;
};

HttpTestServer::HttpTestServer() : state_(std::make_unique<State>(Handler{})) {}

HttpTestServer::HttpTestServer(Handler handler)
    : state_(std::make_unique<State>(std::move(handler))) {}

HttpTestServer::~HttpTestServer() = default;

std::uint16_t HttpTestServer::port() const {
  return state_->port;
}

std::string HttpTestServer::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + std::string(target);
}

void HttpTestServer::enqueue(HttpTestResponse response) {
  const std::lock_guard lock(state_->mutex);
  state_->script.push_back(std::move(response));
}

std::vector<HttpTestRequest> HttpTestServer::requests() const {
  const std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::size_t HttpTestServer::requestCount() const {
  const std::lock_guard lock(state_->mutex);
  return state_->requests.size();
}

bool HttpTestServer::waitForRequests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, timeout, [&] { return state_->requests.size() >= count; });
}

std::uint16_t closedLocalPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  const std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace cohortwatch::test_support
