// A real HTTP/1.1 server for tests, listening on 127.0.0.1 on a port the kernel picks (port 0):
// sources under test pull from it, channels under test deliver to it. Responses come from a
// script (a queue, answered in order) or from a handler; every request is recorded for the test
// to assert on. Each connection is served on its own thread (keep-alive honoured), so a client
// that keeps a connection open never blocks another. The destructor stops the server promptly,
// even while a response is being delayed.
// (Not `cohortwatch::testing`: that would shadow GoogleTest's `testing` inside namespace
// cohortwatch.)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohortwatch::test_support {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpTestRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as sent: path and query, e.g. "/export?since=2025-01-01T00%3A00%3A00Z"
  HttpHeaders headers;  // in the order received, names as sent
  std::string body;

  // The first header of that name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
  std::string path() const;   // target up to '?'
  std::string query() const;  // target after '?', still percent-encoded; empty when none
};

struct HttpTestResponse {
  int status = 200;
  HttpHeaders headers;  // Content-Length is added (except for 1xx, 204 and 304)
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering (a slow server)
  bool close_connection = false;       // answer with "Connection: close" and close
};

class HttpTestServer {
 public:
  using Handler = std::function<HttpTestResponse(const HttpTestRequest&)>;

  // Scripted: answers with the queued responses in order, and with a 500 whose body says so when
  // the queue is empty (so a test that expected fewer requests fails visibly).
  HttpTestServer();
  // Answers every request with handler(request), called on the connection's thread.
  explicit HttpTestServer(Handler handler);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>" followed by target.
  std::string url(std::string_view target = "/") const;

  void enqueue(HttpTestResponse response);

  // The requests received so far, in order of arrival.
  std::vector<HttpTestRequest> requests() const;
  std::size_t requestCount() const;
  // For clients that send in the background (webhooks): true once `count` requests have arrived.
  bool waitForRequests(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A TCP port on 127.0.0.1 with nothing listening on it (bound to port 0, then closed), for tests
// of "connection refused".
std::uint16_t closedLocalPort();

}  // namespace cohortwatch::test_support
