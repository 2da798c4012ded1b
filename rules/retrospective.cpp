#include "rules/retrospective.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <compare>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "reports/html.h"

namespace cohortwatch::rules {

namespace {

using reports::Cell;
using reports::Column;
using reports::Table;

constexpr int kUnknownOrder = INT_MAX;
constexpr std::string_view kUnknown = "unknown";

struct Tally {
  long members = 0;
  long reoffenders = 0;
  long reoffences = 0;

  void add(const MemberFacts& member) {
    ++members;
    if (member.reoffended()) ++reoffenders;
    reoffences += member.proven_reoffences;
  }
};

double percent(long part, long whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

GroupFigures figuresOf(std::string label, const Tally& tally, double overall_rate) {
  GroupFigures figures;
  figures.label = std::move(label);
  figures.members = tally.members;
  figures.reoffenders = tally.reoffenders;
  figures.reoffences = tally.reoffences;
  figures.binary_rate = percent(tally.reoffenders, tally.members);
  figures.reoffences_per_reoffender =
      tally.reoffenders > 0
          ? static_cast<double>(tally.reoffences) / static_cast<double>(tally.reoffenders)
          : 0.0;
  const auto interval = wilsonInterval(tally.reoffenders, tally.members);
  figures.wilson_low = 100.0 * interval.low;
  figures.wilson_high = 100.0 * interval.high;
  if (overall_rate > 0.0) figures.lift = figures.binary_rate / overall_rate;
  return figures;
}

// Where a group sits in its breakdown, what it is called, and how a condition selects it.
struct GroupKey {
  int order = 0;     // numeric position (ages, bands); 0 for recorded text; kUnknownOrder last
  std::string text;  // recorded text, for byte order among text groups

  friend auto operator<=>(const GroupKey&, const GroupKey&) = default;
};

struct GroupSpec {
  GroupKey key;
  std::string label;
};

// A dimension: how to place a member in a group, and how to turn a group into a focus group.
struct Dimension {
  std::string_view name;
  std::string_view title;
  std::function<GroupSpec(const MemberFacts&)> group;
};

GroupSpec textGroup(std::string_view value) {
  if (value.empty()) return {{kUnknownOrder, ""}, std::string(kUnknown)};
  return {{0, std::string(value)}, std::string(value)};
}

GroupSpec orderedGroup(int order, std::string label) {
  return {{order, ""}, std::move(label)};
}

std::string_view gravityBand(std::optional<int> gravity) {
  if (!gravity || *gravity < 1 || *gravity > 8) return kUnknown;
  static constexpr std::array<std::string_view, 4> kBands = {"1-2", "3-4", "5-6", "7-8"};
  return kBands[static_cast<std::size_t>((*gravity - 1) / 2)];
}

std::vector<Dimension> dimensions() {
  return {
      {"age_at_index", "Age at index",
       [](const MemberFacts& m) {
         return orderedGroup(m.age_at_index, std::to_string(m.age_at_index));
       }},
      {"gender", "Gender",
       [](const MemberFacts& m) {
         return textGroup(m.gender == kUnknown ? std::string_view() : m.gender);
       }},
      {"ethnicity", "Ethnicity", [](const MemberFacts& m) { return textGroup(m.ethnicity); }},
      {"looked_after", "Looked after",
       [](const MemberFacts& m) {
         if (!m.looked_after) return orderedGroup(kUnknownOrder, std::string(kUnknown));
         return *m.looked_after ? orderedGroup(0, "yes") : orderedGroup(1, "no");
       }},
      {"index_outcome_group", "Index outcome group",
       [](const MemberFacts& m) { return textGroup(m.index_outcome_group); }},
      {"index_outcome_type", "Index outcome type",
       [](const MemberFacts& m) { return textGroup(m.index_outcome_type); }},
      {"gravity_max", "Highest gravity up to index",
       [](const MemberFacts& m) {
         const auto band = gravityBand(m.gravity_max);
         const int order = band == kUnknown ? kUnknownOrder : (*m.gravity_max - 1) / 2;
         return orderedGroup(order, std::string(band));
       }},
      {"prior_offences", "Prior offences",
       [](const MemberFacts& m) {
         if (m.prior_offences <= 0) return orderedGroup(0, "0");
         if (m.prior_offences == 1) return orderedGroup(1, "1");
         if (m.prior_offences <= 3) return orderedGroup(2, "2-3");
         return orderedGroup(3, "4+");
       }},
      {"team", "Team", [](const MemberFacts& m) { return textGroup(m.team); }},
      {"month_of_entry", "Month of entry within the quarter",
       [](const MemberFacts& m) {
         const int month = static_cast<int>((m.index_date.month() - 1) % 3 + 1);
         return orderedGroup(month, std::to_string(month));
       }},
  };
}

// --- Suggestions ---------------------------------------------------------------------------

// A text literal of the condition language: "text", or 'text' when that needs no escape, else
// "text" with \" and \\ escaped (the lexer's only escapes, with \').
std::string textLiteral(std::string_view value) {
  const bool backslash = value.find('\\') != std::string_view::npos;
  if (!backslash && value.find('"') == std::string_view::npos) return fmt::format("\"{}\"", value);
  if (!backslash && value.find('\'') == std::string_view::npos) return fmt::format("'{}'", value);
  std::string literal = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
  return literal;
}

// Lower-case ASCII letters and digits; every other run of characters becomes one '_'.
std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9')) {
      out += c;
    } else if (u >= 'A' && u <= 'Z') {
      out += static_cast<char>(u - 'A' + 'a');
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

struct FocusGroupDraft {
  std::string id;
  std::string name;  // without the figures
  std::string condition;
};

// How a group becomes a focus group, or why it cannot.
std::variant<FocusGroupDraft, std::string> draftFor(std::string_view dimension,
                                                    const std::string& label) {
  if (dimension == "month_of_entry") {
    return std::string("no condition gives the month of the quarter of the index date");
  }
  if (label == kUnknown) {
    return std::string("an unknown value cannot be selected by a condition");
  }
  const auto text =
      [&](std::string_view field, std::string_view id_prefix,
          std::string_view name_prefix) -> std::variant<FocusGroupDraft, std::string> {
    const std::string s = slug(label);
    return FocusGroupDraft{s.empty() ? std::string(id_prefix) : fmt::format("{}_{}", id_prefix, s),
                           fmt::format("{}{}", name_prefix, label),
                           fmt::format("{} == {}", field, textLiteral(label))};
  };
  if (dimension == "age_at_index") {
    if (!std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::string("not an age the methodology takes");
    }
    return FocusGroupDraft{"age_" + label, fmt::format("Aged {} at index", label),
                           "age_at_index == " + label};
  }
  if (dimension == "gender") return text("gender", "gender", "Gender: ");
  if (dimension == "ethnicity") return text("ethnicity", "ethnicity", "Ethnicity: ");
  if (dimension == "looked_after") {
    // `not looked_after` would also take children whose status is not recorded (an absent bool
    // is false); `== false` is false for them.
    if (label == "yes")
      return FocusGroupDraft{"looked_after", "Looked-after children", "looked_after"};
    return FocusGroupDraft{"not_looked_after", "Children not looked after",
                           "looked_after == false"};
  }
  if (dimension == "index_outcome_group") {
    return text("index_outcome_group", "outcome_group", "Index outcome group: ");
  }
  if (dimension == "index_outcome_type") {
    return text("index_outcome_type", "outcome_type", "Index outcome: ");
  }
  if (dimension == "gravity_max") {
    const auto dash = label.find('-');
    const std::string low = label.substr(0, dash);
    const std::string high = label.substr(dash + 1);
    return FocusGroupDraft{fmt::format("gravity_{}_{}", low, high),
                           fmt::format("Highest gravity {} up to index", label),
                           fmt::format("gravity_max between {} and {}", low, high)};
  }
  if (dimension == "prior_offences") {
    if (label == "0")
      return FocusGroupDraft{"prior_offences_0", "No prior offences", "prior_offences == 0"};
    if (label == "1")
      return FocusGroupDraft{"prior_offences_1", "One prior offence", "prior_offences == 1"};
    if (label == "2-3") {
      return FocusGroupDraft{"prior_offences_2_3", "2-3 prior offences",
                             "prior_offences between 2 and 3"};
    }
    return FocusGroupDraft{"prior_offences_4_plus", "4+ prior offences", "prior_offences >= 4"};
  }
  if (dimension == "team") return text("team", "team", "Team: ");
  return std::string("no condition for this dimension");
}

std::string formatRate(double rate) {
  return fmt::format("{:.1f}%", rate);
}

void addSuggestions(RetrospectiveAnalysis& analysis) {
  const double overall = analysis.overall.binary_rate;
  struct Candidate {
    const Breakdown* breakdown;
    const GroupFigures* group;
  };
  std::vector<Candidate> candidates;
  for (const auto& breakdown : analysis.breakdowns) {
    for (const auto& group : breakdown.groups) {
      if (group.members >= analysis.min_n && group.wilson_low > overall && group.lift) {
        candidates.push_back({&breakdown, &group});
      }
    }
  }
  // Stable on the breakdowns' own order, so equal lift and n keep dimension order.
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    if (*a.group->lift != *b.group->lift) return *a.group->lift > *b.group->lift;
    return a.group->members > b.group->members;
  });
  std::set<std::string> ids;
  for (const auto& candidate : candidates) {
    const auto& group = *candidate.group;
    auto draft = draftFor(candidate.breakdown->dimension, group.label);
    if (auto* reason = std::get_if<std::string>(&draft)) {
      analysis.suggestion_notes.push_back(
          fmt::format("{} {}: {} vs {} overall (n={}, lift {:.2f}) not suggested: {}",
                      candidate.breakdown->dimension, group.label, formatRate(group.binary_rate),
                      formatRate(overall), group.members, *group.lift, *reason));
      continue;
    }
    auto& focus = std::get<FocusGroupDraft>(draft);
    std::string id = focus.id;
    for (int n = 2; ids.contains(id); ++n) id = fmt::format("{}_{}", focus.id, n);
    ids.insert(id);
    Suggestion suggestion;
    suggestion.id = id;
    suggestion.name =
        fmt::format("{} ({} vs {} overall, n={})", focus.name, formatRate(group.binary_rate),
                    formatRate(overall), group.members);
    suggestion.condition = focus.condition;
    suggestion.dimension = candidate.breakdown->dimension;
    suggestion.label = group.label;
    suggestion.members = group.members;
    suggestion.binary_rate = group.binary_rate;
    suggestion.wilson_low = group.wilson_low;
    suggestion.lift = *group.lift;
    suggestion.weight = std::round(*group.lift * 10.0) / 10.0;
    analysis.suggestions.push_back(std::move(suggestion));
  }
}

// --- Time to first reoffence and concentration -----------------------------------------------

// The m with first in (index.addMonths(m - 1), index.addMonths(m)]; 0 when first <= index.
int monthSinceIndex(tracking::Date index, tracking::Date first) {
  if (first <= index) return 0;
  int m = std::max(1, (first.year() - index.year()) * 12 +
                          (static_cast<int>(first.month()) - static_cast<int>(index.month())));
  while (m > 1 && first <= index.addMonths(m - 1)) --m;
  while (first > index.addMonths(m)) ++m;
  return m;
}

std::vector<MonthFigures> timeToFirstReoffence(const std::vector<const MemberFacts*>& members,
                                               long reoffenders) {
  std::map<int, long> by_month;
  int last = 12;
  for (const auto* member : members) {
    if (!member->reoffended() || !member->first_reoffence_date) continue;
    const int month = monthSinceIndex(member->index_date, *member->first_reoffence_date);
    if (month == 0) continue;
    ++by_month[month];
    last = std::max(last, month);
  }
  std::vector<MonthFigures> months;
  long cumulative = 0;
  for (int m = 1; m <= last; ++m) {
    MonthFigures figures;
    figures.month = m;
    figures.reoffenders = by_month.contains(m) ? by_month[m] : 0;
    cumulative += figures.reoffenders;
    figures.share = percent(figures.reoffenders, reoffenders);
    figures.cumulative_reoffenders = cumulative;
    figures.cumulative_share = percent(cumulative, reoffenders);
    months.push_back(figures);
  }
  return months;
}

ConcentrationFigures concentrationOf(std::vector<const MemberFacts*> members) {
  std::sort(members.begin(), members.end(), [](const MemberFacts* a, const MemberFacts* b) {
    if (a->proven_reoffences != b->proven_reoffences) {
      return a->proven_reoffences > b->proven_reoffences;
    }
    if (a->cohort != b->cohort) return a->cohort < b->cohort;
    return a->person_id < b->person_id;
  });
  ConcentrationFigures figures;
  figures.members = static_cast<long>(members.size());
  for (const auto* member : members) figures.reoffences += member->proven_reoffences;
  const auto top = [&](double percent_of_members) {
    ConcentrationFigures::Top result;
    result.percent = percent_of_members;
    // ceil(p * n / 100) in integers: p is a whole percentage here.
    const long p = std::lround(percent_of_members);
    result.members = (p * figures.members + 99) / 100;
    for (long i = 0; i < result.members; ++i) {
      result.reoffences += members[static_cast<std::size_t>(i)]->proven_reoffences;
    }
    result.share_of_reoffences = percent(result.reoffences, figures.reoffences);
    return result;
  };
  figures.top_5 = top(5.0);
  figures.top_10 = top(10.0);
  if (figures.reoffences > 0) {
    long sum = 0;
    long count = 0;
    // At least half: 2 * sum >= total avoids rounding.
    while (2 * sum < figures.reoffences) {
      sum += members[static_cast<std::size_t>(count)]->proven_reoffences;
      ++count;
    }
    figures.half_members = count;
    figures.half_reoffences = sum;
    figures.half_share_of_members = percent(count, figures.members);
  }
  return figures;
}

// --- Rendering -------------------------------------------------------------------------------

Cell liftCell(const std::optional<double>& lift) {
  return lift ? Cell{*lift} : Cell{};
}

std::string quarterList(const std::vector<tracking::Quarter>& quarters) {
  std::string text;
  for (const auto& quarter : quarters) {
    if (!text.empty()) text += ", ";
    text += quarter.name();
  }
  return text;
}

nlohmann::json quarterArray(const std::vector<tracking::Quarter>& quarters) {
  auto array = nlohmann::json::array();
  for (const auto& quarter : quarters) array.push_back(quarter.name());
  return array;
}

nlohmann::json optionalJson(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// YAML scalars: double-quoted with escapes, so any text survives (": ", "#", quotes, leading
// indicators, line breaks).
std::string yamlQuoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\x{:02x}", u);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// A condition as written after `when:`: plain when it holds nothing YAML could read otherwise
// (field names, numbers, operators, spaces), else single-quoted (readable: only ' is doubled)
// unless it holds a control character, then double-quoted.
std::string yamlCondition(std::string_view condition) {
  const bool plain = !condition.empty() &&
                     std::all_of(condition.begin(), condition.end(),
                                 [](char c) {
                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                          c == '_' || c == ' ' || c == '=' || c == '<' ||
                                          c == '>' || c == '!';
                                 }) &&
                     condition.front() >= 'a' && condition.front() <= 'z';
  if (plain) return std::string(condition);
  const bool control = std::any_of(condition.begin(), condition.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (control) return yamlQuoted(condition);
  std::string out = "'";
  for (char c : condition) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

nlohmann::json groupJson(const GroupFigures& group) {
  return {{"label", group.label},
          {"members", group.members},
          {"reoffenders", group.reoffenders},
          {"reoffences", group.reoffences},
          {"binary_rate", group.binary_rate},
          {"reoffences_per_reoffender", group.reoffences_per_reoffender},
          {"wilson_low", group.wilson_low},
          {"wilson_high", group.wilson_high},
          {"lift", optionalJson(group.lift)}};
}

nlohmann::json analysisJson(const RetrospectiveAnalysis& analysis) {
  const auto& o = analysis.overall;
  nlohmann::json overall = {
      {"from", analysis.from.name()},
      {"to", analysis.to.name()},
      {"cohorts_included", quarterArray(analysis.cohorts_included)},
      {"cohorts_not_complete", quarterArray(analysis.cohorts_not_complete)},
      {"quarters_without_members", quarterArray(analysis.quarters_without_members)},
      {"members", o.members},
      {"reoffenders", o.reoffenders},
      {"reoffences", o.reoffences},
      {"binary_rate", o.binary_rate},
      {"wilson_low", o.wilson_low},
      {"wilson_high", o.wilson_high},
      {"frequency_rate", analysis.frequency_rate},
      {"reoffences_per_reoffender", o.reoffences_per_reoffender}};
  auto breakdowns = nlohmann::json::array();
  for (const auto& breakdown : analysis.breakdowns) {
    auto groups = nlohmann::json::array();
    for (const auto& group : breakdown.groups) groups.push_back(groupJson(group));
    breakdowns.push_back(
        {{"dimension", breakdown.dimension}, {"title", breakdown.title}, {"groups", groups}});
  }
  auto months = nlohmann::json::array();
  for (const auto& month : analysis.time_to_first_reoffence) {
    months.push_back({{"month", month.month},
                      {"reoffenders", month.reoffenders},
                      {"share", month.share},
                      {"cumulative_reoffenders", month.cumulative_reoffenders},
                      {"cumulative_share", month.cumulative_share}});
  }
  const auto& c = analysis.concentration;
  const auto top = [](const ConcentrationFigures::Top& t) {
    return nlohmann::json{{"members", t.members},
                          {"reoffences", t.reoffences},
                          {"share_of_reoffences", t.share_of_reoffences}};
  };
  nlohmann::json concentration = {{"members", c.members},
                                  {"reoffences", c.reoffences},
                                  {"top_5_percent", top(c.top_5)},
                                  {"top_10_percent", top(c.top_10)},
                                  {"half_of_reoffences",
                                   {{"members", c.half_members},
                                    {"reoffences", c.half_reoffences},
                                    {"share_of_members", c.half_share_of_members}}}};
  auto groups = nlohmann::json::array();
  for (const auto& s : analysis.suggestions) {
    groups.push_back({{"id", s.id},
                      {"name", s.name},
                      {"dimension", s.dimension},
                      {"label", s.label},
                      {"members", s.members},
                      {"binary_rate", s.binary_rate},
                      {"wilson_low", s.wilson_low},
                      {"lift", s.lift},
                      {"weight", s.weight},
                      {"when", s.condition}});
  }
  nlohmann::json suggestions = {{"min_n", analysis.min_n},
                                {"groups", groups},
                                {"notes", analysis.suggestion_notes},
                                {"yaml", focusGroupsYaml(analysis.suggestions)}};
  return {{"overall", overall},
          {"breakdowns", breakdowns},
          {"time_to_first_reoffence", months},
          {"concentration", concentration},
          {"suggestions", suggestions}};
}

std::vector<Column> groupColumns(std::string_view group_title) {
  return {{"group", std::string(group_title)},
          {"members", "Members", 0},
          {"reoffenders", "Reoffenders", 0},
          {"reoffences", "Reoffences", 0},
          {"binary_rate", "Rate %", 1},
          {"wilson_low", "95% low", 1},
          {"wilson_high", "95% high", 1},
          {"lift", "Lift", 2},
          {"reoffences_per_reoffender", "Per reoffender", 2}};
}

std::vector<Cell> groupRow(const GroupFigures& g) {
  return {g.label,       g.members,        g.reoffenders,
          g.reoffences,  g.binary_rate,    g.wilson_low,
          g.wilson_high, liftCell(g.lift), g.reoffences_per_reoffender};
}

// One dimension's groups, for the forms people read.
Table breakdownTable(const Breakdown& breakdown) {
  Table table;
  table.columns = groupColumns(breakdown.title);
  for (const auto& group : breakdown.groups) table.rows.push_back(groupRow(group));
  return table;
}

struct Section {
  std::string_view key;
  std::string_view title;
  Table table;
};

std::vector<Section> sections(const RetrospectiveAnalysis& analysis, bool with_suggestions) {
  std::vector<Section> result;
  result.push_back({"overall", "Overall", overallTable(analysis)});
  result.push_back({"breakdowns", "By group", breakdownsTable(analysis)});
  result.push_back(
      {"time_to_first_reoffence", "Time to first reoffence", timeToFirstReoffenceTable(analysis)});
  result.push_back({"concentration", "Concentration", concentrationTable(analysis)});
  if (with_suggestions) {
    result.push_back({"suggestions", "Suggested focus groups", suggestionsTable(analysis)});
  }
  return result;
}

}  // namespace

ProportionInterval wilsonInterval(long successes, long trials, double z) {
  if (trials <= 0 || successes < 0 || successes > trials) return {0.0, 1.0};
  const auto n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / n;
  const double centre = (p + z2 / (2.0 * n)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  // At 0 and n successes one bound is exactly 0 or 1; keep it so rather than 1e-17 off.
  return {successes == 0 ? 0.0 : std::max(0.0, centre - half),
          successes == trials ? 1.0 : std::min(1.0, centre + half)};
}

RetrospectiveAnalysis analyseRetrospective(const MemberTable& table,
                                           const RetrospectiveOptions& options) {
  RetrospectiveAnalysis analysis;
  analysis.from = options.from;
  analysis.to = options.to;
  analysis.min_n = options.min_n;

  std::vector<const MemberFacts*> members;
  std::set<tracking::Quarter> included;
  std::set<tracking::Quarter> not_complete;
  for (const auto& member : table.members) {
    if (member.cohort < options.from || options.to < member.cohort) continue;
    if (member.cohort_status == tracking::CohortStatus::kComplete) {
      members.push_back(&member);
      included.insert(member.cohort);
    } else {
      not_complete.insert(member.cohort);
    }
  }
  analysis.cohorts_included.assign(included.begin(), included.end());
  analysis.cohorts_not_complete.assign(not_complete.begin(), not_complete.end());
  for (int q = options.from.ordinal(); q <= options.to.ordinal(); ++q) {
    const auto quarter = tracking::Quarter::fromOrdinal(q);
    if (!included.contains(quarter) && !not_complete.contains(quarter)) {
      analysis.quarters_without_members.push_back(quarter);
    }
  }

  Tally overall;
  for (const auto* member : members) overall.add(*member);
  analysis.overall = figuresOf("all", overall, 0.0);
  const double overall_rate = analysis.overall.binary_rate;
  if (overall_rate > 0.0) analysis.overall.lift = 1.0;
  analysis.frequency_rate = overall.members > 0 ? static_cast<double>(overall.reoffences) /
                                                      static_cast<double>(overall.members)
                                                : 0.0;

  for (const auto& dimension : dimensions()) {
    std::map<GroupKey, std::pair<std::string, Tally>> groups;
    for (const auto* member : members) {
      auto spec = dimension.group(*member);
      auto [it, inserted] = groups.try_emplace(std::move(spec.key), std::move(spec.label), Tally{});
      it->second.second.add(*member);
    }
    Breakdown breakdown{std::string(dimension.name), std::string(dimension.title), {}};
    for (const auto& [key, group] : groups) {
      breakdown.groups.push_back(figuresOf(group.first, group.second, overall_rate));
    }
    analysis.breakdowns.push_back(std::move(breakdown));
  }

  analysis.time_to_first_reoffence = timeToFirstReoffence(members, overall.reoffenders);
  analysis.concentration = concentrationOf(members);
  addSuggestions(analysis);
  return analysis;
}

std::string focusGroupsYaml(const std::vector<Suggestion>& suggestions) {
  if (suggestions.empty()) return "focus_groups: []\n";
  std::string yaml = "focus_groups:\n";
  for (const auto& s : suggestions) {
    yaml += fmt::format("  - id: {}\n", s.id);
    yaml += fmt::format("    name: {}\n", yamlQuoted(s.name));
    yaml += fmt::format("    when: {}\n", yamlCondition(s.condition));
    yaml += fmt::format("    weight: {:.1f}\n", s.weight);
  }
  return yaml;
}

Table overallTable(const RetrospectiveAnalysis& analysis) {
  const auto& o = analysis.overall;
  Table table;
  table.columns = {{"from", "From"},
                   {"to", "To"},
                   {"cohorts", "Cohorts", 0},
                   {"members", "Members", 0},
                   {"reoffenders", "Reoffenders", 0},
                   {"reoffences", "Reoffences", 0},
                   {"binary_rate", "Rate %", 1},
                   {"wilson_low", "95% low", 1},
                   {"wilson_high", "95% high", 1},
                   {"frequency_rate", "Per member", 2},
                   {"reoffences_per_reoffender", "Per reoffender", 2}};
  table.rows.push_back({analysis.from.name(), analysis.to.name(),
                        static_cast<long>(analysis.cohorts_included.size()), o.members,
                        o.reoffenders, o.reoffences, o.binary_rate, o.wilson_low, o.wilson_high,
                        analysis.frequency_rate, o.reoffences_per_reoffender});
  if (!analysis.cohorts_included.empty()) {
    table.notes.push_back("Complete cohorts included: " + quarterList(analysis.cohorts_included));
  }
  if (!analysis.cohorts_not_complete.empty()) {
    table.notes.push_back(fmt::format("{} cohort{} in range not complete, excluded: {}",
                                      analysis.cohorts_not_complete.size(),
                                      analysis.cohorts_not_complete.size() == 1 ? "" : "s",
                                      quarterList(analysis.cohorts_not_complete)));
  }
  if (!analysis.quarters_without_members.empty()) {
    table.notes.push_back("Quarters in range with no cohort members: " +
                          quarterList(analysis.quarters_without_members));
  }
  return table;
}

Table breakdownsTable(const RetrospectiveAnalysis& analysis) {
  Table table;
  table.columns = groupColumns("Group");
  table.columns.insert(table.columns.begin(), Column{"dimension", "Dimension"});
  for (const auto& breakdown : analysis.breakdowns) {
    for (const auto& group : breakdown.groups) {
      auto row = groupRow(group);
      row.insert(row.begin(), breakdown.dimension);
      table.rows.push_back(std::move(row));
    }
  }
  table.notes.emplace_back(
      "Lift: the group's rate divided by the overall rate. 95% low/high: Wilson score interval.");
  return table;
}

Table timeToFirstReoffenceTable(const RetrospectiveAnalysis& analysis) {
  Table table;
  table.columns = {{"month", "Month since index", 0},
                   {"reoffenders", "First reoffences", 0},
                   {"share", "Share %", 1},
                   {"cumulative_reoffenders", "Cumulative", 0},
                   {"cumulative_share", "Cumulative %", 1}};
  for (const auto& m : analysis.time_to_first_reoffence) {
    table.rows.push_back({static_cast<long>(m.month), m.reoffenders, m.share,
                          m.cumulative_reoffenders, m.cumulative_share});
  }
  table.notes.emplace_back(
      "Month m: first reoffence committed after the same calendar day m-1 months after the index "
      "date, up to that day m months after. Shares are of all reoffenders.");
  return table;
}

Table concentrationTable(const RetrospectiveAnalysis& analysis) {
  const auto& c = analysis.concentration;
  Table table;
  table.columns = {{"measure", "Group"},
                   {"members", "Members", 0},
                   {"share_of_members", "Share of members %", 1},
                   {"reoffences", "Reoffences", 0},
                   {"share_of_reoffences", "Share of reoffences %", 1}};
  const auto top = [&](std::string_view key, const ConcentrationFigures::Top& t) {
    table.rows.push_back({std::string(key), t.members, percent(t.members, c.members), t.reoffences,
                          t.share_of_reoffences});
  };
  top("top_5_percent", c.top_5);
  top("top_10_percent", c.top_10);
  table.rows.push_back({std::string("half_of_reoffences"), c.half_members, c.half_share_of_members,
                        c.half_reoffences, percent(c.half_reoffences, c.reoffences)});
  table.notes.push_back(fmt::format(
      "{} members, {} proven reoffences. top_5_percent / top_10_percent: the members with the most "
      "reoffences; half_of_reoffences: the fewest members who committed at least half of them.",
      c.members, c.reoffences));
  return table;
}

Table suggestionsTable(const RetrospectiveAnalysis& analysis) {
  Table table;
  table.columns = {{"rank", "Rank", 0},          {"id", "Id"},
                   {"dimension", "Dimension"},   {"group", "Group"},
                   {"members", "Members", 0},    {"binary_rate", "Rate %", 1},
                   {"wilson_low", "95% low", 1}, {"lift", "Lift", 2},
                   {"weight", "Weight", 1},      {"when", "When"}};
  long rank = 0;
  for (const auto& s : analysis.suggestions) {
    table.rows.push_back({++rank, s.id, s.dimension, s.label, s.members, s.binary_rate,
                          s.wilson_low, s.lift, s.weight, s.condition});
  }
  table.notes.push_back(fmt::format(
      "Groups of at least {} members whose whole 95% interval lies above the overall rate ({}).",
      analysis.min_n, formatRate(analysis.overall.binary_rate)));
  for (const auto& note : analysis.suggestion_notes) table.notes.push_back(note);
  return table;
}

void renderRetrospective(const RetrospectiveAnalysis& analysis, reports::Format format,
                         bool with_suggestions, std::ostream& out) {
  if (format == reports::Format::kJson) {
    out << analysisJson(analysis).dump(2) << '\n';
    return;
  }
  if (format == reports::Format::kCsv) {
    bool first = true;
    for (const auto& section : sections(analysis, with_suggestions)) {
      if (!first) out << "\r\n";
      first = false;
      out << "# " << section.key << "\r\n";
      reports::render(section.table, format, out);
    }
    return;
  }
  // The terminal and HTML forms are read by people: the breakdowns as one table per dimension.
  const bool html = format == reports::Format::kHtml;
  if (html) {
    reports::beginHtmlPage(fmt::format("Retrospective analysis of complete cohorts, {} to {}",
                                       analysis.from.name(), analysis.to.name()),
                           out);
  } else {
    out << fmt::format("Retrospective analysis of complete cohorts, {} to {}\n\n",
                       analysis.from.name(), analysis.to.name());
  }
  const auto heading = [&](std::string_view title, int level) {
    if (html) {
      reports::htmlHeading(title, out, level);
    } else {
      out << title << '\n' << std::string(title.size(), level == 2 ? '=' : '-') << '\n';
    }
  };
  const auto table = [&](const Table& t) {
    if (html) {
      reports::renderHtmlTable(t, out);
    } else {
      reports::render(t, reports::Format::kTable, out);
      out << '\n';
    }
  };
  for (const auto& section : sections(analysis, with_suggestions)) {
    heading(section.title, 2);
    if (section.key != "breakdowns") {
      table(section.table);
      continue;
    }
    for (const auto& breakdown : analysis.breakdowns) {
      heading(breakdown.title, 3);
      table(breakdownTable(breakdown));
    }
    if (html) {
      reports::htmlParagraph(section.table.notes.front(), out);
    } else {
      out << section.table.notes.front() << "\n\n";
    }
  }
  if (with_suggestions) {
    const auto yaml = focusGroupsYaml(analysis.suggestions);
    if (html) {
      reports::htmlParagraph("Focus groups to paste into the configuration:", out);
      reports::htmlPreformatted(yaml, out);
    } else {
      out << "Focus groups to paste into the configuration:\n\n" << yaml;
    }
  }
  if (html) reports::endHtmlPage(out);
}

}  // namespace cohortwatch::rules
