// The SMTP channel against a real SMTP server on 127.0.0.1 (tests/support/smtp_server.py, on
// python3-aiosmtpd) with STARTTLS on a self-signed certificate and AUTH; what it received is read
// back with Python's standard email parser (tests/support/parse_mail.py).
#include "channels/smtp_channel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "channels/file_channel.h"
#include "tests/support/http_test_server.h"
#include "tests/support/smtp_test_server.h"
#include "tests/unit/channels/channel_test_support.h"

namespace cohortwatch::channels {
namespace {

using namespace std::chrono_literals;
using test_support::SmtpTestServer;
using test_support::SmtpTestServerOptions;
using Tls = test_support::SmtpTestServerOptions::Tls;
using Status = Delivery::Status;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing_support::TempFolder;

constexpr const char* kUser = "cohortwatch";
constexpr const char* kPassword = "s3cret-pässword";

// A server with STARTTLS required and AUTH, as a real submission server (port 587).
SmtpTestServerOptions submissionServer() {
  SmtpTestServerOptions options;
  options.tls = Tls::kStartTls;
  options.username = kUser;
  options.password = kPassword;
  return options;
}

class SmtpChannelTest : public ::testing::Test {
 protected:
  // Settings for the server, the password in a file as in production.
  config::SmtpChannelSettings settingsFor(const SmtpTestServer& server) {
    config::SmtpChannelSettings settings;
    settings.url = server.url();
    settings.require_starttls = true;
    settings.username = kUser;
    const auto password_file = folder_.path() / "smtp-password";
    testing_support::writeFile(password_file, std::string(kPassword) + "\n");
    settings.password = config::SecretRef{config::SecretRef::Kind::kFile, password_file.string()};
    settings.from_address = "bounces@yot.example.org";
    settings.ca_file = server.caFile().string();
    settings.connect_timeout_seconds = 2;
    settings.timeout_seconds = 5;
    return settings;
  }

  static nlohmann::json parse(const std::filesystem::path& eml) {
    return nlohmann::json::parse(test_support::parseMail(eml));
  }

  TempFolder folder_;
};

// What a reader of the review e-mail must find in it, whichever channel carried it.
void expectReviewEmail(const nlohmann::json& mail, const EmailMessage& sent) {
  EXPECT_THAT(mail["defects"], IsEmpty()) << mail.dump(1);
  EXPECT_TRUE(mail["header_lines_ascii"].get<bool>());
  // The 1200-character text line arrives whole, in lines within SMTP's limit.
  EXPECT_LE(mail["max_line_length"].get<int>(), 998);
  EXPECT_FALSE(mail["bare_lf"].get<bool>());
  EXPECT_EQ(mail["headers"]["Subject"], sent.subject);
  EXPECT_EQ(mail["headers"]["Message-ID"], sent.message_id);
  EXPECT_EQ(mail["headers"]["Date"], sent.date);
  EXPECT_EQ(mail["headers"]["MIME-Version"], "1.0");
  ASSERT_EQ(mail["from"].size(), 1U);
  EXPECT_EQ(mail["from"][0]["name"], sent.from.name);
  EXPECT_EQ(mail["from"][0]["address"], sent.from.address);
  ASSERT_EQ(mail["reply_to"].size(), 1U);
  EXPECT_EQ(mail["reply_to"][0]["address"], sent.reply_to->address);
  ASSERT_EQ(mail["to"].size(), sent.to.size());
  for (std::size_t i = 0; i < sent.to.size(); ++i) {
    EXPECT_EQ(mail["to"][i]["name"], sent.to[i].name);
    EXPECT_EQ(mail["to"][i]["address"], sent.to[i].address);
  }
  EXPECT_EQ(mail["structure"],
            "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,"
            "image/png)),text/csv,image/png)");
  EXPECT_EQ(testing_support::unixLines(mail["text"].get<std::string>()), sent.text);
  EXPECT_EQ(testing_support::unixLines(mail["html"].get<std::string>()), sent.html);
  ASSERT_EQ(mail["attachments"].size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& attachment = sent.attachments[i];
    EXPECT_EQ(mail["attachments"][i]["filename"], attachment.filename);
    EXPECT_EQ(mail["attachments"][i]["content_type"], attachment.content_type);
    EXPECT_EQ(mail["attachments"][i]["size"], attachment.data.size());
    EXPECT_EQ(mail["attachments"][i]["sha256"], testing_support::sha256Hex(attachment.data));
  }
  ASSERT_EQ(mail["inline"].size(), 1U);
  EXPECT_EQ(mail["inline"][0]["content_id"], "chart-1@cohortwatch");
  EXPECT_EQ(mail["inline"][0]["content_type"], "image/png");
  EXPECT_EQ(mail["inline"][0]["sha256"], testing_support::sha256Hex(sent.attachments[2].data));
}

TEST_F(SmtpChannelTest, DeliversOverStartTlsWithAuthToThreeRecipients) {
  SmtpTestServer server(submissionServer());
  server.start();
  SmtpChannel channel(settingsFor(server));
  const EmailMessage message = testing_support::reviewEmail();

  const Delivery delivery = channel.send(message);

  ASSERT_EQ(delivery.status, Status::kDelivered) << delivery.detail << "\n" << server.log();
  EXPECT_THAT(delivery.detail, HasSubstr("250"));
  EXPECT_FALSE(delivery.ambiguous);
  const auto received = server.received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].mail_from, "bounces@yot.example.org");
  EXPECT_THAT(received[0].rcpt_tos,
              ElementsAre("sian.jones@yot.example.org", "zoe.angstrom@yot.example.org",
                          "bob@yot.example.org"));
  expectReviewEmail(parse(received[0].eml), message);
}

// The spooled .eml and the message on the wire are the same message to a reader.
TEST_F(SmtpChannelTest, FileChannelSpoolsTheSameMessage) {
  SmtpTestServer server(submissionServer());
  server.start();
  SmtpChannel smtp(settingsFor(server));
  FileChannel file(config::FileChannelSettings{(folder_.path() / "spool").string()});
  const EmailMessage message = testing_support::reviewEmail();

  ASSERT_EQ(smtp.send(message).status, Status::kDelivered);
  ASSERT_EQ(file.sendEmail(message).status, Status::kDelivered);

  ASSERT_EQ(server.received().size(), 1U);
  nlohmann::json sent = parse(server.received()[0].eml);
  nlohmann::json spooled = parse(file.emailPath(message.message_id));
  expectReviewEmail(spooled, message);
  // Line lengths differ with the encoders' choices of where to break; nothing else may.
  sent.erase("max_line_length");
  spooled.erase("max_line_length");
  EXPECT_EQ(sent, spooled);
}

TEST_F(SmtpChannelTest, TextAndHtmlWithoutAttachmentsAreAlternatives) {
  SmtpTestServer server(submissionServer());
  server.start();
  SmtpChannel channel(settingsFor(server));
  EmailMessage message = testing_support::reviewEmail();
  message.attachments.clear();
  message.reply_to.reset();
  message.date.clear();

  ASSERT_EQ(channel.send(message).status, Status::kDelivered);

  ASSERT_EQ(server.received().size(), 1U);
  const auto mail = parse(server.received()[0].eml);
  EXPECT_EQ(mail["structure"], "multipart/alternative(text/plain,text/html)");
  EXPECT_THAT(mail["defects"], IsEmpty());
  EXPECT_THAT(mail["reply_to"], IsEmpty());
  EXPECT_FALSE(mail["headers"]["Date"].get<std::string>().empty());  // dated now
}

TEST_F(SmtpChannelTest, TextOnlyMessage) {
  SmtpTestServer server(submissionServer());
  server.start();
  auto settings = settingsFor(server);
  settings.from_name = "cohortwatch";
  settings.reply_to = "data@yot.example.org";
  SmtpChannel channel(settings);
  EmailMessage message;
  message.message_id = "<outbox-7.1@cohortwatch.test>";
  message.to = {{"", "manager@yot.example.org"}};
  message.subject = "Weekly summary";
  message.text = "Nothing new this week.\n";

  ASSERT_EQ(channel.send(message).status, Status::kDelivered);

  const auto mail = parse(server.received().at(0).eml);
  EXPECT_EQ(mail["structure"], "multipart/mixed(text/plain)");
  EXPECT_EQ(testing_support::unixLines(mail["text"].get<std::string>()), message.text);
  // The sender and Reply-To come from the settings when the message has none.
  EXPECT_EQ(mail["from"][0]["name"], "cohortwatch");
  EXPECT_EQ(mail["from"][0]["address"], "bounces@yot.example.org");
  EXPECT_EQ(mail["reply_to"][0]["address"], "data@yot.example.org");
  EXPECT_EQ(mail["headers"]["Subject"], "Weekly summary");
}

TEST_F(SmtpChannelTest, ImplicitTls) {
  SmtpTestServerOptions options = submissionServer();
  options.tls = Tls::kImplicit;
  SmtpTestServer server(options);
  server.start();
  SmtpChannel channel(settingsFor(server));
  ASSERT_THAT(server.url(), ::testing::StartsWith("smtps://"));

  const Delivery delivery = channel.send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kDelivered) << delivery.detail << "\n" << server.log();
  EXPECT_EQ(server.received().size(), 1U);
}

TEST_F(SmtpChannelTest, ServerAbsentIsRetriedThenDeliveredOnceItIsUp) {
  SmtpTestServerOptions options = submissionServer();
  options.port = test_support::closedLocalPort();
  SmtpTestServer server(options);
  SmtpChannel channel(settingsFor(server));
  const EmailMessage message = testing_support::reviewEmail();

  const Delivery absent = channel.send(message);
  EXPECT_EQ(absent.status, Status::kRetry);
  EXPECT_FALSE(absent.ambiguous);
  EXPECT_THAT(absent.detail, HasSubstr("127.0.0.1"));

  server.start();
  ASSERT_EQ(server.port(), options.port);
  const Delivery delivered = channel.send(message);
  EXPECT_EQ(delivered.status, Status::kDelivered) << delivered.detail << "\n" << server.log();
  EXPECT_EQ(server.received().size(), 1U);

  // And again after a restart: the kept connection is gone, a new one is made.
  server.stop();
  server.start();
  EXPECT_EQ(channel.send(message).status, Status::kDelivered);
  EXPECT_EQ(server.received().size(), 2U);
}

TEST_F(SmtpChannelTest, TemporaryFailureAfterTheDataIsRetriedWithTheSameMessageId) {
  SmtpTestServerOptions options = submissionServer();
  options.fail_first = 1;
  SmtpTestServer server(options);
  server.start();
  SmtpChannel channel(settingsFor(server));
  const EmailMessage message = testing_support::reviewEmail();

  const Delivery first = channel.send(message);
  EXPECT_EQ(first.status, Status::kRetry);
  EXPECT_FALSE(first.ambiguous);  // the server said no: nothing was queued
  EXPECT_THAT(first.detail, HasSubstr("451"));
  EXPECT_THAT(server.received(), IsEmpty());

  const Delivery second = channel.send(message);
  EXPECT_EQ(second.status, Status::kDelivered) << second.detail;
  ASSERT_EQ(server.received().size(), 1U);
  EXPECT_EQ(parse(server.received()[0].eml)["headers"]["Message-ID"], message.message_id);
}

// One stale address must not stop the others from getting the alert; a retry would send it to
// them twice, so the message counts as delivered and the refusal is in the detail.
TEST_F(SmtpChannelTest, OneRefusedRecipientDoesNotStopTheOthers) {
  SmtpTestServerOptions options = submissionServer();
  options.reject_rcpt = {"zoe.angstrom@yot.example.org"};
  SmtpTestServer server(options);
  server.start();
  SmtpChannel channel(settingsFor(server));

  const Delivery delivery = channel.send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kDelivered) << delivery.detail;
  EXPECT_THAT(delivery.detail, HasSubstr("zoe.angstrom@yot.example.org"));
  EXPECT_THAT(delivery.detail, HasSubstr("550"));
  ASSERT_EQ(server.received().size(), 1U);
  EXPECT_THAT(server.received()[0].rcpt_tos,
              ElementsAre("sian.jones@yot.example.org", "bob@yot.example.org"));
}

TEST_F(SmtpChannelTest, EveryRecipientRefusedIsDead) {
  SmtpTestServerOptions options = submissionServer();
  options.reject_rcpt = {"manager@yot.example.org"};
  SmtpTestServer server(options);
  server.start();
  SmtpChannel channel(settingsFor(server));
  EmailMessage message = testing_support::reviewEmail();
  message.to = {{"", "manager@yot.example.org"}};

  const Delivery delivery = channel.send(message);

  EXPECT_EQ(delivery.status, Status::kDead) << delivery.detail;
  EXPECT_THAT(delivery.detail, HasSubstr("550"));
  EXPECT_THAT(server.received(), IsEmpty());

  // The connection is still good for the next message.
  message.to = {{"", "other@yot.example.org"}};
  EXPECT_EQ(channel.send(message).status, Status::kDelivered);
}

// A refused sender is almost always the configured from address: kept and retried until fixed.
TEST_F(SmtpChannelTest, RefusedSenderIsRetried) {
  SmtpTestServerOptions options = submissionServer();
  options.reject_sender = "bounces@yot.example.org";
  SmtpTestServer server(options);
  server.start();

  const Delivery delivery = SmtpChannel(settingsFor(server)).send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry) << delivery.detail;
  EXPECT_THAT(delivery.detail, HasSubstr("553"));
  EXPECT_THAT(delivery.detail, HasSubstr("check smtp.from"));
  EXPECT_THAT(server.received(), IsEmpty());
}

TEST_F(SmtpChannelTest, StartTlsRequiredButNotOfferedIsRetriedAndNothingIsSent) {
  SmtpTestServer server;  // plain text, no STARTTLS
  server.start();
  auto settings = settingsFor(server);
  settings.username.clear();
  settings.password.reset();
  SmtpChannel channel(settings);

  const Delivery delivery = channel.send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(delivery.detail, HasSubstr("STARTTLS"));
  EXPECT_THAT(server.received(), IsEmpty());

  // Without the requirement, the same server takes it.
  settings.require_starttls = false;
  SmtpChannel relaxed(settings);
  EXPECT_EQ(relaxed.send(testing_support::reviewEmail()).status, Status::kDelivered);
}

TEST_F(SmtpChannelTest, UntrustedCertificateIsRetried) {
  SmtpTestServer server(submissionServer());
  server.start();
  auto settings = settingsFor(server);
  settings.ca_file.clear();  // the system's CAs do not know the test's certificate

  const Delivery delivery = SmtpChannel(settings).send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(server.received(), IsEmpty());
}

TEST_F(SmtpChannelTest, WrongPasswordIsRetriedWithAClearDetail) {
  SmtpTestServerOptions options = submissionServer();
  options.password = "another";
  SmtpTestServer server(options);
  server.start();

  const Delivery delivery = SmtpChannel(settingsFor(server)).send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(delivery.detail, HasSubstr("authentication"));
  EXPECT_THAT(delivery.detail, Not(HasSubstr(kPassword)));
}

TEST_F(SmtpChannelTest, UnreadablePasswordIsRetriedAndNamesTheFile) {
  SmtpTestServer server(submissionServer());
  server.start();
  auto settings = settingsFor(server);
  settings.password->location = (folder_.path() / "missing-password").string();

  const Delivery delivery = SmtpChannel(settings).send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(delivery.detail, HasSubstr("missing-password"));
  EXPECT_THAT(server.received(), IsEmpty());
}

TEST_F(SmtpChannelTest, ServerThatNeverAnswersTimesOutAndIsRetried) {
  test_support::SilentListener silent;
  config::SmtpChannelSettings settings;
  settings.url = "smtp://127.0.0.1:" + std::to_string(silent.port());
  settings.from_address = "bounces@yot.example.org";
  settings.connect_timeout_seconds = 1;
  settings.timeout_seconds = 1;
  SmtpChannel channel(settings);

  const auto start = std::chrono::steady_clock::now();
  const Delivery delivery = channel.send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_FALSE(delivery.ambiguous);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// The server took the data and never said whether it queued it: a retry may duplicate it.
TEST_F(SmtpChannelTest, NoReplyAfterTheDataIsAmbiguous) {
  SmtpTestServerOptions options = submissionServer();
  options.stall_data = 4s;
  SmtpTestServer server(options);
  server.start();
  auto settings = settingsFor(server);
  settings.timeout_seconds = 1;

  const Delivery delivery = SmtpChannel(settings).send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry) << delivery.detail;
  EXPECT_TRUE(delivery.ambiguous) << delivery.detail;
}

TEST_F(SmtpChannelTest, MessagesThatCannotBeSentAreDeadWithoutConnecting) {
  config::SmtpChannelSettings settings;
  settings.url = "smtp://127.0.0.1:" + std::to_string(test_support::closedLocalPort());
  settings.from_address = "bounces@yot.example.org";
  SmtpChannel channel(settings);

  EmailMessage no_recipient = testing_support::reviewEmail();
  no_recipient.to.clear();
  EXPECT_EQ(channel.send(no_recipient).status, Status::kDead);

  EmailMessage bad_address = testing_support::reviewEmail();
  bad_address.to[1].address = "zoe@yot.example.org>\r\nRCPT TO:<x@evil.example";
  const Delivery bad = channel.send(bad_address);
  EXPECT_EQ(bad.status, Status::kDead);
  EXPECT_THAT(bad.detail, HasSubstr("recipient 2 of 3"));
}

TEST_F(SmtpChannelTest, AUrlThatIsNotSmtpIsRetriedAsAConfigurationError) {
  config::SmtpChannelSettings settings;
  settings.url = "http://127.0.0.1:25";
  settings.from_address = "bounces@yot.example.org";

  const Delivery delivery = SmtpChannel(settings).send(testing_support::reviewEmail());

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(delivery.detail, HasSubstr("smtp://"));
}

}  // namespace
}  // namespace cohortwatch::channels
