// What the channels deliver and what a delivery attempt came to. A message is fully rendered
// before it reaches a channel (templates, privacy and routing are done upstream); a channel only
// moves it: SMTP, a webhook, or a spool folder. One send() is one attempt: retries, backoff and the
// outbox's bookkeeping belong to the dispatcher, which decides from the Delivery returned.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cohortwatch::channels {

struct Attachment {
  std::string filename;      // e.g. "review-list.csv"
  std::string content_type;  // e.g. "text/csv", "image/png"
  std::string data;          // the bytes
  // An inline image the HTML part shows as <img src="cid:CONTENT_ID">: sent inside a
  // multipart/related with the HTML, not as a download.
  std::string content_id;    // empty: an ordinary attachment
};

struct Mailbox {
  std::string name;     // display name, UTF-8, may be empty; encoded (RFC 2047) when not ASCII
  std::string address;  // plain ASCII addr-spec, e.g. "manager@yot.example.org"
};

struct EmailMessage {
  // Stable for one outbox row across retries, so a retry after an ambiguous failure carries the
  // same id: "<outbox-42.7f3a...@cohortwatch.host>" (angle brackets included).
  std::string message_id;
  Mailbox from;
  std::optional<Mailbox> reply_to;
  std::vector<Mailbox> to;
  std::string subject;  // UTF-8
  std::string text;     // the text/plain part, UTF-8
  std::string html;     // the text/html part, UTF-8; empty: text only
  std::vector<Attachment> attachments;
  // RFC 5322 date of the message, e.g. "Thu, 03 Dec 2026 18:00:00 +0000"; empty: now.
  std::string date;
};

struct WebhookMessage {
  std::string id;       // webhook-id: stable for one outbox row across retries
  std::string payload;  // the JSON body, already in the channel's style (generic, teams, slack)
};

struct Delivery {
  enum class Status {
    kDelivered,  // the server accepted it
    kRetry,      // not delivered, try again later (connection refused, timeout, 4xx/5xx transient)
    kDead,       // not delivered and never will be as it stands (e.g. a 400, a rejected recipient)
  };
  Status status = Status::kRetry;
  // Detail for the outbox and the log: a status code, a reason, the start of a response body.
  // Never message content or personal data, never secrets.
  std::string detail;
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After header
  // The attempt failed in a way that leaves unknown whether the server took the message (e.g.
  // the connection dropped after the message data was sent): a retry may deliver it twice.
  bool ambiguous = false;

  static Delivery delivered(std::string detail = {}) {
    return {Status::kDelivered, std::move(detail), std::nullopt, false};
  }
  static Delivery retry(std::string detail) {
    return {Status::kRetry, std::move(detail), std::nullopt, false};
  }
  static Delivery dead(std::string detail) {
    return {Status::kDead, std::move(detail), std::nullopt, false};
  }
};

const char* toString(Delivery::Status status);  // "delivered", "retry", "dead"

}  // namespace cohortwatch::channels
