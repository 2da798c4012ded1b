// Webhooks with libcurl: one HTTPS POST of a JSON payload per send(), signed as Standard Webhooks
// specify (https://www.standardwebhooks.com/): webhook-id, webhook-timestamp, webhook-signature.
//
// Contract, in short:
//  - Headers: Content-Type: application/json; webhook-id: the message's id (stable across
//    retries, so a receiver can drop a duplicate); webhook-timestamp: `now` in unix seconds;
//    webhook-signature: "v1,<base64 HMAC-SHA256(key, id.timestamp.payload)>" when a secret is
//    configured, none otherwise. The key is the base64-decoded part after "whsec_" when the secret
//    starts with "whsec_" (the form Standard Webhooks hand out), else the secret's bytes as they
//    are. The secret is read at each send; one that cannot be read (or a "whsec_" secret that is
//    not base64) is kRetry: the operator can fix the file, and the message should survive that.
//  - 2xx: kDelivered. 408, 429 and 5xx: kRetry, with retry_after from Retry-After (seconds or an
//    HTTP-date, relative to `now`) when the response has one. Other 4xx: kDead at once, the detail
//    holding the status and the first 200 bytes of the response body (control characters
//    replaced, the secret redacted). 3xx: kDead (redirects are not followed: a moved endpoint is a
//    configuration change, and following one could send the payload to another host). 1xx or
//    beyond 599: kRetry. No response (refused, timed out, TLS failure): kRetry; a timeout after
//    the request was sent is also ambiguous (the receiver may have taken it).
//  - Details name the host, never the URL (its path or query may hold a token).
//  - Not thread-safe: one send at a time per WebhookChannel (the connection is reused).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/message.h"
#include "config/settings.h"

namespace cohortwatch::channels {

class WebhookChannel {
 public:
  explicit WebhookChannel(config::WebhookChannelSettings settings);
  ~WebhookChannel();
  WebhookChannel(WebhookChannel&&) noexcept;
  WebhookChannel& operator=(WebhookChannel&&) noexcept;
  WebhookChannel(const WebhookChannel&) = delete;
  WebhookChannel& operator=(const WebhookChannel&) = delete;

  // One POST. `now` is the webhook-timestamp and the base of a Retry-After date.
  Delivery send(const WebhookMessage& message, std::chrono::system_clock::time_point now);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The webhook-signature header's value: "v1," followed by the base64 of
// HMAC-SHA256(key_bytes, id + "." + timestamp + "." + payload).
std::string standardWebhookSignature(std::string_view key_bytes, std::string_view id,
                                     long timestamp, std::string_view payload);

// The signing key of a configured secret: the base64-decoded rest of a "whsec_..." secret, or the
// secret itself; nullopt when it starts with "whsec_" but the rest is not base64.
std::optional<std::string> webhookSigningKey(std::string_view secret);

}  // namespace cohortwatch::channels
