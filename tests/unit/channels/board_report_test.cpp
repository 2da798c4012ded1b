// The board report e-mail on a small synthetic table: the cohort table, the four charts as inline
// PNG attachments whose Content-IDs the HTML part shows (with alt text), the charts' figures in
// words in the text part, no personal data anywhere; and the members handed to the charts with
// their focus groups by configured name.
#include "channels/board_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace cohortwatch::channels {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using tracking::CohortStatus;
using tracking::Date;

Date d(const char* text) {
  return *Date::parse(text);
}

rules::MemberFacts member(const char* id, const char* cohort, CohortStatus status,
                          const char* index_date, int reoffences,
                          std::optional<const char*> first) {
  rules::MemberFacts facts;
  facts.person_id = id;
  facts.cohort = *tracking::Quarter::parse(cohort);
  facts.cohort_name = cohort;
  facts.cohort_status = status;
  facts.index_date = d(index_date);
  facts.proven_reoffences = reoffences;
  if (first) facts.first_reoffence_date = d(*first);
  return facts;
}

class BoardReportTest : public ::testing::Test {
 protected:
  BoardReportTest() {
    settings_.focus_groups.push_back({"looked_after", "Looked-after children", {}, 2.0});
    settings_.focus_groups.push_back({"age_17", "", {}, 1.0});  // no name: shown by its id
    settings_.national.push_back({"2025Q1", 31.6, 3.9, "synthetic"});
    table_.as_of = d("2025-10-20");
    table_.members = {
        member("P-001", "2025Q1", CohortStatus::kFollowingUp, "2025-01-10", 2, "2025-02-10"),
        member("P-002", "2025Q1", CohortStatus::kFollowingUp, "2025-02-15", 0, std::nullopt),
        member("P-003", "2025Q2", CohortStatus::kFollowingUp, "2025-05-01", 1, "2025-07-01")};
    focus_ = {{{"age_17", "looked_after"}, 3.0}, {{}, 0.0}, {{"looked_after"}, 2.0}};
  }

  DigestInputs inputs() const {
    return {table_, focus_, {}, {}, {}, settings_, std::nullopt, "board-report"};
  }

  Templates templates() const {
    return std::get<Templates>(Templates::load(settings_.notifications));
  }

  config::Settings settings_;
  rules::MemberTable table_;
  std::vector<rules::MemberFocus> focus_;
};

// The table and the charts agree on the national figure: a quarter's own, or else its financial
// year's (2025Q2 is in 2025/26); the text lines up in columns.
TEST_F(BoardReportTest, TheTableComparesAQuarterWithItsFinancialYearWhenItHasNoFigureOfItsOwn) {
  settings_.national.push_back({"2025/26", 30.0, std::nullopt, "synthetic"});
  const auto report = strategicReport(templates(), inputs());
  EXPECT_THAT(report.email.text,
              HasSubstr("2025Q1  following_up (provisional)           2          1  50.0%"
                        "           2.00    31.6%  +18.4 pp"));
  EXPECT_THAT(report.email.text,
              HasSubstr("2025Q2  following_up (provisional)           1          1 100.0%"
                        "           1.00    30.0%  +70.0 pp"));
}

TEST_F(BoardReportTest, ChartsAreInlineImagesTheHtmlShowsWithAltText) {
  const auto report = strategicReport(templates(), inputs());
  EXPECT_FALSE(report.empty);
  ASSERT_EQ(report.email.attachments.size(), 4U);
  for (const auto& image : report.email.attachments) {
    EXPECT_EQ(image.content_type, "image/png");
    EXPECT_EQ(image.data.substr(0, 8), "\x89PNG\r\n\x1a\n");
    ASSERT_FALSE(image.content_id.empty());
    EXPECT_THAT(report.email.html, HasSubstr("<img src=\"cid:" + image.content_id + "\""));
  }
  EXPECT_THAT(report.email.html,
              HasSubstr("alt=\"Reoffences per reoffender by quarterly cohort. The figure"));
  EXPECT_THAT(report.email.html, HasSubstr("<td style=\"padding: 2px 10px 2px 0;\">2025Q1</td>"));
  // A board report does not name children.
  for (const char* id : {"P-001", "P-002", "P-003"}) {
    EXPECT_THAT(report.email.html, Not(HasSubstr(id)));
    EXPECT_THAT(report.email.text, Not(HasSubstr(id)));
  }
}

TEST_F(BoardReportTest, TheTextPartGivesTheChartsFiguresInWords) {
  const auto report = strategicReport(templates(), inputs());
  const auto& text = report.email.text;
  EXPECT_THAT(text, HasSubstr("Charts (shown as images in the HTML version of this message):"));
  // 2025Q2 is the latest cohort; it has finished recruiting, so it is the live one. Its one member
  // (index 2025-05-01) has reached month 5 (2025-10-01), not 6 (2025-11-01); 2025Q1, at month 5:
  // one of two members had reoffended (2025-02-10).
  EXPECT_THAT(
      text, HasSubstr("By month 5 since the index date: 2025Q2 (live cohort) 100.0% (provisional); "
                      "2025Q1 50.0% (provisional)."));
  EXPECT_THAT(text,
              HasSubstr("Looked-after children (n=2) 100.0% (provisional); age_17 (n=1) 100.0% "
                        "(provisional); All members (n=3) 66.7% (provisional)."));
}

TEST_F(BoardReportTest, AnEmptyTableIsAnEmptyReportWithoutCharts) {
  table_.members.clear();
  focus_.clear();
  const auto report = strategicReport(templates(), inputs());
  EXPECT_TRUE(report.empty);
  EXPECT_TRUE(report.email.attachments.empty());
  EXPECT_THAT(report.email.html, Not(HasSubstr("<img")));
  EXPECT_THAT(report.email.text, Not(HasSubstr("Charts")));
}

TEST_F(BoardReportTest, PerformanceInputsCarryTheMembersAndTheirFocusGroupsByName) {
  const auto performance = performanceInputs(table_, focus_, settings_);
  EXPECT_EQ(performance.as_of, d("2025-10-20"));
  EXPECT_THAT(performance.focus_group_names, ElementsAre("Looked-after children", "age_17"));
  ASSERT_EQ(performance.members.size(), 3U);
  EXPECT_THAT(performance.members[0].focus_groups, ElementsAre(1U, 0U));
  EXPECT_TRUE(performance.members[1].focus_groups.empty());
  EXPECT_EQ(performance.members[0].first_reoffence_date, d("2025-02-10"));
  EXPECT_EQ(performance.members[2].cohort.name(), "2025Q2");
  EXPECT_EQ(performance.national.size(), 1U);
  EXPECT_EQ(performance.follow_up_months, 12);
}

}  // namespace
}  // namespace cohortwatch::channels
