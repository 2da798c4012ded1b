// The strategic report for management teams and boards (schedule `produces: strategic_report`):
// proven reoffending of the last eight quarterly cohorts with members against the national
// average, as a table, and the four performance charts (reports/performance_report.h) as PNG
// images shown inline in the HTML part (multipart/related, <img src="cid:...">, with alt text).
// The text part carries the table and the charts' main figures in words, so it reads without
// images. Templates report.* (config/templates/).
#pragma once

#include <vector>

#include "channels/digests.h"
#include "reports/performance_report.h"

namespace cohortwatch::channels {

inline constexpr int kBoardChartWidth = 800;
inline constexpr int kBoardChartHeight = 400;

// The members of the table as the performance charts take them, with their focus groups (named
// as configured) and the national averages of the settings. `focus` is in the table's order.
reports::PerformanceInputs performanceInputs(const rules::MemberTable& table,
                                             const std::vector<rules::MemberFocus>& focus,
                                             const config::Settings& settings);

Digest strategicReport(const Templates& templates, const DigestInputs& inputs);

}  // namespace cohortwatch::channels
