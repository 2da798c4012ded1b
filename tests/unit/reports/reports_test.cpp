// Report tables and their three renderings: what a manager reads on a terminal, what a
// spreadsheet opens, and the JSON contract other tools parse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/cohort_reports.h"

namespace cohortwatch::reports {
namespace {

using ::testing::HasSubstr;
using tracking::Date;

Date d(const char* text) { return *Date::parse(text); }

std::string rendered(const Table& table, Format format) {
  std::ostringstream out;
  render(table, format, out);
  return out.str();
}

TEST(TableTest, TerminalTableAlignsColumnsAndRoundsNumbers) {
  Table table;
  table.columns = {{"name", "Name"}, {"rate", "Rate %", 1}, {"n", "Count", 0}};
  table.rows = {{std::string("2025Q1"), 33.333, 12L}, {std::string("2025Q2"), 5.0, 7L}};
  table.notes = {"provisional"};
  EXPECT_EQ(rendered(table, Format::kTable),
            "Name    Rate %  Count\n"
            "------  ------  -----\n"
            "2025Q1    33.3     12\n"
            "2025Q2     5.0      7\n"
            "provisional\n");
}

TEST(TableTest, CsvQuotesWhatNeedsQuoting) {
  Table table;
  table.columns = {{"a", "A"}, {"b", "B"}, {"c", "C"}};
  table.rows = {{std::string("x, y"), std::string("say \"hi\""), true}, {Cell{}, std::string("line\nbreak"), false}};
  EXPECT_EQ(rendered(table, Format::kCsv),
            "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",true\r\n,\"line\nbreak\",false\r\n");
}

TEST(TableTest, JsonKeepsTypesAndNulls) {
  Table table;
  table.columns = {{"s", "S"}, {"i", "I"}, {"f", "F"}, {"b", "B"}, {"n", "N"}};
  table.rows = {{std::string("v"), 3L, 31.6, true, Cell{}}};
  const auto json = nlohmann::json::parse(rendered(table, Format::kJson));
  ASSERT_TRUE(json.is_array());
  EXPECT_EQ(json[0]["s"], "v");
  EXPECT_TRUE(json[0]["i"].is_number_integer());
  EXPECT_DOUBLE_EQ(json[0]["f"].get<double>(), 31.6);
  EXPECT_EQ(json[0]["b"], true);
  EXPECT_TRUE(json[0]["n"].is_null());
  EXPECT_EQ(parseFormat("yaml"), std::nullopt);
}

// Three quarterly cohorts of financial year 2024/25 with known counts.
tracking::CohortResults yearResults(Date as_of) {
  tracking::CohortResults results;
  results.as_of = as_of;
  auto add = [&](const char* quarter, long size, long reoffenders, long reoffences) {
    tracking::Cohort cohort;
    cohort.quarter = *tracking::Quarter::parse(quarter);
    cohort.measures = tracking::measuresFrom(size, reoffenders, reoffences);
    results.cohorts.push_back(cohort);
  };
  add("2024Q2", 100, 30, 90);
  add("2024Q3", 50, 20, 40);
  add("2025Q1", 50, 10, 30);  // 2024Q4 has no members
  return results;
}

TEST(PerformanceTest, FinancialYearSumsItsFourCohortsAndComparesWithNational) {
  const tracking::Methodology methodology{config::MethodologySettings{}};
  const auto results = yearResults(d("2027-01-01"));
  std::vector<config::NationalAverage> national = {{"2024/25", 32.5, 3.9, "MoJ"}};
  const auto table = performanceTable(results, methodology, *tracking::FinancialYear::parse("2024/25"), national);
  const auto json = nlohmann::json::parse(rendered(table, Format::kJson));
  ASSERT_EQ(json.size(), 5u);
  EXPECT_EQ(json[2]["period"], "2024Q4");
  EXPECT_EQ(json[2]["cohort_size"], 0);
  const auto& year = json[4];
  EXPECT_EQ(year["period"], "2024/25");
  EXPECT_EQ(year["status"], "complete");
  EXPECT_EQ(year["provisional"], false);
  EXPECT_EQ(year["cohort_size"], 200);
  EXPECT_EQ(year["reoffenders"], 60);
  EXPECT_EQ(year["reoffences"], 160);
  EXPECT_DOUBLE_EQ(year["binary_rate"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(year["difference_pp"].get<double>(), 30.0 - 32.5);
  EXPECT_DOUBLE_EQ(year["national_reoffences_per_reoffender"].get<double>(), 3.9);
  EXPECT_EQ(year["national_source"], "MoJ");
  EXPECT_TRUE(json[0]["national_binary_rate"].is_null());  // no quarterly figure configured
}

TEST(PerformanceTest, IncompleteCohortIsLabelledProvisionalWithTheDateItBecomesFinal) {
  const tracking::Methodology methodology{config::MethodologySettings{}};
  const auto results = yearResults(d("2026-01-15"));
  const auto table = performanceTable(results, methodology, *tracking::Quarter::parse("2025Q1"), {});
  const auto json = nlohmann::json::parse(rendered(table, Format::kJson));
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["status"], "following_up");
  EXPECT_EQ(json[0]["provisional"], true);
  const std::string text = rendered(table, Format::kTable);
  EXPECT_THAT(text, HasSubstr("2025Q1 is provisional (following_up as of 2026-01-15): its figures are final from 2026-10-01."));
  EXPECT_THAT(text, HasSubstr("No national average is configured for 2025Q1"));
}

TEST(MembersTest, OneRowPerMemberWithLiveTracking) {
  tracking::CohortData data;
  data.people = {{"P1", d("2008-05-10")}};
  data.outcome_types = {"youth_caution"};
  tracking::CohortResults results;
  results.as_of = d("2025-07-01");
  tracking::Cohort cohort;
  cohort.quarter = *tracking::Quarter::parse("2025Q1");
  cohort.status = tracking::CohortStatus::kFollowingUp;
  tracking::CohortMember member;
  member.person = 0;
  member.index_date = d("2025-02-03");
  member.age_at_index = 16;
  member.follow_up = {d("2025-02-04"), d("2026-02-03"), d("2026-08-03")};
  member.days_since_index = 148;
  member.proven_reoffences = 1;
  member.pending_offences = 2;
  member.first_reoffence_date = d("2025-06-01");
  cohort.members = {member};
  cohort.measures = tracking::measuresFrom(1, 1, 1);
  results.cohorts = {cohort};

  const auto json = nlohmann::json::parse(
      rendered(membersTable(results, data, cohort.quarter), Format::kJson));
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["person_id"], "P1");
  EXPECT_EQ(json[0]["index_date"], "2025-02-03");
  EXPECT_EQ(json[0]["index_outcome_type"], "youth_caution");
  EXPECT_EQ(json[0]["age_at_index"], 16);
  EXPECT_EQ(json[0]["follow_up_end"], "2026-02-03");
  EXPECT_EQ(json[0]["proof_deadline"], "2026-08-03");
  EXPECT_EQ(json[0]["proven_reoffences"], 1);
  EXPECT_EQ(json[0]["pending_offences"], 2);
  EXPECT_EQ(json[0]["reoffended"], true);
  EXPECT_EQ(json[0]["first_reoffence_date"], "2025-06-01");
  EXPECT_EQ(json[0]["turns_18_in_follow_up"], false);

  const auto none = nlohmann::json::parse(
      rendered(membersTable(results, data, *tracking::Quarter::parse("2024Q1")), Format::kJson));
  EXPECT_TRUE(none.empty());
}

TEST(CohortsTest, CohortObjectHasTheContractKeys) {
  const auto results = yearResults(d("2025-06-01"));
  const auto json = nlohmann::json::parse(rendered(cohortsTable(results), Format::kJson));
  ASSERT_EQ(json.size(), 3u);
  for (const char* key : {"cohort", "as_of", "status", "cohort_size", "reoffenders", "reoffences",
                          "binary_rate", "frequency_rate", "reoffences_per_reoffender"}) {
    EXPECT_TRUE(json[0].contains(key)) << key;
  }
  EXPECT_EQ(json[0]["as_of"], "2025-06-01");
  EXPECT_TRUE(json[0]["binary_rate"].is_number());
}

}  // namespace
}  // namespace cohortwatch::reports
