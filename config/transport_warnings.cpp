#include "config/transport_warnings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cohortwatch::config {

namespace {

// The URL's scheme in lower case ("smtp", "https", ...); empty when it has none.
std::string schemeOf(const std::string& url) {
  const auto end = url.find("://");
  if (end == std::string::npos) return {};
  std::string scheme = url.substr(0, end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme;
}

}  // namespace

std::vector<std::string> transportWarnings(const Settings& settings) {
  std::vector<std::string> warnings;
  for (const auto& channel : settings.channels) {
    if (channel.kind == ChannelSettings::Kind::kSmtp) {
      const auto& smtp = channel.smtp;
      if (!smtp.verify_tls) {
        warnings.push_back(fmt::format(
            "smtp channel {}: TLS certificate verification is disabled (verify_tls: false)",
            channel.name));
      }
      if (schemeOf(smtp.url) == "smtp" && !smtp.require_starttls && !smtp.username.empty()) {
        warnings.push_back(fmt::format(
            "smtp channel {}: require_starttls is off, so the password is sent unencrypted to a "
            "server that does not offer STARTTLS",
            channel.name));
      }
    } else if (channel.kind == ChannelSettings::Kind::kWebhook) {
      if (!channel.webhook.verify_tls) {
        warnings.push_back(fmt::format(
            "webhook channel {}: TLS certificate verification is disabled (verify_tls: false)",
            channel.name));
      }
      if (schemeOf(channel.webhook.url) == "http") {
        warnings.push_back(
            fmt::format("webhook channel {}: payloads are sent unencrypted over http://", channel.name));
      }
    }
  }
  for (const auto& source : settings.sources) {
    if (source.kind != SourceSettings::Kind::kHttp) continue;
    if (!source.http.verify_tls) {
      warnings.push_back(fmt::format(
          "http source {}: TLS certificate verification is disabled (verify_tls: false)",
          source.name));
    }
    if (schemeOf(source.http.url) == "http" && source.http.auth != HttpSource::Auth::kNone) {
      warnings.push_back(
          fmt::format("http source {}: credentials are sent unencrypted over http://", source.name));
    }
  }
  return warnings;
}

}  // namespace cohortwatch::config
