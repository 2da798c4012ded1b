#include "channels/webhook_channel.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <utility>
#include <vector>

#include "channels/base64.h"
#include "worker/curl_easy.h"

namespace cohortwatch::channels {

namespace {

using Status = Delivery::Status;
using std::chrono::seconds;
using std::chrono::system_clock;
using worker::appendLine;
using worker::CurlList;

// How much of an error response's body goes into a detail.
constexpr std::size_t kSnippetBytes = 200;
constexpr std::string_view kSecretPrefix = "whsec_";

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// "scheme://host:port" pieces of the URL for details, or a placeholder.
struct Target {
  std::string scheme;
  std::string host = "the webhook receiver";
};

Target targetOf(const std::string& url_text) {
  Target target;
  const std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, url_text.c_str(), 0) != CURLUE_OK) {
    return target;
  }
  const auto part = [&](CURLUPart which) -> std::string {
    char* raw = nullptr;
    if (curl_url_get(url.get(), which, &raw, 0) != CURLUE_OK || raw == nullptr) return {};
    std::string value(raw);
    curl_free(raw);
    return value;
  };
  target.scheme = part(CURLUPART_SCHEME);
  if (std::string host = part(CURLUPART_HOST); !host.empty()) {
    const std::string port = part(CURLUPART_PORT);
    target.host = port.empty() ? host : host + ":" + port;
  }
  return target;
}

// Error-body text for a detail: the secret removed, cut at a UTF-8 boundary, controls flattened.
std::string snippet(std::string text, const std::string& secret) {
  if (!secret.empty()) {
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
// relative to the send's own time, the injected clock. (As the HTTP source's fetcher does; the
// two components do not share code.)
std::optional<seconds> parseRetryAfter(std::string value, system_clock::time_point now) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
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

struct Response {
  std::string body;  // the start of it only
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto& response = *static_cast<Response*>(user);
  const std::size_t bytes = size * count;
  // A little more than the snippet, so that it can be cut at a character boundary.
  const std::size_t room = kSnippetBytes + 8 - std::min(response.body.size(), kSnippetBytes + 8);
  response.body.append(data, std::min(room, bytes));
  return bytes;
}

Delivery outcome(Status status, std::string detail, bool ambiguous = false) {
  Delivery delivery;
  delivery.status = status;
  delivery.detail = std::move(detail);
  delivery.ambiguous = ambiguous;
  return delivery;
}

std::string describeSecret(const config::SecretRef& ref) {
  return ref.kind == config::SecretRef::Kind::kFile
             ? fmt::format("the file {}", ref.location)
             : fmt::format("the environment variable {}", ref.location);
}

bool safeHeaderValue(std::string_view value) {
  return !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
  });
}

}  // namespace

std::string standardWebhookSignature(std::string_view key_bytes, std::string_view id,
                                     long timestamp, std::string_view payload) {
  const std::string content = fmt::format("{}.{}.{}", id, timestamp, payload);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  HMAC(EVP_sha256(), key_bytes.data(), static_cast<int>(key_bytes.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest.data(),
       &digest_size);
  return "v1," + encodeBase64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest_size));
}

std::optional<std::string> webhookSigningKey(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) return std::string(secret);
  const std::string_view encoded = secret.substr(kSecretPrefix.size());
  if (encoded.empty()) return std::nullopt;
  return decodeBase64(encoded);
}

struct WebhookChannel::Impl {
  config::WebhookChannelSettings settings;
  Target target;
  worker::CurlHandle handle;
  worker::CurlErrorBuffer error_buffer{};

  Delivery send(const WebhookMessage& message, system_clock::time_point now);
};

WebhookChannel::WebhookChannel(config::WebhookChannelSettings settings)
    : impl_(std::make_unique<Impl>()) {
  impl_->handle = worker::newCurlHandle();
  impl_->settings = std::move(settings);
  impl_->target = targetOf(impl_->settings.url);
}

WebhookChannel::~WebhookChannel() = default;
WebhookChannel::WebhookChannel(WebhookChannel&&) noexcept = default;
WebhookChannel& WebhookChannel::operator=(WebhookChannel&&) noexcept = default;

Delivery WebhookChannel::send(const WebhookMessage& message, system_clock::time_point now) {
  return impl_->send(message, now);
}

Delivery WebhookChannel::Impl::send(const WebhookMessage& message, system_clock::time_point now) {
  const std::string& host = target.host;
  if (target.scheme != "https" && target.scheme != "http") {
    // A configuration error: kept and retried, so that a corrected configuration delivers it.
    return outcome(Status::kRetry, "the webhook channel's url must be an https:// or http:// URL");
  }
  if (!safeHeaderValue(message.id)) {
    return outcome(Status::kDead, "the webhook message's id is empty or has control characters");
  }

  std::string secret;
  std::string key;
  if (settings.secret) {
    config::SecretValue value = config::resolveSecret(*settings.secret);
    if (!value.value) {
      return outcome(Status::kRetry,
                     fmt::format("cannot read the webhook secret ({}); the message is kept and "
                                 "retried once it can be read: {}",
                                 describeSecret(*settings.secret), value.error));
    }
    secret = std::move(*value.value);
    auto signing_key = webhookSigningKey(secret);
    if (!signing_key) {
      return outcome(Status::kRetry,
                     fmt::format("the webhook secret in {} starts with whsec_ but the rest is not "
                                 "base64; the message is kept and retried once it is fixed",
                                 describeSecret(*settings.secret)));
    }
    key = std::move(*signing_key);
  }


  const long timestamp =
      static_cast<long>(std::chrono::duration_cast<seconds>(now.time_since_epoch()).count());
  CurlList headers;
  bool built = appendLine(headers, "Content-Type: application/json") &&
               appendLine(headers, "webhook-id: " + message.id) &&
               appendLine(headers, fmt::format("webhook-timestamp: {}", timestamp)) &&
               // No "Expect: 100-continue" round trip for larger payloads.
               appendLine(headers, "Expect:");
  if (settings.secret) {
    built = built && appendLine(headers, "webhook-signature: " +
                                             standardWebhookSignature(key, message.id, timestamp,
                                                                      message.payload));
  }
  if (!built) return outcome(Status::kRetry, "out of memory building the request");

  CURL* curl = handle.get();
  // Reset, not a new handle: the connection and TLS session are kept between sends.
  curl_easy_reset(curl);
  Response response;
  worker::setCommonOptions(curl, worker::connectionOf(settings), error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, message.payload.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(message.payload.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t uploaded = 0;
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  // The handle keeps pointers to these until the next reset; detach them now that they are done.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);

  if (code != CURLE_OK && status == 0) {
    const std::string why = error_buffer[0] != '\0' ? std::string(error_buffer.data())
                                                    : std::string(curl_easy_strerror(code));
    // Once the whole request went out, a receiver that never answered may still have taken it.
    const bool ambiguous =
        uploaded == static_cast<curl_off_t>(message.payload.size()) &&
        (code == CURLE_OPERATION_TIMEDOUT || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING);
    return outcome(Status::kRetry, fmt::format("no response from {}: {}", host, why), ambiguous);
  }

  const std::string said = snippet(response.body, secret);
  const std::string server_said = said.empty() ? std::string() : ": " + said;
  if (status / 100 == 2) {
    return outcome(Status::kDelivered, fmt::format("HTTP {} from {}", status, host));
  }
  if (status == 408 || status == 429 || status / 100 == 5) {
    Delivery delivery =
        outcome(Status::kRetry, fmt::format("HTTP {} from {}{}", status, host, server_said));
    if (auto value = responseHeader(curl, "Retry-After")) {
      delivery.retry_after = parseRetryAfter(*value, now);
    }
    return delivery;
  }
  if (status / 100 == 3) {
    return outcome(Status::kDead,
                   fmt::format("HTTP {} from {}: redirects are not followed; set the channel's "
                               "url to the new address",
                               status, host));
  }
  if (status / 100 == 4) {
    return outcome(Status::kDead, fmt::format("HTTP {} from {}{}", status, host, server_said));
  }
  // 1xx as a final status, beyond 599, or a response that broke off: unexpected, retried.
  return outcome(
      Status::kRetry,
      fmt::format("HTTP {} from {}{}{}", status, host, server_said,
                  code != CURLE_OK ? "; " + std::string(curl_easy_strerror(code)) : std::string()));
}

}  // namespace cohortwatch::channels
