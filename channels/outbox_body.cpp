#include "channels/outbox_body.h"

#include <nlohmann/json.hpp>

#include "channels/base64.h"

namespace cohortwatch::channels {

std::string encodeEmailBody(const EmailContent& content) {
  nlohmann::json attachments = nlohmann::json::array();
  for (const auto& a : content.attachments) {
    attachments.push_back({{"filename", a.filename},
                           {"content_type", a.content_type},
                           {"content_id", a.content_id},
                           {"base64", encodeBase64(a.data)}});
  }
  return nlohmann::json{{"subject", content.subject},
                        {"text", content.text},
                        {"html", content.html},
                        {"attachments", attachments}}
      .dump();
}

std::string encodeWebhookBody(const std::string& payload) {
  return nlohmann::json{{"payload", payload}}.dump();
}

std::optional<EmailContent> decodeEmailBody(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("subject") || !json["subject"].is_string() ||
      !json.contains("text") || !json["text"].is_string()) {
    return std::nullopt;
  }
  EmailContent content;
  content.subject = json["subject"].get<std::string>();
  content.text = json["text"].get<std::string>();
  if (json.contains("html") && json["html"].is_string()) content.html = json["html"].get<std::string>();
  if (json.contains("attachments") && json["attachments"].is_array()) {
    for (const auto& a : json["attachments"]) {
      if (!a.is_object() || !a.contains("base64") || !a["base64"].is_string()) return std::nullopt;
      auto data = decodeBase64(a["base64"].get<std::string>());
      if (!data) return std::nullopt;
      content.attachments.push_back({a.value("filename", std::string("attachment")),
                                     a.value("content_type", std::string("application/octet-stream")),
                                     std::move(*data), a.value("content_id", std::string())});
    }
  }
  return content;
}

std::optional<std::string> decodeWebhookBody(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("payload") || !json["payload"].is_string()) {
    return std::nullopt;
  }
  return json["payload"].get<std::string>();
}

}  // namespace cohortwatch::channels
