// The retrospective analysis of past cohorts (`cohortwatch analyse retrospective`): which groups of
// children reoffended most in complete cohorts, how soon after their index date, and how
// concentrated further offending was; and focus groups suggested from it, as YAML to paste into the
// configuration. A pure function of a MemberTable: members of cohorts that are not complete are
// left out (their figures are still moving), and the analysis says which cohorts that was.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/table.h"
#include "rules/member_facts.h"
#include "tracking/methodology.h"

namespace cohortwatch::rules {

// z for a two-sided 95% interval: the 0.975 quantile of the standard normal distribution.
inline constexpr double kZ95 = 1.959963984540054;

// An interval of proportions (0..1).
struct ProportionInterval {
  double low = 0.0;
  double high = 1.0;
};

// The Wilson score interval for `successes` out of `trials` (Wilson 1927): unlike the normal
// approximation it stays inside [0, 1] and is sensible for small groups and rates near 0 or 1.
// No trials (or successes outside 0..trials) gives [0, 1]: nothing is known.
ProportionInterval wilsonInterval(long successes, long trials, double z = kZ95);

struct RetrospectiveOptions {
  tracking::Quarter from;  // first cohort, inclusive
  tracking::Quarter to;    // last cohort, inclusive (from > to: an empty analysis)
  long min_n = 30;         // suggestions: smallest group worth suggesting
};

// The proven-reoffending measures of a group of cohort members. Rates and interval bounds are
// percentages; a member of several quarterly cohorts counts once in each (as in the MoJ measures).
struct GroupFigures {
  std::string label;                       // as shown, e.g. "17", "female", "unknown", "5-6"
  long members = 0;                        // n
  long reoffenders = 0;                    // members with at least one proven reoffence
  long reoffences = 0;                     // proven reoffences
  double binary_rate = 0.0;                // 100 * reoffenders / members
  double reoffences_per_reoffender = 0.0;  // 0 when there are no reoffenders
  double wilson_low = 0.0;                 // 95% Wilson interval of the binary rate, in %
  double wilson_high = 100.0;
  std::optional<double> lift;  // binary_rate / the overall binary rate; none when that is 0
};

// One dimension's groups. Dimensions, in this order, with their labels (groups with no members
// are left out; "unknown" collects empty values and is listed last):
//   age_at_index         "10" .. "17" (whole years on the index date), ascending
//   gender               as recorded; empty and "unknown" are both "unknown"
//   ethnicity            as recorded; empty is "unknown"
//   looked_after         "yes", "no", "unknown"
//   index_outcome_group  as recorded, e.g. "pre_court"
//   index_outcome_type   as recorded, e.g. "youth_caution"
//   gravity_max          highest gravity up to the index date: "1-2", "3-4", "5-6", "7-8",
//                        "unknown" (none recorded, or outside 1..8)
//   prior_offences       "0", "1", "2-3", "4+"
//   team                 as recorded; empty is "unknown"
//   month_of_entry       "1", "2", "3": the month of its quarter the index date falls in
// Text values are listed in byte order.
struct Breakdown {
  std::string dimension;  // e.g. "age_at_index": the JSON value and the field conditions test
  std::string title;      // e.g. "Age at index"
  std::vector<GroupFigures> groups;
};

// Reoffenders by how soon their first proven reoffence was committed. Month m holds first
// reoffences dated in (index_date.addMonths(m - 1), index_date.addMonths(m)]: calendar months
// counted from the index date, so month 1 of an index date of 31 January ends on 28 (or 29)
// February and month 2 on 31 March. Shares are percentages of all reoffenders.
struct MonthFigures {
  int month = 0;  // 1-based
  long reoffenders = 0;
  double share = 0.0;
  long cumulative_reoffenders = 0;
  double cumulative_share = 0.0;
};

// How much of the further offending the most prolific members committed. Members are ranked by
// proven reoffences, most first (ties by cohort, then person id: the shares below do not depend on
// how ties are ordered). "Top p%" is the smallest number of members that is at least p% of all
// members (ceil(p * n / 100)). Percentages are of all members and of all reoffences.
struct ConcentrationFigures {
  long members = 0;
  long reoffences = 0;
  struct Top {
    double percent = 0.0;              // 5 or 10
    long members = 0;                  // ceil(percent * n / 100)
    long reoffences = 0;               // committed by those members
    double share_of_reoffences = 0.0;  // 100 * reoffences / all reoffences; 0 when there are none
  };
  Top top_5;
  Top top_10;
  // The fewest members who committed at least half of all reoffences, and their share of the
  // members; 0 and 0 when there are no reoffences.
  long half_members = 0;
  long half_reoffences = 0;
  double half_share_of_members = 0.0;
};

// A group whose whole 95% interval lies above the overall rate, as a focus group.
struct Suggestion {
  std::string id;         // lower-case letters, digits and _, unique among the suggestions
  std::string name;       // e.g. "Looked-after children (45.1% vs 32.0% overall, n=812)"
  std::string condition;  // in the condition language (rules/expression.h), e.g. "looked_after"
  std::string dimension;
  std::string label;
  long members = 0;
  double binary_rate = 0.0;
  double wilson_low = 0.0;
  double lift = 0.0;
  double weight = 0.0;  // lift rounded to one decimal
};

struct RetrospectiveAnalysis {
  tracking::Quarter from;
  tracking::Quarter to;
  std::vector<tracking::Quarter> cohorts_included;      // complete, in range, with members
  std::vector<tracking::Quarter> cohorts_not_complete;  // in range, left out
  // Quarters in range with no members in the table at all (nothing to include or exclude; a
  // quarter still in the future looks like this too).
  std::vector<tracking::Quarter> quarters_without_members;

  GroupFigures overall;         // label "all"
  double frequency_rate = 0.0;  // reoffences per member
  std::vector<Breakdown> breakdowns;
  // Months 1..12 under the default 12-month follow-up (more if a first reoffence came later).
  // Reoffenders with no recorded first reoffence date are in no month.
  std::vector<MonthFigures> time_to_first_reoffence;
  ConcentrationFigures concentration;

  long min_n = 30;
  // Ranked by lift, then n, most first. Only single-dimension groups with n >= min_n and a Wilson
  // lower bound above the overall binary rate. Not suggested, as no condition expresses them
  // correctly: "unknown" groups (an absent value tests false whichever way it is compared) and
  // month_of_entry (no field or function gives the month of the quarter of the index date, and
  // days_since_index measures something else: time since entry as of today).
  std::vector<Suggestion> suggestions;
  // Why qualifying groups were not suggested, e.g. "month_of_entry 3: ... (no condition)".
  std::vector<std::string> suggestion_notes;
};

RetrospectiveAnalysis analyseRetrospective(const MemberTable& table,
                                           const RetrospectiveOptions& options);

// The suggestions as a `focus_groups:` YAML block, ready to paste under the configuration's top
// level. Strings are quoted so that any recorded value (a team named "North: East") stays valid
// YAML. An empty list gives "focus_groups: []\n".
std::string focusGroupsYaml(const std::vector<Suggestion>& suggestions);

// The analysis as report tables, one per section. Column keys:
//   overall:                 from, to, cohorts, members, reoffenders, reoffences, binary_rate,
//                            wilson_low, wilson_high, frequency_rate, reoffences_per_reoffender
//                            (notes: excluded cohorts)
//   breakdowns:              dimension, group, members, reoffenders, reoffences, binary_rate,
//                            wilson_low, wilson_high, lift, reoffences_per_reoffender
//   time_to_first_reoffence: month, reoffenders, share, cumulative_reoffenders, cumulative_share
//   concentration:           measure (top_5_percent, top_10_percent, half_of_reoffences), members,
//                            share_of_members, reoffences, share_of_reoffences
//   suggestions:             rank, id, dimension, group, members, binary_rate, wilson_low, lift,
//                            weight, when
reports::Table overallTable(const RetrospectiveAnalysis& analysis);
reports::Table breakdownsTable(const RetrospectiveAnalysis& analysis);
reports::Table timeToFirstReoffenceTable(const RetrospectiveAnalysis& analysis);
reports::Table concentrationTable(const RetrospectiveAnalysis& analysis);
reports::Table suggestionsTable(const RetrospectiveAnalysis& analysis);

// The whole analysis in one format:
//   kTable: a heading per section, then its table; with suggestions, their table and YAML.
//   kCsv:   the sections' CSV tables one after another, each after a line "# <section key>" and
//           separated by a blank line (a spreadsheet opens each block; split on the blank lines).
//   kJson:  one object:
//     overall:   {from, to, cohorts_included: ["2023Q1", ...], cohorts_not_complete: [...],
//                 quarters_without_members: [...], members, reoffenders, reoffences, binary_rate,
//                 wilson_low, wilson_high, frequency_rate, reoffences_per_reoffender}
//     breakdowns: [{dimension, title, groups: [{label, members, reoffenders, reoffences,
//                 binary_rate, reoffences_per_reoffender, wilson_low, wilson_high,
//                 lift (null when the overall rate is 0)}]}]
//     time_to_first_reoffence: [{month, reoffenders, share, cumulative_reoffenders,
//                 cumulative_share}]
//     concentration: {members, reoffences, top_5_percent: {members, reoffences,
//                 share_of_reoffences}, top_10_percent: {...}, half_of_reoffences: {members,
//                 reoffences, share_of_members}}
//     suggestions: {min_n, groups: [{id, name, dimension, label, members, binary_rate,
//                 wilson_low, lift, weight, when}], notes: [...], yaml: "focus_groups: ..."}
//     Rates, shares and bounds are percentages, unrounded.
//   kHtml:  a standalone page: a heading and a table per section, the YAML in a <pre>.
// `with_suggestions` adds the suggestions section to the table, CSV and HTML forms (JSON always
// has it).
void renderRetrospective(const RetrospectiveAnalysis& analysis, reports::Format format,
                         bool with_suggestions, std::ostream& out);

}  // namespace cohortwatch::rules
