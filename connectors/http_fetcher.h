// The HTTP source's fetcher: one conditional, incremental GET of an export endpoint with libcurl,
// its body streamed to a spool file, its outcome classified for the caller's retry policy
// (connectors/backoff.h). It performs exactly one request per fetch(): retries, schedules and the
// storage of HttpSourceState belong to the caller, which stores next_state in the same transaction
// as the records the body produced, so the state only advances once they are committed.
//
// Contract, in short:
//  - kNewData (2xx except 204): body_file holds the body; the caller removes it when done.
//    next_state has the response's ETag and Last-Modified (empty when absent) and
//    cursor = now_utc. kNotModified (304, 204): no file; next_state equals the given state, so
//    the next request asks the same question again.
//  - 401/403, other 4xx except 408/429, 3xx (redirects are not followed: a moved endpoint is a
//    configuration change, and following one could hand credentials to another host), a bad URL,
//    and a secret that cannot be read are kPermanent; 408, 429, 5xx, and no response at all
//    (refused, timed out, TLS failure, local I/O error) are kRetryable.
//  - Secrets are resolved at each fetch (a rotated token file is picked up) and never appear in
//    logs or errors; errors name the host, not the URL, whose query may carry keys.
//  - Not thread-safe: one fetch at a time per HttpFetcher (the connection is reused between them).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.h"

namespace cohortwatch::connectors {

struct HttpSourceState {
  std::string etag;           // sent as If-None-Match
  std::string last_modified;  // sent as If-Modified-Since
  // ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ": when the last successful request started; empty: never.
  std::string cursor;

  bool operator==(const HttpSourceState&) const = default;
};

enum class FetchOutcome { kNewData, kNotModified, kRetryable, kPermanent };

struct FetchResult {
  FetchOutcome outcome = FetchOutcome::kRetryable;
  long http_status = 0;  // 0 when there was no response (refused, timed out, TLS failure)
  std::filesystem::path body_file;  // kNewData only
  HttpSourceState next_state;       // to store once the body's records are committed
  std::string error;                // kRetryable/kPermanent: one line for the log, no secrets
  std::optional<std::chrono::seconds> retry_after;  // Retry-After of a 429 or 503
};

std::string_view toString(FetchOutcome outcome);

class HttpFetcher {
 public:
  // Body files go in spool_dir, created (mode 0700) if missing; they are created mode 0600.
  HttpFetcher(config::HttpSource settings, std::filesystem::path spool_dir);
  ~HttpFetcher();
  HttpFetcher(HttpFetcher&&) noexcept;
  HttpFetcher& operator=(HttpFetcher&&) noexcept;
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // One request. now_utc, the time the request starts, becomes the next cursor. Sends
  // If-None-Match / If-Modified-Since from the state, and <since_parameter>=<cursor - lookback>
  // (percent-encoded, appended to the URL's query) when the cursor and since_parameter are set.
  FetchResult fetch(const HttpSourceState& state, std::chrono::system_clock::time_point now_utc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "YYYY-MM-DDTHH:MM:SSZ" (seconds truncated), and back; nullopt when the text is not exactly that.
std::string formatCursor(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parseCursor(std::string_view text);

}  // namespace cohortwatch::connectors
