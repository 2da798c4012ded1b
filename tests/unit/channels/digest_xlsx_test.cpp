// The manager digest's review list comes as a workbook too, beside the CSV: named for the day,
// with the spreadsheet content type, a real XLSX (a zip holding the sheet). The workbook's
// content is the XLSX writer's (tests/unit/reports/xlsx_writer_test.cpp). Ids are synthetic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channels/digests.h"

namespace cohortwatch::channels {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(DigestXlsxTest, ReviewListIsAttachedAsCsvAndAsAWorkbook) {
  config::Settings settings;
  settings.privacy.identify_by = config::IdentifyBy::kId;
  settings.focus_groups.push_back({"looked_after", "Looked-after children", {}, 2.0});
  rules::MemberTable table;
  table.as_of = *tracking::Date::parse("2026-12-01");
  rules::MemberFacts member;
  member.person_id = "C201";
  member.cohort_name = "2026Q2";
  member.cohort_status = tracking::CohortStatus::kFollowingUp;
  member.index_date = *tracking::Date::parse("2026-05-04");
  member.follow_up = {member.index_date, member.index_date.addDays(364),
                      member.index_date.addDays(364 + 182)};
  member.days_to_follow_up_end = table.as_of.daysUntil(member.follow_up.last_day);
  member.last_review = table.as_of.addDays(-3);
  table.members = {member};
  const std::vector<rules::MemberFocus> focus = {{{"looked_after"}, 2.0}};
  const auto templates = std::get<Templates>(Templates::load(settings.notifications));

  const DigestInputs in{table, focus, {}, {}, {}, settings, std::nullopt, "weekly-digest"};
  const auto digest = managerDigest(templates, in);

  ASSERT_EQ(digest.email.attachments.size(), 2u);
  const auto& csv = digest.email.attachments[0];
  const auto& xlsx = digest.email.attachments[1];
  EXPECT_EQ(csv.filename, "review-list-2026-12-01.csv");
  EXPECT_THAT(csv.data, HasSubstr("\r\n1,C201,2026Q2,2.0,2026-05-04,"));
  EXPECT_EQ(xlsx.filename, "review-list-2026-12-01.xlsx");
  EXPECT_EQ(xlsx.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_TRUE(xlsx.content_id.empty());  // a download, not an inline part
  EXPECT_THAT(xlsx.data, StartsWith(std::string("PK\x03\x04", 4)));
  EXPECT_THAT(xlsx.data, HasSubstr("xl/worksheets/sheet1.xml"));  // names are stored as they are
}

TEST(DigestXlsxTest, EmptyReviewListAttachesNothing) {
  config::Settings settings;
  rules::MemberTable table;
  table.as_of = *tracking::Date::parse("2026-12-01");
  const std::vector<rules::MemberFocus> focus;
  const auto templates = std::get<Templates>(Templates::load(settings.notifications));
  const DigestInputs in{table, focus, {}, {}, {}, settings, std::nullopt, "weekly-digest"};
  EXPECT_TRUE(managerDigest(templates, in).email.attachments.empty());
}

}  // namespace
}  // namespace cohortwatch::channels
