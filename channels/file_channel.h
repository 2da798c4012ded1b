// Messages spooled to a folder, one file each: the default channel, which needs no server (the
// demo's). E-mails become RFC 5322/MIME .eml files laid out exactly as the SMTP channel sends
// them (mail::composeMail, written by mail::renderMail); webhooks become the .json payload they
// would have POSTed.
//
// Contract, in short:
//  - The folder is created (mode 0700) when missing; an existing folder is left as it is.
//  - Each message is written to a temporary file in the folder (".tmp-...", mode 0600), flushed
//    to disk, renamed to "<id>.eml" or "<id>.json", and the folder flushed, so a reader sees a
//    whole file or none. The id is the Message-ID without its angle brackets, or the webhook-id,
//    with any character other than letters, digits and "._-@+" replaced by '_'.
//  - The same id written again replaces the file: a retry after an ambiguous failure leaves one.
//  - Any I/O failure (disk full, no permission) is kRetry with the path and the reason; a message
//    that cannot be rendered (no recipient, no id) is kDead.
#pragma once

#include <filesystem>

#include "channels/message.h"
#include "config/settings.h"

namespace cohortwatch::channels {

class FileChannel {
 public:
  explicit FileChannel(config::FileChannelSettings settings);

  Delivery sendEmail(const EmailMessage& message);
  Delivery sendWebhook(const WebhookMessage& message);

  // The file a message with this id is written to, e.g. "<spool>/outbox-42.7f3a@host.eml".
  std::filesystem::path emailPath(const std::string& message_id) const;
  std::filesystem::path webhookPath(const std::string& webhook_id) const;

 private:
  Delivery write(const std::filesystem::path& target, const std::string& content) const;

  config::FileChannelSettings settings_;
};

}  // namespace cohortwatch::channels
