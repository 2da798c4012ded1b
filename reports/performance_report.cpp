#include "reports/performance_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "reports/cohort_reports.h"
#include "reports/html.h"

namespace cohortwatch::reports {

using tracking::CohortStatus;
using tracking::Quarter;

namespace {

struct CohortTally {
  std::vector<const PerformanceMember*> members;
  CohortStatus status = CohortStatus::kNotStarted;
  long reoffenders = 0;
  long reoffences = 0;

  bool provisional() const { return status != CohortStatus::kComplete; }
  double binaryRate() const {
    return 100.0 * static_cast<double>(reoffenders) / static_cast<double>(members.size());
  }
};

std::map<Quarter, CohortTally> tallyByCohort(const PerformanceInputs& inputs) {
  std::map<Quarter, CohortTally> cohorts;
  for (const auto& member : inputs.members) {
    auto& tally = cohorts[member.cohort];
    tally.members.push_back(&member);
    tally.status = member.cohort_status;
    if (member.proven_reoffences > 0) ++tally.reoffenders;
    tally.reoffences += member.proven_reoffences;
  }
  return cohorts;
}

const config::NationalAverage* nationalFor(const PerformanceInputs& inputs,
                                           const Quarter& quarter) {
  return nationalAverageFor(inputs.national, quarter);
}

std::vector<Quarter> chartedQuarters(Quarter last) {
  std::vector<Quarter> quarters;
  for (int ordinal = last.ordinal() - (kCohortsCharted - 1); ordinal <= last.ordinal(); ++ordinal) {
    quarters.push_back(Quarter::fromOrdinal(ordinal));
  }
  return quarters;
}

// Appends to `chart` one point per charted cohort for this YOT (none where the cohort has no
// member) and for the national average (none where it is not known; the series is left out when
// it is known for no cohort).
template <typename LocalValue, typename NationalValue>
void addCohortSeries(Chart& chart, const PerformanceInputs& inputs,
                     const std::map<Quarter, CohortTally>& cohorts,
                     const std::vector<Quarter>& quarters, ChartSeries local, ChartSeries national,
                     LocalValue local_value, NationalValue national_value) {
  bool any_national = false;
  for (const auto& quarter : quarters) {
    chart.categories.push_back(quarter.name());
    const auto it = cohorts.find(quarter);
    if (it == cohorts.end()) {
      local.points.emplace_back();
    } else {
      local.points.push_back(ChartPoint{local_value(it->second), it->second.provisional()});
    }
    const auto* average = nationalFor(inputs, quarter);
    const std::optional<double> value =
        average != nullptr ? national_value(*average) : std::nullopt;
    if (value) {
      national.points.push_back(ChartPoint{*value, false});
      any_national = true;
    } else {
      national.points.emplace_back();
    }
  }
  chart.series.push_back(std::move(local));
  if (any_national) chart.series.push_back(std::move(national));
}

Chart binaryRateChart(const PerformanceInputs& inputs,
                      const std::map<Quarter, CohortTally>& cohorts,
                      const std::vector<Quarter>& quarters) {
  Chart chart;
  chart.kind = ChartKind::kLine;
  chart.title = "Proven reoffending by quarterly cohort against the national average";
  chart.x_label = "Quarterly cohort (index date in the quarter)";
  chart.y_label = "Children who reoffended";
  chart.y_unit = "% of cohort";
  addCohortSeries(
      chart, inputs, cohorts, quarters, {"This YOT", {}, LineStyle::kSolid, true},
      {"National average", {}, LineStyle::kDashed, true},
      [](const CohortTally& tally) { return tally.binaryRate(); },
      [](const config::NationalAverage& average) -> std::optional<double> {
        return average.binary_rate;
      });
  return chart;
}

Chart perReoffenderChart(const PerformanceInputs& inputs,
                         const std::map<Quarter, CohortTally>& cohorts,
                         const std::vector<Quarter>& quarters) {
  Chart chart;
  chart.kind = ChartKind::kBar;
  chart.title = "Reoffences per reoffender by quarterly cohort";
  chart.x_label = "Quarterly cohort (index date in the quarter)";
  chart.y_label = "Proven reoffences per reoffender";
  chart.y_unit = "offences";
  addCohortSeries(
      chart, inputs, cohorts, quarters, {"This YOT", {}, LineStyle::kSolid, false},
      {"National average", {}, LineStyle::kSolid, false},
      [](const CohortTally& tally) {
        return tally.reoffenders > 0 ? static_cast<double>(tally.reoffences) /
                                           static_cast<double>(tally.reoffenders)
                                     : 0.0;
      },
      [](const config::NationalAverage& average) { return average.reoffences_per_reoffender; });
  return chart;
}

// The last month (0..follow_up_months) that every member of the cohort has reached by as_of.
int monthReached(const CohortTally& tally, tracking::Date as_of, int follow_up_months) {
  tracking::Date latest = tally.members.front()->index_date;
  for (const auto* member : tally.members) latest = std::max(latest, member->index_date);
  int month = 0;
  while (month < follow_up_months && latest.addMonths(month + 1) <= as_of) ++month;
  return month;
}

ChartSeries cumulativeSeries(const Quarter& quarter, const CohortTally& tally,
                             const PerformanceInputs& inputs, bool live) {
  ChartSeries series{live ? quarter.name() + " (live cohort)" : quarter.name(),
                     {},
                     live ? LineStyle::kSolid : LineStyle::kDashed,
                     true};
  const int reached = monthReached(tally, inputs.as_of, inputs.follow_up_months);
  for (int month = 0; month <= inputs.follow_up_months; ++month) {
    if (month > reached) {
      series.points.emplace_back();
      continue;
    }
    const auto reoffended =
        std::count_if(tally.members.begin(), tally.members.end(), [&](const auto* member) {
          return member->first_reoffence_date &&
                 *member->first_reoffence_date <= member->index_date.addMonths(month);
        });
    series.points.push_back(ChartPoint{
        100.0 * static_cast<double>(reoffended) / static_cast<double>(tally.members.size()),
        tally.provisional()});
  }
  return series;
}

// The live cohort and the cohorts with members before it that (c) and (d) compare, oldest first.
std::vector<Quarter> recentCohorts(const std::map<Quarter, CohortTally>& cohorts, Quarter last) {
  std::vector<Quarter> with_members;
  for (const auto& [quarter, tally] : cohorts) {
    if (quarter <= last) with_members.push_back(quarter);
  }
  if (with_members.empty()) return {};
  auto live = with_members.end() - 1;
  for (auto it = with_members.rbegin(); it != with_members.rend(); ++it) {
    const auto status = cohorts.at(*it).status;
    if (status != CohortStatus::kRecruiting && status != CohortStatus::kNotStarted) {
      live = std::prev(it.base());
      break;
    }
  }
  const auto first =
      live - std::min<std::ptrdiff_t>(kEarlierCohortsCompared, live - with_members.begin());
  return {first, live + 1};
}

Chart byMonthChart(const PerformanceInputs& inputs, const std::map<Quarter, CohortTally>& cohorts,
                   const std::vector<Quarter>& recent) {
  Chart chart;
  chart.kind = ChartKind::kLine;
  chart.title =
      recent.empty()
          ? std::string("Cumulative proven reoffending by month since the index date")
          : fmt::format("Cumulative proven reoffending by month: {} against earlier cohorts",
                        recent.back().name());
  chart.x_label = "Months since the index date";
  chart.y_label = "Children reoffended so far";
  chart.y_unit = "% of cohort";
  for (int month = 0; month <= inputs.follow_up_months; ++month)
    chart.categories.push_back(std::to_string(month));
  // The live cohort first, so that it takes the first colour and marker of the palette.
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    chart.series.push_back(cumulativeSeries(*it, cohorts.at(*it), inputs, it == recent.rbegin()));
  }
  return chart;
}

Chart focusGroupChart(const PerformanceInputs& inputs,
                      const std::map<Quarter, CohortTally>& cohorts,
                      const std::vector<Quarter>& recent) {
  Chart chart;
  chart.kind = ChartKind::kBar;
  chart.title = recent.empty() ? std::string("Proven reoffending by focus group")
                               : fmt::format("Proven reoffending by focus group, cohorts {} to {}",
                                             recent.front().name(), recent.back().name());
  chart.x_label = "Focus group (n: children in the group)";
  chart.y_label = "Children who reoffended";
  chart.y_unit = "% of group";
  struct GroupTally {
    long members = 0;
    long reoffenders = 0;
    bool provisional = false;
  };
  std::vector<GroupTally> groups(inputs.focus_group_names.size() + 1);  // the last: all members
  for (const auto& quarter : recent) {
    const auto& tally = cohorts.at(quarter);
    for (const auto* member : tally.members) {
      auto count = [&](GroupTally& group) {
        ++group.members;
        if (member->proven_reoffences > 0) ++group.reoffenders;
        group.provisional = group.provisional || tally.provisional();
      };
      for (const auto index : member->focus_groups) {
        if (index < inputs.focus_group_names.size()) count(groups[index]);
      }
      count(groups.back());
    }
  }
  ChartSeries series{"This YOT", {}, LineStyle::kSolid, false};
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const std::string name =
        i < inputs.focus_group_names.size() ? inputs.focus_group_names[i] : "All members";
    chart.categories.push_back(fmt::format("{} (n={})", name, groups[i].members));
    if (groups[i].members == 0) {
      series.points.emplace_back();
    } else {
      series.points.push_back(ChartPoint{100.0 * static_cast<double>(groups[i].reoffenders) /
                                             static_cast<double>(groups[i].members),
                                         groups[i].provisional});
    }
  }
  chart.series.push_back(std::move(series));
  return chart;
}

// The <svg> element of a standalone SVG document, for inline use in HTML (no XML declaration).
std::string inlineSvg(const Chart& chart) {
  std::string svg = renderSvg(chart);
  const auto start = svg.find("<svg");
  return start == std::string::npos ? svg : svg.substr(start);
}

}  // namespace

PerformanceCharts performanceCharts(const PerformanceInputs& inputs, Quarter last) {
  const auto cohorts = tallyByCohort(inputs);
  const auto quarters = chartedQuarters(last);
  const auto recent = recentCohorts(cohorts, last);
  return {binaryRateChart(inputs, cohorts, quarters), perReoffenderChart(inputs, cohorts, quarters),
          byMonthChart(inputs, cohorts, recent), focusGroupChart(inputs, cohorts, recent)};
}

void renderPerformancePage(std::string_view title, const Table& summary,
                           const PerformanceCharts& charts, std::ostream& out) {
  // How to read each chart, in the order of PerformanceCharts::all().
  static constexpr std::array<std::string_view, 4> kReading = {
      std::string_view("Share of each quarterly cohort with at least one proven reoffence within "
                       "12 months of the index date; the dashed line is the published national "
                       "average configured for the quarter (or, where only that is configured, "
                       "for its financial year)."),
      std::string_view("Proven reoffences divided by the children who reoffended, per quarterly "
                       "cohort."),
      std::string_view("Share of each cohort whose first proven reoffence was committed by the end "
                       "of each month since their index date (month m ends on the same calendar "
                       "day m months later). Each line stops at the last month that every member "
                       "of the cohort has reached."),
      std::string_view("Share of the members of the recent cohorts in each focus group who "
                       "reoffended; a child can be in several groups.")};
  beginHtmlPage(title, out);
  htmlHeading("Summary", out);
  renderHtmlTable(summary, out);
  htmlHeading("Charts", out);
  htmlParagraph(
      "Hollow markers and bars are provisional figures: their cohorts are not complete, so "
      "they rise as further offences are proven.",
      out);
  const auto all = charts.all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    out << "<figure style=\"margin: 1em 0; page-break-inside: avoid;\">\n"
        << inlineSvg(*all[i]) << "<figcaption>" << htmlEscape(kReading[i])
        << "</figcaption>\n</figure>\n";
  }
  endHtmlPage(out);
}

}  // namespace cohortwatch::reports
