#include "channels/board_report.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>

#include "reports/charts.h"
#include "reports/cohort_reports.h"
#include "worker/remote.h"

namespace cohortwatch::channels {

namespace {

namespace mustache = kainjow::mustache;

// One row of the plain-text table, in columns that line up (cohort, status, children,
// reoffended, rate, per reoffender, national, difference).
std::string textLine(const std::array<std::string, 8>& cells) {
  return fmt::format("{:<7} {:<29} {:>8} {:>10} {:>6} {:>14} {:>8}  {}", cells[0], cells[1],
                     cells[2], cells[3], cells[4], cells[5], cells[6], cells[7]);
}

constexpr std::size_t kCohortsInTable = 8;

mustache::data flag(bool value) {
  return value ? mustache::data::type::bool_true : mustache::data::type::bool_false;
}

std::string percent(const reports::ChartPoint& point) {
  return fmt::format("{:.1f}%{}", point.value, point.provisional ? " (provisional)" : "");
}

// The figures of the by-month chart in words: every cohort at the month the live one has reached.
std::string byMonthInWords(const reports::Chart& chart) {
  if (chart.series.empty()) return "No cohort to compare yet.";
  const auto& live = chart.series.front().points;
  std::size_t month = 0;
  for (std::size_t i = 0; i < live.size(); ++i) {
    if (live[i]) month = i;
  }
  std::string words = fmt::format("By month {} since the index date:", month);
  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    const auto& points = chart.series[s].points;
    if (month >= points.size() || !points[month]) continue;
    words +=
        fmt::format("{} {} {}", s == 0 ? "" : ";", chart.series[s].name, percent(*points[month]));
  }
  return words + ".";
}

std::string focusGroupsInWords(const reports::Chart& chart) {
  std::string words;
  if (chart.series.empty()) return "No members.";
  const auto& points = chart.series.front().points;
  for (std::size_t i = 0; i < chart.categories.size() && i < points.size(); ++i) {
    if (!points[i]) continue;
    words +=
        fmt::format("{}{} {}", words.empty() ? "" : "; ", chart.categories[i], percent(*points[i]));
  }
  return words.empty() ? "No members." : words + ".";
}

struct BoardChart {
  const reports::Chart* chart;
  std::string content_id;
  std::string filename;
  std::string in_words;  // the text part and the image's alt text
};

EmailContent render(const Templates& templates, const mustache::data& data) {
  EmailContent email;
  email.subject = templates.render("report.subject", data);
  while (!email.subject.empty() && (email.subject.back() == '\n' || email.subject.back() == '\r')) {
    email.subject.pop_back();
  }
  email.text = templates.render("report.text", data);
  email.html = templates.render("report.html", data);
  return email;
}

}  // namespace

reports::PerformanceInputs performanceInputs(const rules::MemberTable& table,
                                             const std::vector<rules::MemberFocus>& focus,
                                             const config::Settings& settings) {
  reports::PerformanceInputs inputs;
  inputs.as_of = table.as_of;
  inputs.national = settings.national;
  inputs.follow_up_months = settings.methodology.follow_up_months;
  std::map<std::string_view, std::size_t> group_index;
  for (const auto& group : settings.focus_groups) {
    group_index.emplace(group.id, inputs.focus_group_names.size());
    inputs.focus_group_names.push_back(group.name.empty() ? group.id : group.name);
  }
  inputs.members.reserve(table.members.size());
  for (std::size_t i = 0; i < table.members.size(); ++i) {
    const auto& facts = table.members[i];
    reports::PerformanceMember member;
    member.cohort = facts.cohort;
    member.cohort_status = facts.cohort_status;
    member.index_date = facts.index_date;
    member.proven_reoffences = facts.proven_reoffences;
    member.first_reoffence_date = facts.first_reoffence_date;
    if (i < focus.size()) {
      for (const auto id : focus[i].groups) {
        if (const auto it = group_index.find(id); it != group_index.end())
          member.focus_groups.push_back(it->second);
      }
    }
    inputs.members.push_back(std::move(member));
  }
  return inputs;
}

Digest strategicReport(const Templates& templates, const DigestInputs& in) {
  struct Tally {
    long members = 0, reoffenders = 0, reoffences = 0;
    std::string status;
  };
  std::map<std::string, Tally> cohorts;
  std::optional<tracking::Quarter> latest;
  for (const auto& member : in.table.members) {
    auto& tally = cohorts[std::string(member.cohort_name)];
    ++tally.members;
    if (member.reoffended()) ++tally.reoffenders;
    tally.reoffences += member.proven_reoffences;
    tally.status = std::string(tracking::toString(member.cohort_status));
    latest = std::max(latest.value_or(member.cohort), member.cohort);
  }
  while (cohorts.size() > kCohortsInTable) cohorts.erase(cohorts.begin());
  mustache::data rows{mustache::data::type::list};
  for (const auto& [name, tally] : cohorts) {
    const double rate = tally.members > 0 ? 100.0 * static_cast<double>(tally.reoffenders) /
                                                static_cast<double>(tally.members)
                                          : 0.0;
    const std::string status =
        tally.status + (tally.status != "complete" ? " (provisional)" : "");
    const std::string per_reoffender =
        tally.reoffenders > 0 ? fmt::format("{:.2f}", static_cast<double>(tally.reoffences) /
                                                          static_cast<double>(tally.reoffenders))
                              : std::string("-");
    const auto quarter = tracking::Quarter::parse(name);
    const auto* national =
        quarter ? reports::nationalAverageFor(in.settings.national, *quarter) : nullptr;
    const std::string national_rate =
        national ? fmt::format("{:.1f}%", national->binary_rate) : std::string("-");
    const std::string difference =
        national ? fmt::format("{:+.1f} pp", rate - national->binary_rate) : std::string("-");
    mustache::data row;
    row.set("cohort", name);
    row.set("status", tally.status);
    row.set("provisional", flag(tally.status != "complete"));
    row.set("members", std::to_string(tally.members));
    row.set("reoffenders", std::to_string(tally.reoffenders));
    row.set("rate", fmt::format("{:.1f}%", rate));
    row.set("per_reoffender", per_reoffender);
    row.set("national", national_rate);
    row.set("difference", difference);
    row.set("text_line", textLine({name, status, std::to_string(tally.members),
                                   std::to_string(tally.reoffenders), fmt::format("{:.1f}%", rate),
                                   per_reoffender, national_rate, difference}));
    rows.push_back(row);
  }

  Digest digest;
  mustache::data charts{mustache::data::type::list};
  std::vector<Attachment> images;
  if (latest) {
    const auto performance =
        reports::performanceCharts(performanceInputs(in.table, in.focus, in.settings), *latest);
    const std::vector<BoardChart> board = {
        {&performance.binary_rate, "binary-rate@cohortwatch", "binary-rate-by-cohort.png",
         "The rate of each cohort and the national average are in the table."},
        {&performance.per_reoffender, "per-reoffender@cohortwatch", "reoffences-per-reoffender.png",
         "The figure of each cohort is in the table."},
        {&performance.by_month, "by-month@cohortwatch", "reoffending-by-month.png",
         byMonthInWords(performance.by_month)},
        {&performance.focus_groups, "focus-groups@cohortwatch", "reoffending-by-focus-group.png",
         focusGroupsInWords(performance.focus_groups)}};
    worker::ChartRasteriser rasteriser;  // cairo runs in cohortwatch-worker
    for (const auto& entry : board) {
      std::string png = rasteriser.renderPng(*entry.chart, kBoardChartWidth, kBoardChartHeight);
      mustache::data chart;
      chart.set("title", entry.chart->title);
      chart.set("in_words", entry.in_words);
      chart.set("has_image", flag(!png.empty()));
      chart.set("content_id", entry.content_id);
      chart.set("width", std::to_string(kBoardChartWidth));
      chart.set("height", std::to_string(kBoardChartHeight));
      charts.push_back(chart);
      if (png.empty()) {
        spdlog::warn("board report: the chart '{}' could not be drawn; the report goes without it",
                     entry.chart->title);
        continue;
      }
      images.push_back({entry.filename, "image/png", std::move(png), entry.content_id});
    }
  }
  mustache::data data;
  data.set("title", in.title);
  data.set("as_of", in.table.as_of.toString());
  data.set("cohorts", rows);
  data.set("text_header", textLine({"Cohort", "Status", "Children", "Reoffended", "Rate",
                                    "Per reoffender", "National", "Difference"}));
  data.set("has_charts", flag(latest.has_value()));
  data.set("charts", charts);
  digest.email = render(templates, data);
  digest.email.attachments = std::move(images);
  digest.empty = cohorts.empty();
  return digest;
}

}  // namespace cohortwatch::channels
