// The body of an outbox row: a rendered message as JSON, so that the dispatcher (maybe in another
// process, after a restart) sends exactly what was decided, whatever the templates say by then.
//   e-mail:  {"subject": "...", "text": "...", "html": "...",
//             "attachments": [{"filename", "content_type", "content_id", "base64"}]}
//   webhook: {"payload": "<the JSON body, as text>"}
// The recipient, sender and ids are not in the body: they come from the row and the channel.
#pragma once

#include <optional>
#include <string>

#include "channels/message.h"

namespace cohortwatch::channels {

struct EmailContent {
  std::string subject;
  std::string text;
  std::string html;
  std::vector<Attachment> attachments;
};

std::string encodeEmailBody(const EmailContent& content);
std::string encodeWebhookBody(const std::string& payload);

// nullopt when the body is not what the encoder above writes (a damaged row).
std::optional<EmailContent> decodeEmailBody(const std::string& body);
std::optional<std::string> decodeWebhookBody(const std::string& body);

}  // namespace cohortwatch::channels
