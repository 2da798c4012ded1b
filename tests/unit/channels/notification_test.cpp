// Routing of recipients to channels, the templates (overrides and errors at load), how a child is
// named under each privacy setting, the rendered alert (e-mail parts and the three webhook
// styles), and the outbox body codec.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "channels/alert_messages.h"
#include "channels/outbox_body.h"
#include "channels/routing.h"
#include "channels/templates.h"

namespace cohortwatch::channels {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Kind = config::ChannelSettings::Kind;

config::Settings routedSettings() {
  config::Settings settings;
  settings.database.path = "/var/lib/cohortwatch/cw.db";
  config::ChannelSettings mail;
  mail.name = "mail";
  mail.kind = Kind::kSmtp;
  config::ChannelSettings chat;
  chat.name = "chat";
  chat.kind = Kind::kWebhook;
  settings.channels = {mail, chat};
  settings.notifications.managers = {"boss@yot.example.org", "leads"};
  settings.notifications.groups = {{"leads", {"lead@yot.example.org", "boss@yot.example.org", "chat"}},
                                   {"loop", {"loop"}}};
  return settings;
}

TEST(Router, ResolvesManagersGroupsCaseworkersAndChannelsOnceEach) {
  const auto settings = routedSettings();
  const Router router(settings);
  EXPECT_EQ(router.emailChannel(), "mail");
  const std::vector<std::string> recipients = {"managers", "caseworker", "chat", "loop",
                                               "lead@yot.example.org"};
  EXPECT_THAT(router.resolve(recipients, "cw@yot.example.org"),
              ElementsAre(Target{"mail", "boss@yot.example.org", Kind::kSmtp},
                          Target{"mail", "lead@yot.example.org", Kind::kSmtp},
                          Target{"chat", "", Kind::kWebhook},
                          Target{"mail", "cw@yot.example.org", Kind::kSmtp}));
  // A child with no caseworker address: the caseworker recipient gives nothing.
  const std::vector<std::string> caseworker = {"caseworker"};
  EXPECT_TRUE(router.resolve(caseworker, "").empty());
}

TEST(Router, WithoutChannelsEmailGoesToTheBuiltInSpoolBesideTheDatabase) {
  config::Settings settings;
  settings.database.path = "/var/lib/cohortwatch/cw.db";
  const Router router(settings);
  EXPECT_EQ(router.emailChannel(), "spool");
  ASSERT_NE(router.channel("spool"), nullptr);
  EXPECT_EQ(router.channel("spool")->file.path, "/var/lib/cohortwatch/spool");
  settings.notifications.spool_dir = "/srv/spool";
  EXPECT_EQ(Router(settings).channel("spool")->file.path, "/srv/spool");
}

class TemplatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cw-templates-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

TEST_F(TemplatesTest, BuiltInsParseAndHtmlTemplatesEscapeValues) {
  auto loaded = Templates::load({});
  ASSERT_TRUE(std::holds_alternative<Templates>(loaded));
  const auto& templates = std::get<Templates>(loaded);
  EXPECT_THAT(builtinTemplateNames(), ::testing::IsSupersetOf({"alert.subject", "alert.text", "alert.html"}));
  kainjow::mustache::data data;
  data.set("rule_name", "<b>Tom & Jerry</b>");
  EXPECT_THAT(templates.render("alert.html", data), HasSubstr("&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"));
  EXPECT_THAT(templates.render("alert.text", data), HasSubstr("<b>Tom & Jerry</b>"));
  EXPECT_EQ(templates.origin("alert.text"), "built-in");
}

TEST_F(TemplatesTest, AFileInTheTemplatesFolderReplacesTheBuiltIn) {
  write("alert.subject.mustache", "ALERT {{rule_id}}");
  config::NotificationSettings settings;
  settings.templates_dir = dir_.string();
  auto loaded = Templates::load(settings);
  ASSERT_TRUE(std::holds_alternative<Templates>(loaded));
  kainjow::mustache::data data;
  data.set("rule_id", "x");
  EXPECT_EQ(std::get<Templates>(loaded).render("alert.subject", data), "ALERT x");
  EXPECT_EQ(std::get<Templates>(loaded).origin("alert.subject"), (dir_ / "alert.subject.mustache").string());
}

TEST_F(TemplatesTest, ABrokenOrUnknownTemplateIsAConfigurationErrorNamingTheFile) {
  write("alert.html.mustache", "<p>{{#reasons}}never closed</p>");
  write("alert.txt.mustache", "a typo in the name");
  config::NotificationSettings settings;
  settings.templates_dir = dir_.string();
  auto loaded = Templates::load(settings);
  ASSERT_TRUE(std::holds_alternative<std::vector<config::ConfigError>>(loaded));
  const auto& errors = std::get<std::vector<config::ConfigError>>(loaded);
  ASSERT_EQ(errors.size(), 2u);
  std::string all;
  for (const auto& error : errors) all += error.toString() + "\n";
  EXPECT_THAT(all, HasSubstr((dir_ / "alert.txt.mustache").string() + ": \"alert.txt\" is not a template"));
  EXPECT_THAT(all, HasSubstr((dir_ / "alert.html.mustache").string()));
  EXPECT_THAT(all, HasSubstr("reasons"));
}

TEST(IdentifyChild, NamesAsPrivacyAllows) {
  tracking::PersonDetails person;
  person.person_id = "P000123";
  person.first_name = "Zoë";
  person.last_name = "Smith";
  EXPECT_EQ(identifyChild(config::IdentifyBy::kId, person), "P000123");
  EXPECT_EQ(identifyChild(config::IdentifyBy::kInitials, person), "Z.S. (P000123)");
  EXPECT_EQ(identifyChild(config::IdentifyBy::kFullName, person), "Zoë Smith (P000123)");
  person.first_name.clear();
  person.last_name.clear();
  EXPECT_EQ(identifyChild(config::IdentifyBy::kInitials, person), "P000123");
}

class AlertMessagesTest : public ::testing::Test {
 protected:
  AlertMessagesTest() : templates_(std::get<Templates>(Templates::load({}))) {
    rule_.id = "lac_change";
    rule_.name = "Child became looked after";
    rule_.when.text = "changed(\"looked_after\") and looked_after";
    rule_.severity = config::Severity::kHigh;
    decision_.rule = &rule_;
    decision_.event_kind = "person_changed";
    decision_.event_date = *tracking::Date::parse("2025-05-01");
    decision_.reasons =
        R"({"rule":"lac_change","values":{"looked_after":true,"event.old":"Old Surname"},)"
        R"("event":{"kind":"person_changed","field":"looked_after"},"focus":["lac"]})";
    alert_.id = 42;
    alert_.severity = "high";
    alert_.fired_on = *tracking::Date::parse("2025-05-02");
    alert_.reasons = decision_.reasons;
    member_.person_id = "P000123";
    member_.cohort_name = "2025Q1";
    member_.index_date = *tracking::Date::parse("2025-02-03");
    member_.follow_up.last_day = *tracking::Date::parse("2026-02-03");
    person_.person_id = "P000123";
    person_.first_name = "Zoë";
    person_.last_name = "Smith";
  }
  AlertContent content() const { return {alert_, decision_, member_, person_}; }

  Templates templates_;
  config::AlertRuleSettings rule_;
  rules::AlertDecision decision_;
  tracking::AlertRecord alert_;
  rules::MemberFacts member_;
  tracking::PersonDetails person_;
};

TEST_F(AlertMessagesTest, EmailHasSubjectTextAndHtmlWithInitialsAndNoPersonalValues) {
  config::PrivacySettings privacy;  // initials by default
  const AlertMessages messages(templates_, privacy);
  const auto email = messages.email(content());
  EXPECT_EQ(email.subject, "[cohortwatch] High: Child became looked after - Z.S. (P000123)");
  EXPECT_THAT(email.text, HasSubstr("Child:     Z.S. (P000123)"));
  EXPECT_THAT(email.text, HasSubstr("Circumstances changed: looked_after updated on 2025-05-01"));
  EXPECT_THAT(email.text, HasSubstr("looked_after: yes"));
  EXPECT_THAT(email.text, HasSubstr("Focus:     lac"));
  EXPECT_THAT(email.html, HasSubstr("<td>Z.S. (P000123)</td>"));
  for (const auto* part : {&email.subject, &email.text, &email.html}) {
    EXPECT_THAT(*part, Not(HasSubstr("Smith")));
    EXPECT_THAT(*part, Not(HasSubstr("Old Surname")));  // event.old never goes out
  }
}

TEST_F(AlertMessagesTest, WebhookStylesNameTheChildByIdByDefault) {
  config::PrivacySettings privacy;
  const AlertMessages messages(templates_, privacy);
  const auto generic = nlohmann::json::parse(messages.webhookPayload(content(), config::WebhookStyle::kGeneric));
  EXPECT_EQ(generic.at("schema"), "cohortwatch.alert.v1");
  EXPECT_EQ(generic.at("alert_id"), 42);
  EXPECT_EQ(generic.at("child"), "P000123");
  EXPECT_EQ(generic.at("rule").at("id"), "lac_change");
  EXPECT_EQ(generic.at("reasons").at("looked_after"), true);
  EXPECT_FALSE(generic.at("reasons").contains("event.old"));
  const auto teams = nlohmann::json::parse(messages.webhookPayload(content(), config::WebhookStyle::kTeams));
  EXPECT_EQ(teams.at("@type"), "MessageCard");
  EXPECT_EQ(teams.at("title"), "Child became looked after");
  EXPECT_EQ(teams.at("sections").at(0).at("facts").at(0).at("value"), "P000123");
  const auto slack = nlohmann::json::parse(messages.webhookPayload(content(), config::WebhookStyle::kSlack));
  EXPECT_EQ(slack.at("blocks").at(0).at("type"), "header");
  EXPECT_THAT(slack.dump(), Not(HasSubstr("Zo")));
}

TEST(OutboxBody, EmailAndWebhookBodiesRoundTrip) {
  EmailContent content;
  content.subject = "Résumé";
  content.text = "plain";
  content.html = "<p>html</p>";
  content.attachments.push_back({"list.csv", "text/csv", std::string("a,b\n1,2\n\0x", 10), ""});
  content.attachments.push_back({"chart.png", "image/png", std::string(3, '\xff'), "chart1"});
  const auto decoded = decodeEmailBody(encodeEmailBody(content));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->subject, "Résumé");
  EXPECT_EQ(decoded->html, "<p>html</p>");
  ASSERT_EQ(decoded->attachments.size(), 2u);
  EXPECT_EQ(decoded->attachments[0].data, content.attachments[0].data);
  EXPECT_EQ(decoded->attachments[1].data, content.attachments[1].data);
  EXPECT_EQ(decoded->attachments[1].content_id, "chart1");
  EXPECT_EQ(decodeWebhookBody(encodeWebhookBody(R"({"a":1})")), R"({"a":1})");
  EXPECT_FALSE(decodeEmailBody("not json"));
  EXPECT_FALSE(decodeWebhookBody(R"({"subject":"x"})"));
}

}  // namespace
}  // namespace cohortwatch::channels
