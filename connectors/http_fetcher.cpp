#include "connectors/http_fetcher.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>  // mkstemp
#include <ctime>
#include <system_error>
#include <utility>
#include <vector>

#include "worker/curl_easy.h"

namespace cohortwatch::connectors {

namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::system_clock;

// How much of an error response's body goes into the error message.
constexpr std::size_t kSnippetBytes = 300;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

std::string errnoMessage(int error) {
  return std::error_code(error, std::generic_category()).message();
}

std::optional<std::string> urlPart(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK || raw == nullptr) return std::nullopt;
  const std::unique_ptr<char, CurlStringDeleter> owned(raw);
  return std::string(raw);
}

// RFC 3986 percent-encoding of everything but the unreserved characters, upper-case hex.
std::string percentEncode(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[static_cast<std::size_t>(byte >> 4U)]);
      out.push_back(kHex[static_cast<std::size_t>(byte & 0x0FU)]);
    }
  }
  return out;
}

// A header value that came from storage: refused if it could inject another header.
bool safeHeaderValue(std::string_view value) {
  return !value.empty() && value.find_first_of("\r\n") == std::string_view::npos;
}

// Error-body text for a log line: control characters flattened, cut at a UTF-8 boundary, and any
// secret the server might echo removed.
std::string snippetForLog(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), "[redacted]");
    }
  }
  bool cut = false;
  if (text.size() > kSnippetBytes) {
    std::size_t end = kSnippetBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
    text.resize(end);
    cut = true;
  }
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  const auto last = text.find_last_not_of(' ');
  text.resize(last == std::string::npos ? 0 : last + 1);
  if (cut) text += "...";
  return text;
}

std::optional<std::string> responseHeader(CURL* handle, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(handle, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK ||
      header == nullptr || header->value == nullptr) {
    return std::nullopt;
  }
  return std::string(header->value);
}

// Retry-After is either delta-seconds or an HTTP-date (RFC 9110 10.2.3); a date is taken
// relative to the request's own time, the injected clock.
std::optional<seconds> parseRetryAfter(const std::string& value, system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t count = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return seconds{count};
  }
  const std::time_t when = curl_getdate(value.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const auto delta = std::chrono::duration_cast<seconds>(system_clock::from_time_t(when) - now);
  return std::max(delta, seconds{0});
}

struct Transfer {
  CURL* handle = nullptr;
  int fd = -1;
  bool decided = false;
  bool to_file = false;  // a 2xx body goes to the file; any other is kept as a short snippet
  std::string snippet;
  int write_errno = 0;
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (!transfer.decided) {
    long status = 0;
    curl_easy_getinfo(transfer.handle, CURLINFO_RESPONSE_CODE, &status);
    transfer.to_file = status / 100 == 2;
    transfer.decided = true;
  }
  if (!transfer.to_file) {
    // Keep a little more than the snippet so that it can be cut at a character boundary.
    const std::size_t room =
        kSnippetBytes + 8 - std::min(transfer.snippet.size(), kSnippetBytes + 8);
    transfer.snippet.append(data, std::min(room, bytes));
    return bytes;
  }
  std::size_t written = 0;
  while (written < bytes) {
    const ssize_t n = ::write(transfer.fd, data + written, bytes - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      transfer.write_errno = errno;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    written += static_cast<std::size_t>(n);
  }
  return bytes;
}

// Creates the spool folder if missing, private to the service: the bodies are case-management
// exports. An existing folder is left as it is (it may be shared on purpose); the files inside
// are 0600 whatever the folder's mode.
std::string ensureSpoolDir(const fs::path& dir) {
  std::error_code error;
  if (fs::is_directory(dir, error)) return {};
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), error);
  if (::mkdir(dir.c_str(), S_IRWXU) != 0 && errno != EEXIST) {
    return fmt::format("cannot create the spool folder {}: {}", dir.string(), errnoMessage(errno));
  }
  if (!fs::is_directory(dir, error)) {
    return fmt::format("the spool folder {} is not a folder", dir.string());
  }
  return {};
}

std::string_view authHint(const config::HttpSource& settings) {
  switch (settings.auth) {
    case config::HttpSource::Auth::kNone: return "the source sends no credentials (auth: none)";
    case config::HttpSource::Auth::kBearer: return "check the token";
    case config::HttpSource::Auth::kBasic: return "check the username and the password";
  }
  return "check the credentials";
}

std::string describeSecret(const std::optional<config::SecretRef>& ref) {
  if (!ref) return {};
  return ref->kind == config::SecretRef::Kind::kFile
             ? fmt::format(" in the file {}", ref->location)
             : fmt::format(" in the environment variable {}", ref->location);
}

}  // namespace

struct HttpFetcher::Impl {
  config::HttpSource settings;
  fs::path spool_dir;
  worker::CurlHandle handle;
  worker::CurlErrorBuffer error_buffer{};

  FetchResult fetch(const HttpSourceState& state, system_clock::time_point now_utc);
};

HttpFetcher::HttpFetcher(config::HttpSource settings, std::filesystem::path spool_dir)
    : impl_(std::make_unique<Impl>()) {
  impl_->handle = worker::newCurlHandle();
  impl_->settings = std::move(settings);
  impl_->spool_dir = std::move(spool_dir);
  // Created now when possible; a failure is reported by fetch(), where it can be retried.
  (void)ensureSpoolDir(impl_->spool_dir);
}

HttpFetcher::~HttpFetcher() = default;
HttpFetcher::HttpFetcher(HttpFetcher&&) noexcept = default;
HttpFetcher& HttpFetcher::operator=(HttpFetcher&&) noexcept = default;

FetchResult HttpFetcher::fetch(const HttpSourceState& state, system_clock::time_point now_utc) {
  return impl_->fetch(state, now_utc);
}

FetchResult HttpFetcher::Impl::fetch(const HttpSourceState& state,
                                     system_clock::time_point now_utc) {
  using Auth = config::HttpSource::Auth;
  FetchResult result;
  result.next_state = state;
  const auto fail = [&](FetchOutcome outcome, std::string error) {
    result.outcome = outcome;
    result.error = std::move(error);
    return result;
  };

  // The configured URL, checked, and its host for messages.
  const UrlHandle url(curl_url());
  if (!url) return fail(FetchOutcome::kRetryable, "out of memory building the request");
  if (const CURLUcode code = curl_url_set(url.get(), CURLUPART_URL, settings.url.c_str(), 0);
      code != CURLUE_OK) {
    // Not the URL itself in the message: its query may hold a key.
    return fail(FetchOutcome::kPermanent,
                fmt::format("the source's url is not a valid URL: {}", curl_url_strerror(code)));
  }
  const std::string scheme = urlPart(url.get(), CURLUPART_SCHEME).value_or("");
  if (scheme != "https" && scheme != "http") {
    return fail(FetchOutcome::kPermanent,
                fmt::format("the source's url must be https:// or http://, not {}://", scheme));
  }
  std::string host = urlPart(url.get(), CURLUPART_HOST).value_or("?");
  if (auto port = urlPart(url.get(), CURLUPART_PORT)) host += ":" + *port;

  // The request URL is built as text rather than through the URL API, which would re-case the
  // percent-encoding: the server sees exactly the configured URL plus the parameter.
  std::string request_url = settings.url.substr(0, settings.url.find('#'));
  if (!settings.since_parameter.empty() && !state.cursor.empty()) {
    if (const auto cursor = parseCursor(state.cursor)) {
      const char separator = request_url.find('?') == std::string::npos                 ? '?'
                             : request_url.ends_with('?') || request_url.ends_with('&') ? '\0'
                                                                                        : '&';
      if (separator != '\0') request_url.push_back(separator);
      request_url += percentEncode(settings.since_parameter) + "=" +
                     percentEncode(formatCursor(*cursor - seconds{settings.lookback_seconds}));
    } else {
      // Asking for everything again is safe (imports are idempotent); stopping is not.
      spdlog::warn(
          "http source {}: stored cursor \"{}\" is not YYYY-MM-DDTHH:MM:SSZ; fetching "
          "without {}",
          host, state.cursor, settings.since_parameter);
    }
  }

  // Credentials, read now so that a rotated secret file is picked up.
  std::vector<std::string> secrets;  // to redact from anything the server sends back
  std::string bearer;
  std::string password;
  if (settings.auth == Auth::kBearer) {
    if (!settings.token) {
      return fail(FetchOutcome::kPermanent, "auth is bearer but no token is configured");
    }
    config::SecretValue token = config::resolveSecret(*settings.token);
    if (!token.value) {
      return fail(FetchOutcome::kPermanent, "cannot read the bearer token: " + token.error);
    }
    bearer = std::move(*token.value);
    if (std::any_of(bearer.begin(), bearer.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
      // A line break would end the header and start another: refuse rather than send it.
      return fail(FetchOutcome::kPermanent,
                  "the bearer token" + describeSecret(settings.token) +
                      " contains a line break or another control character");
    }
    secrets.push_back(bearer);
  } else if (settings.auth == Auth::kBasic && settings.password) {
    config::SecretValue secret = config::resolveSecret(*settings.password);
    if (!secret.value) {
      return fail(FetchOutcome::kPermanent, "cannot read the password: " + secret.error);
    }
    password = std::move(*secret.value);
    secrets.push_back(password);
  }


  // The body file, private from the start (mkstemp creates it 0600).
  if (std::string error = ensureSpoolDir(spool_dir); !error.empty()) {
    return fail(FetchOutcome::kRetryable, std::move(error));
  }
  std::string stamp = formatCursor(now_utc);
  std::erase(stamp, ':');  // file names without colons, for tools that mind them
  std::string body_name = (spool_dir / ("http-" + stamp + "-XXXXXX")).string();
  const int fd = ::mkstemp(body_name.data());
  if (fd < 0) {
    return fail(FetchOutcome::kRetryable,
                fmt::format("cannot create a file in the spool folder {}: {}", spool_dir.string(),
                            errnoMessage(errno)));
  }
  const fs::path body_file = body_name;
  const auto discard_body = [&] {
    std::error_code ignored;
    fs::remove(body_file, ignored);
  };

  std::vector<std::string> headers = {"Accept: text/csv"};
  if (safeHeaderValue(state.etag)) headers.push_back("If-None-Match: " + state.etag);
  if (safeHeaderValue(state.last_modified)) {
    headers.push_back("If-Modified-Since: " + state.last_modified);
  }
  if (!bearer.empty()) headers.push_back("Authorization: Bearer " + bearer);
  worker::CurlList header_list;
  for (const auto& header : headers) {
    if (!worker::appendLine(header_list, header)) {
      ::close(fd);
      discard_body();
      return fail(FetchOutcome::kRetryable, "out of memory building the request");
    }
  }

  CURL* curl = handle.get();
  // Reset, not a new handle: live connections and TLS sessions are kept between polls.
  curl_easy_reset(curl);
  Transfer transfer;
  transfer.handle = curl;
  transfer.fd = fd;
  worker::setCommonOptions(curl, worker::connectionOf(settings), error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request_url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // exports compress well
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (settings.auth == Auth::kBasic) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  result.http_status = status;
  const int close_errno = ::close(fd) == 0 ? 0 : errno;
  // The handle keeps pointers to these until the next reset; clear them now that they are done.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_PASSWORD, "");

  if (code != CURLE_OK) {
    discard_body();
    if (code == CURLE_WRITE_ERROR && transfer.write_errno != 0) {
      return fail(FetchOutcome::kRetryable,
                  fmt::format("cannot write the response from {} to {}: {}", host,
                              body_file.string(), errnoMessage(transfer.write_errno)));
    }
    const std::string why = error_buffer[0] != '\0' ? std::string(error_buffer.data())
                                                    : std::string(curl_easy_strerror(code));
    const bool permanent = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL;
    const std::string error =
        status == 0
            ? fmt::format("no response from {}: {}", host, why)
            : fmt::format("the response from {} (HTTP {}) broke off: {}", host, status, why);
    return fail(permanent ? FetchOutcome::kPermanent : FetchOutcome::kRetryable, error);
  }
  if (close_errno != 0 && status / 100 == 2) {
    discard_body();
    return fail(FetchOutcome::kRetryable,
                fmt::format("cannot write the response from {} to {}: {}", host, body_file.string(),
                            errnoMessage(close_errno)));
  }

  if (status == 304 || status == 204) {
    discard_body();
    result.outcome = FetchOutcome::kNotModified;
    return result;
  }
  if (status / 100 == 2) {
    result.outcome = FetchOutcome::kNewData;
    result.body_file = body_file;
    result.next_state.etag = responseHeader(curl, "ETag").value_or("");
    result.next_state.last_modified = responseHeader(curl, "Last-Modified").value_or("");
    result.next_state.cursor = formatCursor(now_utc);
    return result;
  }

  discard_body();
  const std::string said = snippetForLog(transfer.snippet, secrets);
  const std::string server_said = said.empty() ? std::string() : ": " + said;
  if (status == 401 || status == 403) {
    const std::string where = settings.auth == Auth::kBearer  ? describeSecret(settings.token)
                              : settings.auth == Auth::kBasic ? describeSecret(settings.password)
                                                              : std::string();
    return fail(FetchOutcome::kPermanent,
                fmt::format("authentication refused by {} (HTTP {}): {}{}{}", host, status,
                            authHint(settings), where, server_said));
  }
  if (status / 100 == 3) {
    std::string location = responseHeader(curl, "Location").value_or("");
    location = location.substr(0, location.find_first_of("?#"));  // a query may hold a key
    return fail(FetchOutcome::kPermanent,
                fmt::format("HTTP {} from {}: redirects are not followed; set the source's url to "
                            "the new address{}",
                            status, host, location.empty() ? "" : " (" + location + ")"));
  }
  if (status == 408 || status == 429 || status / 100 == 5) {
    if (status == 429 || status == 503) {
      if (auto value = responseHeader(curl, "Retry-After")) {
        result.retry_after = parseRetryAfter(*value, now_utc);
      }
    }
    return fail(FetchOutcome::kRetryable,
                fmt::format("HTTP {} from {}{}", status, host, server_said));
  }
  // Other 4xx: the request itself is wrong (a moved path, a bad parameter); retrying will not help.
  // Anything else (1xx, beyond 599) is unexpected and retried with backoff.
  return fail(status / 100 == 4 ? FetchOutcome::kPermanent : FetchOutcome::kRetryable,
              fmt::format("HTTP {} from {}{}", status, host, server_said));
}

}  // namespace cohortwatch::connectors
