#include "reports/cohort_reports.h"

#include <fmt/format.h>

#include <map>

namespace cohortwatch::reports {

using tracking::CohortStatus;

namespace {

Cell dateCell(const std::optional<tracking::Date>& date) {
  if (!date) return Cell{};
  return date->toString();
}

std::vector<Column> measureColumns() {
  return {{"cohort_size", "Size", 0},
          {"reoffenders", "Reoffenders", 0},
          {"reoffences", "Reoffences", 0},
          {"binary_rate", "Binary %", 1},
          {"frequency_rate", "Frequency", 2},
          {"reoffences_per_reoffender", "Per reoffender", 2}};
}

void appendMeasures(std::vector<Cell>& row, const tracking::CohortMeasures& m) {
  row.insert(row.end(), {Cell(m.cohort_size), Cell(m.reoffenders), Cell(m.reoffences),
                         Cell(m.binary_rate), Cell(m.frequency_rate),
                         Cell(m.reoffences_per_reoffender)});
}

const config::NationalAverage* nationalFor(const std::vector<config::NationalAverage>& national,
                                           const std::string& period) {
  for (const auto& entry : national) {
    if (entry.period == period) return &entry;
  }
  return nullptr;
}

}  // namespace

const config::NationalAverage* nationalAverageFor(const std::vector<config::NationalAverage>& national,
                                                  const tracking::Quarter& quarter) {
  const std::string year =
      tracking::FinancialYear{quarter.number == 1 ? quarter.year - 1 : quarter.year}.name();
  const config::NationalAverage* found = nullptr;
  for (const auto& entry : national) {
    if (entry.period == quarter.name()) return &entry;
    if (entry.period == year) found = &entry;
  }
  return found;
}

namespace {

// The first day on which a quarter's cohort is complete.
tracking::Date completesOn(const tracking::Methodology& methodology, tracking::Quarter quarter) {
  return methodology.followUp(quarter.lastDay()).proof_deadline.addDays(1);
}

}  // namespace

Table cohortsTable(const tracking::CohortResults& results) {
  Table table;
  table.columns = {{"cohort", "Cohort"}, {"as_of", "As of"}, {"status", "Status"},
                   {"provisional", "Provisional"}};
  for (auto& column : measureColumns()) table.columns.push_back(column);
  for (const auto& cohort : results.cohorts) {
    std::vector<Cell> row = {cohort.quarter.name(), results.as_of.toString(),
                             std::string(toString(cohort.status)),
                             cohort.status != CohortStatus::kComplete};
    appendMeasures(row, cohort.measures);
    table.rows.push_back(std::move(row));
  }
  table.notes.push_back(
      "Figures of cohorts that are not complete are live, provisional figures: they change as "
      "further offences are proven.");
  if (!results.warnings.empty()) {
    table.notes.push_back(fmt::format(
        "{} data-quality warning(s): see 'cohortwatch report warnings'.", results.warnings.size()));
  }
  return table;
}

Table performanceTable(const tracking::CohortResults& results,
                       const tracking::Methodology& methodology, const Period& period,
                       const std::vector<config::NationalAverage>& national) {
  Table table;
  table.columns = {{"period", "Period"}, {"as_of", "As of"}, {"status", "Status"},
                   {"provisional", "Provisional"}};
  for (auto& column : measureColumns()) table.columns.push_back(column);
  table.columns.insert(table.columns.end(),
                       {{"national_binary_rate", "National %", 1},
                        {"difference_pp", "Difference (pp)", 1},
                        {"national_reoffences_per_reoffender", "National per reoffender", 2},
                        {"national_source", "National source"}});

  std::vector<tracking::Quarter> quarters;
  std::string period_name;
  if (const auto* quarter = std::get_if<tracking::Quarter>(&period)) {
    quarters = {*quarter};
    period_name = quarter->name();
  } else {
    const auto& year = std::get<tracking::FinancialYear>(period);
    const auto four = year.quarters();
    quarters.assign(four.begin(), four.end());
    period_name = year.name();
  }

  auto addRow = [&](const std::string& name, CohortStatus status, const tracking::CohortMeasures& m) {
    std::vector<Cell> row = {name, results.as_of.toString(), std::string(toString(status)),
                             status != CohortStatus::kComplete};
    appendMeasures(row, m);
    if (const auto* reference = nationalFor(national, name)) {
      row.push_back(reference->binary_rate);
      row.push_back(m.cohort_size > 0 ? Cell(m.binary_rate - reference->binary_rate) : Cell{});
      row.push_back(reference->reoffences_per_reoffender ? Cell(*reference->reoffences_per_reoffender)
                                                         : Cell{});
      row.push_back(reference->source);
    } else {
      row.insert(row.end(), {Cell{}, Cell{}, Cell{}, Cell{}});
    }
    table.rows.push_back(std::move(row));
  };

  long size = 0, reoffenders = 0, reoffences = 0;
  CohortStatus least_advanced = CohortStatus::kComplete;
  for (const auto& quarter : quarters) {
    const auto* cohort = results.find(quarter);
    const auto status = methodology.status(quarter, results.as_of);
    least_advanced = std::min(least_advanced, status);
    const auto measures = cohort ? cohort->measures : tracking::measuresFrom(0, 0, 0);
    size += measures.cohort_size;
    reoffenders += measures.reoffenders;
    reoffences += measures.reoffences;
    addRow(quarter.name(), status, measures);
    if (status != CohortStatus::kComplete) {
      table.notes.push_back(fmt::format(
          "{} is provisional ({} as of {}): its figures are final from {}.", quarter.name(),
          toString(status), results.as_of.toString(), completesOn(methodology, quarter).toString()));
    }
  }
  if (quarters.size() > 1) {
    // A financial year is the sum of its four quarterly cohorts.
    addRow(period_name, least_advanced, tracking::measuresFrom(size, reoffenders, reoffences));
  }
  if (nationalFor(national, period_name) == nullptr) {
    table.notes.push_back(fmt::format(
        "No national average is configured for {} (add one under 'national:' in the configuration).",
        period_name));
  }
  return table;
}

Table membersTable(const tracking::CohortResults& results, const tracking::CohortData& data,
                   tracking::Quarter quarter) {
  Table table;
  table.columns = {{"person_id", "Person"},
                   {"index_date", "Index date"},
                   {"index_outcome_type", "Index outcome"},
                   {"age_at_index", "Age", 0},
                   {"follow_up_start", "Follow-up from"},
                   {"follow_up_end", "Follow-up to"},
                   {"proof_deadline", "Proof by"},
                   {"days_since_index", "Days", 0},
                   {"proven_reoffences", "Proven", 0},
                   {"pending_offences", "Pending", 0},
                   {"reoffended", "Reoffended"},
                   {"first_reoffence_date", "First reoffence"},
                   {"turns_18_in_follow_up", "Turns 18"}};
  const auto* cohort = results.find(quarter);
  if (cohort == nullptr) {
    table.notes.push_back(fmt::format("No cohort {} as of {}.", quarter.name(), results.as_of.toString()));
    return table;
  }
  for (const auto& member : cohort->members) {
    table.rows.push_back({data.people[member.person].person_id,
                          member.index_date.toString(),
                          data.outcome_types[member.index_outcome_type],
                          static_cast<long>(member.age_at_index),
                          member.follow_up.first_day.toString(),
                          member.follow_up.last_day.toString(),
                          member.follow_up.proof_deadline.toString(),
                          static_cast<long>(member.days_since_index),
                          static_cast<long>(member.proven_reoffences),
                          static_cast<long>(member.pending_offences),
                          member.reoffended(),
                          dateCell(member.first_reoffence_date),
                          member.turns_18_in_follow_up});
  }
  table.notes.push_back(fmt::format("{}: {} members, {} ({}) as of {}.", quarter.name(),
                                    cohort->members.size(), toString(cohort->status),
                                    cohort->status == CohortStatus::kComplete ? "final" : "provisional",
                                    results.as_of.toString()));
  return table;
}

Table warningsTable(const tracking::CohortResults& results) {
  Table table;
  table.columns = {{"kind", "Kind"}, {"person_id", "Person"}, {"detail", "Detail"}};
  std::map<std::string, long> by_kind;
  for (const auto& warning : results.warnings) {
    table.rows.push_back({std::string(toString(warning.kind)),
                          warning.person_id.empty() ? Cell{} : Cell(warning.person_id),
                          warning.detail});
    ++by_kind[std::string(toString(warning.kind))];
  }
  for (const auto& [kind, count] : by_kind) table.notes.push_back(fmt::format("{}: {}", kind, count));
  return table;
}

Table rejectedRowsTable(const std::vector<tracking::RejectedRow>& rows) {
  Table table;
  table.columns = {{"source", "Source"}, {"file", "File"}, {"line", "Line", 0},
                   {"kind", "Kind"}, {"reason", "Reason"}};
  for (const auto& row : rows) {
    table.rows.push_back({row.source, row.file, row.line, row.kind, row.reason});
  }
  if (!rows.empty()) {
    table.notes.push_back(
        "Fix the rows at their source and import again, or run 'cohortwatch import "
        "--retry-rejected' once what they refer to has arrived.");
  }
  return table;
}

}  // namespace cohortwatch::reports
