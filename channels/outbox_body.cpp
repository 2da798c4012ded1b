#include "channels/outbox_body.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

namespace cohortwatch::channels {

namespace {

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

}  // namespace

std::string encodeEmailBody(const EmailContent& content) {
  nlohmann::json attachments = nlohmann::json::array();
  for (const auto& a : content.attachments) {
    attachments.push_back({{"filename", a.filename},
                           {"content_type", a.content_type},
                           {"content_id", a.content_id},
                           {"base64", base64(a.data)}});
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
      auto data = unbase64(a["base64"].get<std::string>());
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
