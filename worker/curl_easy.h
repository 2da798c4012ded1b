// The libcurl set-up that cohortwatch-worker's three transfers share (the HTTP source's fetcher,
// the SMTP and webhook channels): libcurl initialised once per process, owners for easy handles
// and string lists, and the options every transfer sets the same way (timeouts, TLS verification
// against ca_file, the error buffer, the User-Agent). Each transfer adds its own options after
// these. Linked into the worker and the tests only (worker/CMakeLists.txt): never the service.
#pragma once

#include <curl/curl.h>

#include <array>
#include <memory>
#include <string>

namespace cohortwatch::worker {

struct CurlHandleDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlHandle = std::unique_ptr<CURL, CurlHandleDeleter>;

struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

// Where libcurl writes a failed transfer's own words; kept beside the handle it is set on.
using CurlErrorBuffer = std::array<char, CURL_ERROR_SIZE>;

// A new easy handle, libcurl's global set-up done first (once per process, never undone: other
// libraries in the process may use libcurl too). Throws std::runtime_error when libcurl cannot
// be initialised or cannot make a handle.
CurlHandle newCurlHandle();

// Appends a copy of `line` to the list; false when out of memory (the list is then unchanged).
bool appendLine(CurlList& list, const std::string& line);

// What a transfer's settings say about the connection, the same keys for every kind.
struct CurlConnection {
  int connect_timeout_seconds = 10;
  int timeout_seconds = 60;
  bool verify_tls = true;
  std::string ca_file;  // a PEM bundle to trust (a private CA); empty: the system's
};

// The connection keys of a transfer's settings (config::SmtpChannelSettings,
// WebhookChannelSettings and HttpSource name them alike).
template <typename Settings>
CurlConnection connectionOf(const Settings& settings) {
  return {.connect_timeout_seconds = settings.connect_timeout_seconds,
          .timeout_seconds = settings.timeout_seconds,
          .verify_tls = settings.verify_tls,
          .ca_file = settings.ca_file};
}

// On a handle just reset: no signals, the timeouts, certificate and host verification (unless
// verify_tls is false) against ca_file when set, TCP keep-alive, "cohortwatch/<version>" as the
// User-Agent, and `error_buffer` (cleared) for libcurl's message about a failure.
void setCommonOptions(CURL* handle, const CurlConnection& connection,
                      CurlErrorBuffer& error_buffer);

}  // namespace cohortwatch::worker
