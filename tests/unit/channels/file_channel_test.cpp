// The file channel: whole files or none, private, one per id; the .eml read back with Python's
// standard email parser (tests/support/parse_mail.py).
#include "channels/file_channel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/smtp_test_server.h"  // parseMail
#include "tests/unit/channels/channel_test_support.h"

namespace cohortwatch::channels {
namespace {

namespace fs = std::filesystem;
using Status = Delivery::Status;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_support::TempFolder;

std::vector<std::string> namesIn(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

unsigned modeOf(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return static_cast<unsigned>(info.st_mode) & 07777U;
}

TEST(FileChannel, WritesAPrivateEmlThatParsesWithBothPartsAndTheAttachments) {
  TempFolder folder;
  const fs::path spool = folder.path() / "var" / "spool";  // missing: created
  FileChannel channel(config::FileChannelSettings{spool.string()});
  const EmailMessage message = testing_support::reviewEmail();

  const Delivery delivery = channel.sendEmail(message);

  ASSERT_EQ(delivery.status, Status::kDelivered) << delivery.detail;
  EXPECT_EQ(modeOf(spool), 0700U);
  // One file, named after the Message-ID, no temporary file left behind.
  EXPECT_THAT(namesIn(spool), ElementsAre("outbox-42.7f3a9c@cohortwatch.test.eml"));
  const fs::path eml = channel.emailPath(message.message_id);
  EXPECT_EQ(eml, spool / "outbox-42.7f3a9c@cohortwatch.test.eml");
  EXPECT_EQ(modeOf(eml), 0600U);

  const auto mail = nlohmann::json::parse(test_support::parseMail(eml));
  EXPECT_THAT(mail["defects"], IsEmpty());
  EXPECT_FALSE(mail["bare_lf"].get<bool>());
  EXPECT_TRUE(mail["header_lines_ascii"].get<bool>());
  EXPECT_LE(mail["max_line_length"].get<int>(), 78);
  EXPECT_EQ(mail["headers"]["Subject"], message.subject);
  EXPECT_EQ(mail["to"][1]["name"], "Zoë Ångström");
  EXPECT_EQ(mail["structure"],
            "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,"
            "image/png)),text/csv,image/png)");
  EXPECT_EQ(testing_support::unixLines(mail["text"].get<std::string>()), message.text);
  EXPECT_EQ(testing_support::unixLines(mail["html"].get<std::string>()), message.html);
  ASSERT_EQ(mail["attachments"].size(), 2U);
  EXPECT_EQ(mail["attachments"][0]["filename"], "review-list.csv");
  EXPECT_EQ(mail["attachments"][1]["sha256"],
            testing_support::sha256Hex(message.attachments[1].data));
  ASSERT_EQ(mail["inline"].size(), 1U);
  EXPECT_EQ(mail["inline"][0]["content_id"], "chart-1@cohortwatch");
}

TEST(FileChannel, NonAsciiAttachmentNamesSurvive) {
  TempFolder folder;
  FileChannel channel(config::FileChannelSettings{folder.path().string()});
  EmailMessage message = testing_support::reviewEmail();
  message.attachments = {{"révision — Siân.csv", "text/csv", "a,b\r\n1,2\r\n", ""}};

  ASSERT_EQ(channel.sendEmail(message).status, Status::kDelivered);

  const auto mail =
      nlohmann::json::parse(test_support::parseMail(channel.emailPath(message.message_id)));
  EXPECT_THAT(mail["defects"], IsEmpty());
  ASSERT_EQ(mail["attachments"].size(), 1U);
  EXPECT_EQ(mail["attachments"][0]["filename"], "révision — Siân.csv");
}

TEST(FileChannel, TheSameIdTwiceLeavesOneFileWithTheLatestContent) {
  TempFolder folder;
  FileChannel channel(config::FileChannelSettings{folder.path().string()});
  EmailMessage message = testing_support::reviewEmail();

  ASSERT_EQ(channel.sendEmail(message).status, Status::kDelivered);
  message.subject = "second attempt";
  ASSERT_EQ(channel.sendEmail(message).status, Status::kDelivered);

  EXPECT_EQ(namesIn(folder.path()).size(), 1U);
  const auto mail =
      nlohmann::json::parse(test_support::parseMail(channel.emailPath(message.message_id)));
  EXPECT_EQ(mail["headers"]["Subject"], "second attempt");
}

TEST(FileChannel, WebhooksAreWrittenAsTheirPayload) {
  TempFolder folder;
  FileChannel channel(config::FileChannelSettings{folder.path().string()});
  const WebhookMessage message{"msg_outbox-43", R"({"alert":"reoffending"})"};

  ASSERT_EQ(channel.sendWebhook(message).status, Status::kDelivered);
  ASSERT_EQ(channel.sendWebhook(message).status, Status::kDelivered);

  EXPECT_THAT(namesIn(folder.path()), ElementsAre("msg_outbox-43.json"));
  EXPECT_EQ(testing_support::readFile(folder.path() / "msg_outbox-43.json"), message.payload);
  EXPECT_EQ(modeOf(folder.path() / "msg_outbox-43.json"), 0600U);
}

TEST(FileChannel, IdsCannotLeaveTheFolder) {
  TempFolder folder;
  const fs::path spool = folder.path() / "spool";
  FileChannel channel(config::FileChannelSettings{spool.string()});

  ASSERT_EQ(channel.sendWebhook({"../../etc/x", "{}"}).status, Status::kDelivered);
  ASSERT_EQ(channel.sendWebhook({"..", "{}"}).status, Status::kDelivered);

  EXPECT_THAT(namesIn(folder.path()), ElementsAre("spool"));
  EXPECT_THAT(namesIn(spool), ElementsAre("_...json", "_.._.._etc_x.json"));
  EXPECT_EQ(channel.sendWebhook({"", "{}"}).status, Status::kDead);
}

TEST(FileChannel, AFolderThatCannotBeMadeIsRetried) {
  TempFolder folder;
  testing_support::writeFile(folder.path() / "a-file", "not a folder");
  FileChannel channel(config::FileChannelSettings{(folder.path() / "a-file" / "spool").string()});

  const Delivery delivery = channel.sendWebhook({"msg_1", "{}"});

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(delivery.detail, HasSubstr("a-file"));
}

}  // namespace
}  // namespace cohortwatch::channels
