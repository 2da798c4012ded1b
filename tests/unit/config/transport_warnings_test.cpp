// config/transport_warnings.h: each setting that weakens protection in transit gets one line
// naming its channel or source, and a configuration without any gets none.
#include "config/transport_warnings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cohortwatch::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ChannelSettings smtp(std::string name, std::string url) {
  ChannelSettings channel;
  channel.name = std::move(name);
  channel.kind = ChannelSettings::Kind::kSmtp;
  channel.smtp.url = std::move(url);
  return channel;
}

ChannelSettings webhook(std::string name, std::string url) {
  ChannelSettings channel;
  channel.name = std::move(name);
  channel.kind = ChannelSettings::Kind::kWebhook;
  channel.webhook.url = std::move(url);
  return channel;
}

SourceSettings httpSource(std::string name, std::string url) {
  SourceSettings source;
  source.name = std::move(name);
  source.kind = SourceSettings::Kind::kHttp;
  source.http.url = std::move(url);
  return source;
}

TEST(TransportWarnings, SafeSettingsSayNothing) {
  Settings settings;
  settings.channels = {smtp("mail", "smtp://mail.example.org:587"),
                       webhook("chat", "https://chat.example.org/hook")};
  settings.channels[0].smtp.username = "cw";  // STARTTLS is required by default
  settings.sources = {httpSource("cms", "https://cms.example.org/export")};
  settings.sources[0].http.auth = HttpSource::Auth::kBearer;
  EXPECT_THAT(transportWarnings(settings), IsEmpty());
}

TEST(TransportWarnings, EachWeaknessIsOneLineNamingItsChannelOrSource) {
  Settings settings;
  settings.channels = {smtp("mail", "SMTP://mail.example.org:25"),
                       webhook("chat", "http://chat.example.org/hook?key=k3y")};
  settings.channels[0].smtp.verify_tls = false;
  settings.channels[0].smtp.require_starttls = false;
  settings.channels[0].smtp.username = "cw";
  settings.channels[1].webhook.verify_tls = false;
  settings.sources = {httpSource("cms", "http://cms.example.org/export")};
  settings.sources[0].http.verify_tls = false;
  settings.sources[0].http.auth = HttpSource::Auth::kBasic;
  EXPECT_THAT(
      transportWarnings(settings),
      ElementsAre(
          "smtp channel mail: TLS certificate verification is disabled (verify_tls: false)",
          "smtp channel mail: require_starttls is off, so the password is sent unencrypted to a "
          "server that does not offer STARTTLS",
          "webhook channel chat: TLS certificate verification is disabled (verify_tls: false)",
          "webhook channel chat: payloads are sent unencrypted over http://",
          "http source cms: TLS certificate verification is disabled (verify_tls: false)",
          "http source cms: credentials are sent unencrypted over http://"));
}

TEST(TransportWarnings, PlainSmtpWithoutAPasswordAndPlainHttpWithoutCredentialsAreNotWarnedAbout) {
  Settings settings;
  settings.channels = {smtp("relay", "smtp://127.0.0.1:25")};
  settings.channels[0].smtp.require_starttls = false;  // an internal relay, no AUTH
  settings.sources = {httpSource("lab", "http://127.0.0.1:8080/export")};
  EXPECT_THAT(transportWarnings(settings), IsEmpty());
}

}  // namespace
}  // namespace cohortwatch::config
