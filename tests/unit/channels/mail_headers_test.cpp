// The header and body encodings the SMTP and file channels share, with worked examples.
#include "channels/mail_headers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cohortwatch::channels::mail {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find("\r\n", start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return lines;
}

TEST(MailHeaders, DatesAreRfc5322InUtc) {
  const auto time = std::chrono::sys_days{std::chrono::year{2026} / 12 / 3} +
                    std::chrono::hours{18} + std::chrono::seconds{7};
  EXPECT_EQ(formatDate(time), "Thu, 03 Dec 2026 18:00:07 +0000");
}

TEST(MailHeaders, AsciiSubjectsAreFoldedAtSpaces) {
  EXPECT_EQ(formatUnstructured("Subject", "Weekly summary"), "Subject: Weekly summary");
  const std::string long_subject =
      "Review: three children in the 2025Q1 cohort have a proven reoffence and the follow-up "
      "period ends in twelve days";
  const std::string header = formatUnstructured("Subject", long_subject);
  const auto lines = linesOf(header);
  ASSERT_GT(lines.size(), 1U);
  for (const auto& line : lines) EXPECT_LE(line.size(), 78U) << line;
  // Unfolding (removing the CRLFs) gives the subject back.
  std::string unfolded;
  for (const auto& line : lines) unfolded += line;
  EXPECT_EQ(unfolded, "Subject: " + long_subject);
}

TEST(MailHeaders, NonAsciiSubjectsAreEncodedWordsWithinLimits) {
  const std::string subject =
      "Zoë Ångström — review: 3 children in the 2025Q1 cohort reoffended, Siân to follow up";
  const std::string header = formatUnstructured("Subject", subject);
  EXPECT_THAT(header, StartsWith("Subject: =?UTF-8?B?"));
  for (const auto& line : linesOf(header)) {
    EXPECT_LE(line.size(), 78U) << line;
    // Each line holds one whole encoded word of at most 75 characters.
    const auto word = line.substr(line.find("=?"));
    EXPECT_LE(word.size(), 75U);
    EXPECT_TRUE(word.ends_with("?=")) << word;
  }
  EXPECT_EQ(header.find_first_of("\x80\xff"), std::string::npos);
}

TEST(MailHeaders, LineBreaksCannotInjectHeaders) {
  const std::string header = formatUnstructured("Subject", "hello\r\nBcc: someone@evil.example");
  EXPECT_EQ(header, "Subject: hello  Bcc: someone@evil.example");
}

TEST(MailHeaders, DisplayNames) {
  EXPECT_EQ(formatMailbox({"", "a@b.example"}), "a@b.example");
  EXPECT_EQ(formatMailbox({"Sam Jones", "sam@b.example"}), "Sam Jones <sam@b.example>");
  EXPECT_EQ(formatMailbox({"Jones, Sam (YOT)", "sam@b.example"}),
            "\"Jones, Sam (YOT)\" <sam@b.example>");
  EXPECT_EQ(formatMailbox({"Bob \"Duty\" Manager", "bob@b.example"}),
            "\"Bob \\\"Duty\\\" Manager\" <bob@b.example>");
  EXPECT_EQ(formatMailbox({"Siân", "sian@b.example"}), "=?UTF-8?B?U2nDom4=?= <sian@b.example>");
}

TEST(MailHeaders, AddressListsAreFoldedBetweenMailboxes) {
  const std::vector<Mailbox> list = {{"Siân Jones", "sian.jones@yot.example.org"},
                                     {"Zoë Ångström", "zoe.angstrom@yot.example.org"},
                                     {"", "bob@yot.example.org"}};
  const std::string header = formatAddressList("To", list);
  const auto lines = linesOf(header);
  EXPECT_GT(lines.size(), 1U);
  for (const auto& line : lines) EXPECT_LE(line.size(), 78U) << line;
  EXPECT_THAT(header, HasSubstr(",\r\n "));
}

TEST(MailHeaders, Addresses) {
  EXPECT_TRUE(isValidAddress("manager@yot.example.org"));
  EXPECT_TRUE(isValidAddress("first.last+alerts@yot.example.org"));
  EXPECT_FALSE(isValidAddress("manager"));
  EXPECT_FALSE(isValidAddress("@yot.example.org"));
  EXPECT_FALSE(isValidAddress("a b@yot.example.org"));
  EXPECT_FALSE(isValidAddress("a@b>\r\nRCPT TO:<c@d"));
  EXPECT_FALSE(isValidAddress("zoë@yot.example.org"));
}

TEST(MailHeaders, AttachmentFileNames) {
  EXPECT_EQ(contentDisposition("attachment", "review-list.csv"),
            "attachment; filename=\"review-list.csv\"");
  EXPECT_EQ(contentDisposition("attachment", "a \"b\".csv"),
            "attachment; filename=\"a \\\"b\\\".csv\"");
  EXPECT_EQ(contentDisposition("inline", "Siân.png"), "inline; filename*=UTF-8''Si%C3%A2n.png");
}

TEST(MailHeaders, QuotedPrintable) {
  EXPECT_EQ(encodeQuotedPrintable("a=b"), "a=3Db");
  EXPECT_EQ(encodeQuotedPrintable("Siân\r\n"), "Si=C3=A2n\r\n");
  EXPECT_EQ(encodeQuotedPrintable("trailing \r\nspace "), "trailing=20\r\nspace=20");
  EXPECT_EQ(encodeQuotedPrintable(".\r\n"), "=2E\r\n");
  const std::string long_line(200, 'x');
  const std::string encoded = encodeQuotedPrintable(long_line);
  for (const auto& line : linesOf(encoded)) EXPECT_LE(line.size(), 76U);
  std::string decoded = encoded;
  for (auto at = decoded.find("=\r\n"); at != std::string::npos; at = decoded.find("=\r\n")) {
    decoded.erase(at, 3);
  }
  EXPECT_EQ(decoded, long_line);
}

TEST(MailHeaders, Base64Lines) {
  EXPECT_EQ(encodeBase64Lines("Man"), "TWFu\r\n");
  EXPECT_EQ(encodeBase64Lines("Ma"), "TWE=\r\n");
  EXPECT_EQ(encodeBase64Lines(std::string(60, 'a')).find("\r\n"), 76U);
}

TEST(ComposeMail, MessagesThatCannotBeSent) {
  const auto now = std::chrono::system_clock::now();
  EmailMessage message;
  message.to = {{"", "manager@yot.example.org"}};
  EXPECT_THAT(composeMail(message, {}, now).error, HasSubstr("sender"));
  message.from = {"", "alerts@yot.example.org"};
  EXPECT_EQ(composeMail(message, {}, now).error, "");
  message.to.clear();
  EXPECT_THAT(composeMail(message, {}, now).error, HasSubstr("no recipient"));
  message.to = {{"", "manager@yot.example.org"}};
  message.message_id = "no-at-sign";
  EXPECT_THAT(composeMail(message, {}, now).error, HasSubstr("Message-ID"));
}

TEST(ComposeMail, AMissingMessageIdIsMadeUp) {
  EmailMessage message;
  message.from = {"", "alerts@yot.example.org"};
  message.to = {{"", "manager@yot.example.org"}};
  const auto composed = composeMail(message, {}, std::chrono::system_clock::now());
  ASSERT_EQ(composed.error, "");
  EXPECT_THAT(composed.mail.message_id, StartsWith("<cohortwatch."));
  EXPECT_TRUE(composed.mail.message_id.ends_with("@yot.example.org>"));
}

}  // namespace
}  // namespace cohortwatch::channels::mail
