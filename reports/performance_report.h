// The performance report with graphs (issue 8): how the YOT's proven reoffending compares with the
// national average, as four charts built from the cohort members as of a date, and the HTML page
// that shows them (SVG inline) under a summary table. The board report e-mail draws the same
// charts as PNG (channels/board_report.h).
//
//  (a) binary rate (%) by quarterly cohort against the national average configured for the quarter
//      (or else for its financial year);
//  (b) proven reoffences per reoffender by cohort (and the national figure where configured);
//  (c) cumulative share of a cohort with a proven reoffence by month since the index date, for the
//      live cohort against the (up to) four cohorts with members before it;
//  (d) binary rate by focus group, over the members of those same recent cohorts, and all of them.
// Figures of cohorts that are not complete are provisional and drawn hollow.
//
// Month counting (chart c), consistent with DOMAIN.md's follow-up period: month m of a member ends
// on index_date + m months (the same calendar day, or that month's last day when it has none, as
// the follow-up's own end); month 12 ends on the last day of follow-up. A member counts as
// reoffended by month m when their first proven reoffence was committed on or before that day.
// A cohort's line runs to the last month that every member has reached on the as-of date (the
// month ending on or before it for the latest index date), so that each point covers the whole
// cohort; the share is of the whole cohort.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "reports/charts.h"
#include "reports/table.h"
#include "tracking/methodology.h"

namespace cohortwatch::reports {

// One member of one quarterly cohort, as of the report's date.
struct PerformanceMember {
  tracking::Quarter cohort;
  tracking::CohortStatus cohort_status = tracking::CohortStatus::kNotStarted;
  tracking::Date index_date;
  int proven_reoffences = 0;
  std::optional<tracking::Date> first_reoffence_date;
  std::vector<std::size_t> focus_groups;  // indexes into PerformanceInputs::focus_group_names
};

struct PerformanceInputs {
  tracking::Date as_of;
  std::vector<PerformanceMember> members;
  std::vector<std::string> focus_group_names;  // configuration order
  std::vector<config::NationalAverage> national;
  int follow_up_months = 12;
};

inline constexpr int kCohortsCharted = 8;          // quarters on charts (a) and (b)
inline constexpr int kEarlierCohortsCompared = 4;  // chart (c)

struct PerformanceCharts {
  Chart binary_rate;     // (a)
  Chart per_reoffender;  // (b)
  Chart by_month;        // (c)
  Chart focus_groups;    // (d)

  std::vector<const Chart*> all() const {
    return {&binary_rate, &per_reoffender, &by_month, &focus_groups};
  }
};

// The charts for the kCohortsCharted quarters up to and including `last` (e.g. the last quarter of
// the period asked for); the live cohort of (c) and (d) is the latest of them with members that
// has finished recruiting, or else the latest with members.
PerformanceCharts performanceCharts(const PerformanceInputs& inputs, tracking::Quarter last);

// A standalone, print-friendly HTML page: the summary table (e.g. performanceTable), then the four
// charts as inline SVG, each followed by a sentence on how to read it.
void renderPerformancePage(std::string_view title, const Table& summary,
                           const PerformanceCharts& charts, std::ostream& out);

}  // namespace cohortwatch::reports
