// The reports of the cohort engine's results as tables: every cohort, one period's performance
// against the national average, one cohort's members with their live tracking, data-quality
// warnings and rejected rows. Column keys are the JSON contract (see README, "Reports").
#pragma once

#include <variant>
#include <vector>

#include "config/settings.h"
#include "reports/table.h"
#include "tracking/cohort_engine.h"
#include "tracking/records.h"

namespace cohortwatch::reports {

Table cohortsTable(const tracking::CohortResults& results);

// The national average configured for a quarterly cohort: the quarter's own figure, or else that
// of the financial year the quarter belongs to (figures are published per quarter or per year).
// nullptr when neither is configured.
const config::NationalAverage* nationalAverageFor(const std::vector<config::NationalAverage>& national,
                                                  const tracking::Quarter& quarter);

// A quarterly cohort or a financial year of four of them.
using Period = std::variant<tracking::Quarter, tracking::FinancialYear>;

Table performanceTable(const tracking::CohortResults& results,
                       const tracking::Methodology& methodology, const Period& period,
                       const std::vector<config::NationalAverage>& national);

Table membersTable(const tracking::CohortResults& results, const tracking::CohortData& data,
                   tracking::Quarter quarter);

Table warningsTable(const tracking::CohortResults& results);

Table rejectedRowsTable(const std::vector<tracking::RejectedRow>& rows);

}  // namespace cohortwatch::reports
