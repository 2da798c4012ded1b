// rules_bench: issue 5's speed figure for the condition language. Builds synthetic member contexts
// over the member catalog (one contiguous vector of Values, random but seeded), compiles 20
// realistic focus-group and alert conditions, evaluates every condition on every member on one
// thread, and prints the rate and how many members each condition matched. Prints figures, never
// judges them (the target: 20 rules over a million members in under a second on one core).
//
//   rules_bench [--members N] [--seed S]
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/expression.h"
#include "tracking/civil_date.h"

namespace {

using cohortwatch::rules::Catalog;
using cohortwatch::rules::Context;
using cohortwatch::rules::Expression;
using cohortwatch::rules::ExpressionError;
using cohortwatch::rules::Value;
using cohortwatch::rules::ValueType;
using cohortwatch::tracking::Date;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t members = 1'000'000;
  std::uint64_t seed = 20250630;
};

[[noreturn]] void usage(std::string_view message) {
  fmt::print(stderr, "rules_bench: {}\nusage: rules_bench [--members N] [--seed S]\n", message);
  std::exit(2);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i + 1 >= args.size()) usage(fmt::format("{} needs a value", args[i]));
    const std::string value(args[i + 1]);
    char* end = nullptr;
    const auto number = std::strtoull(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0') usage(fmt::format("{}: not a number", args[i]));
    if (args[i] == "--members") {
      options.members = number;
    } else if (args[i] == "--seed") {
      options.seed = number;
    } else {
      usage(fmt::format("unknown option {}", args[i]));
    }
    ++i;
  }
  return options;
}

// The member catalog of issue 5 (the fields focus groups and alerts are written against).
enum Slot : std::uint16_t {
  kAgeAtIndex,
  kAgeNow,
  kGender,
  kEthnicity,
  kLookedAfter,
  kTeam,
  kCaseworker,
  kIndexDate,
  kIndexOutcomeType,
  kIndexOutcomeGroup,
  kDaysSinceIndex,
  kDaysToFollowUpEnd,
  kTurns18,
  kPriorOffences,
  kGravityMax,
  kProvenReoffences,
  kPendingOffences,
  kReoffended,
  kFocus,
  kOpenActions,
  kOverdueActions,
  kDaysSinceReview,
  kEventKind,
  kEventOffenceDate,
  kEventField,
  kEventOld,
  kEventNew,
  kSlots
};

Catalog memberCatalog() {
  Catalog c;
  using T = ValueType;
  const std::array<std::pair<const char*, ValueType>, kSlots> fields{{
      {"age_at_index", T::kInteger},
      {"age_now", T::kInteger},
      {"gender", T::kText},
      {"ethnicity", T::kText},
      {"looked_after", T::kBool},
      {"team", T::kText},
      {"caseworker", T::kText},
      {"index_date", T::kDate},
      {"index_outcome_type", T::kText},
      {"index_outcome_group", T::kText},
      {"days_since_index", T::kInteger},
      {"days_to_follow_up_end", T::kInteger},
      {"turns_18_in_follow_up", T::kBool},
      {"prior_offences", T::kInteger},
      {"gravity_max", T::kInteger},
      {"proven_reoffences", T::kInteger},
      {"pending_offences", T::kInteger},
      {"reoffended", T::kBool},
      {"focus", T::kTextList},
      {"open_actions", T::kInteger},
      {"overdue_actions", T::kInteger},
      {"days_since_review", T::kInteger},
      {"event.kind", T::kText},
      {"event.offence_date", T::kDate},
      {"event.field", T::kText},
      {"event.old", T::kText},
      {"event.new", T::kText},
  }};
  for (const auto& [name, type] : fields) c.add(name, type);
  for (const char* name : {"looked_after", "team", "caseworker"}) c.addChangeable(name);
  return c;
}

constexpr std::array<std::string_view, 20> kRules{
    "age_at_index >= 17 and (looked_after or 'recent' in focus)",
    "event.kind == 'offence_recorded' and days_between(index_date, event.offence_date) <= 90",
    "looked_after and not reoffended",
    "age_at_index between 15 and 17 and gender == 'male'",
    "index_outcome_type in ('youth_caution', 'youth_conditional_caution', 'referral_order')",
    "gravity_max >= 5 or prior_offences > 3",
    "days_since_review > 28 or not days_since_review >= 0",
    "turns_18_in_follow_up and days_to_follow_up_end between 0 and 60",
    "months_between(index_date, today()) >= 6 and proven_reoffences == 0",
    "team == 'north' and overdue_actions > 0",
    "'lac' in focus and open_actions == 0",
    "ethnicity not in ('white british', 'not stated') and age_now < 16",
    "index_date between 2024-10-01 and 2024-12-31 and reoffended",
    "pending_offences > 0 and days_since_index < 180",
    "team in ('east', 'west') and overdue_actions >= 2",
    "changed('looked_after') and looked_after",
    "index_outcome_group == 'pre_court' and prior_offences == 0 and not looked_after",
    "days_to_follow_up_end >= 0 and days_to_follow_up_end < 30 and not reoffended",
    "proven_reoffences >= 2 or (reoffended and gravity_max between 6 and 8)",
    "event.kind == 'person_changed' and event.field == 'caseworker' and event.new != event.old",
};

// Synthetic members: kSlots Values per member, member after member, in one vector. Text points
// into the constant pools below, which outlive everything.
struct Members {
  std::vector<Value> values;
  std::vector<std::uint8_t> changed_looked_after;
};

constexpr std::array<std::string_view, 4> kGenders{"male", "female", "other", "unknown"};
constexpr std::array<std::string_view, 6> kEthnicities{
    "white british", "white other", "black", "asian", "mixed", "not stated"};
constexpr std::array<std::string_view, 5> kTeams{"north", "south", "east", "west", "central"};
constexpr std::array<std::string_view, 6> kCaseworkers{"sam@example.org", "kim@example.org",
                                                       "pat@example.org", "lee@example.org",
                                                       "ash@example.org", "jo@example.org"};
constexpr std::array<std::string_view, 6> kOutcomeTypes{"youth_caution",
                                                        "youth_conditional_caution",
                                                        "referral_order",
                                                        "youth_rehabilitation_order",
                                                        "detention_and_training_order",
                                                        "fine"};
constexpr std::array<std::string_view, 6> kOutcomeGroups{"pre_court", "pre_court", "first_tier",
                                                         "community", "custody",   "first_tier"};
constexpr std::array<std::string_view, 3> kEventKinds{"offence_recorded", "person_changed",
                                                      "outcome_recorded"};
constexpr std::array<std::string_view, 2> kFocusLac{"lac", "recent"};
constexpr std::array<std::string_view, 1> kFocusRecent{"recent"};
constexpr std::array<std::string_view, 2> kFocusSeventeen{"seventeen", "lac"};

Members makeMembers(std::size_t count, std::uint64_t seed, Date today) {
  std::mt19937_64 random(seed);
  auto below = [&](std::uint64_t n) { return static_cast<std::int64_t>(random() % n); };
  auto chance = [&](int percent) { return below(100) < percent; };
  auto pick = [&](const auto& pool) { return pool[static_cast<std::size_t>(below(pool.size()))]; };

  Members members;
  members.values.reserve(count * kSlots);
  members.changed_looked_after.reserve(count);
  std::array<Value, kSlots> row{};
  for (std::size_t m = 0; m < count; ++m) {
    const int days_since_index = static_cast<int>(below(540));
    const Date index_date = today.addDays(-days_since_index);
    const auto age_at_index = 10 + below(8);
    const auto age_now = age_at_index + (days_since_index > 365 && chance(50) ? 1 : 0);
    const int follow_up_days = index_date.daysUntil(index_date.addMonths(12));
    const auto reoffences = chance(70) ? 0 : 1 + below(4);
    row[kAgeAtIndex] = Value::ofInteger(age_at_index);
    row[kAgeNow] = Value::ofInteger(age_now);
    row[kGender] = chance(3) ? Value::none(ValueType::kText) : Value::ofText(pick(kGenders));
    row[kEthnicity] =
        chance(10) ? Value::none(ValueType::kText) : Value::ofText(pick(kEthnicities));
    row[kLookedAfter] = chance(5) ? Value::none(ValueType::kBool) : Value::ofBool(chance(20));
    row[kTeam] = Value::ofText(pick(kTeams));
    row[kCaseworker] =
        chance(8) ? Value::none(ValueType::kText) : Value::ofText(pick(kCaseworkers));
    row[kIndexDate] = Value::ofDate(index_date);
    const auto outcome = static_cast<std::size_t>(below(kOutcomeTypes.size()));
    row[kIndexOutcomeType] = Value::ofText(kOutcomeTypes[outcome]);
    row[kIndexOutcomeGroup] = Value::ofText(kOutcomeGroups[outcome]);
    row[kDaysSinceIndex] = Value::ofInteger(days_since_index);
    row[kDaysToFollowUpEnd] = Value::ofInteger(follow_up_days - days_since_index);
    row[kTurns18] = Value::ofBool(age_at_index == 17 && chance(60));
    row[kPriorOffences] = Value::ofInteger(chance(40) ? 0 : 1 + below(8));
    row[kGravityMax] =
        chance(10) ? Value::none(ValueType::kInteger) : Value::ofInteger(1 + below(8));
    row[kProvenReoffences] = Value::ofInteger(reoffences);
    row[kPendingOffences] = Value::ofInteger(chance(85) ? 0 : 1 + below(3));
    row[kReoffended] = Value::ofBool(reoffences > 0);
    switch (below(6)) {
      case 0: row[kFocus] = Value::ofList(kFocusLac); break;
      case 1: row[kFocus] = Value::ofList(kFocusRecent); break;
      case 2: row[kFocus] = Value::ofList(kFocusSeventeen); break;
      default: row[kFocus] = Value::ofList({}); break;
    }
    const auto open_actions = below(6);
    row[kOpenActions] = Value::ofInteger(open_actions);
    row[kOverdueActions] = Value::ofInteger(
        open_actions == 0 ? 0 : below(static_cast<std::uint64_t>(open_actions) + 1));
    row[kDaysSinceReview] =
        chance(20) ? Value::none(ValueType::kInteger) : Value::ofInteger(below(90));
    const auto kind = pick(kEventKinds);
    row[kEventKind] = Value::ofText(kind);
    row[kEventOffenceDate] = kind == "offence_recorded"
                                 ? Value::ofDate(index_date.addDays(static_cast<int>(below(200))))
                                 : Value::none(ValueType::kDate);
    const bool person_changed = kind == "person_changed";
    row[kEventField] = person_changed ? Value::ofText(chance(50) ? "caseworker" : "looked_after")
                                      : Value::none(ValueType::kText);
    row[kEventOld] =
        person_changed ? Value::ofText(pick(kCaseworkers)) : Value::none(ValueType::kText);
    row[kEventNew] =
        person_changed ? Value::ofText(pick(kCaseworkers)) : Value::none(ValueType::kText);
    members.values.insert(members.values.end(), row.begin(), row.end());
    members.changed_looked_after.push_back(person_changed && chance(50) ? 1 : 0);
  }
  return members;
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of this thread: unlike the wall clock, not inflated when other processes share the core.
double threadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  const Date today = *Date::parse("2025-06-30");
  const Catalog catalog = memberCatalog();

  auto start = Clock::now();
  const Members members = makeMembers(options.members, options.seed, today);
  const double build_seconds = secondsSince(start);

  start = Clock::now();
  std::vector<Expression> rules;
  for (const auto text : kRules) {
    auto compiled = Expression::compile(text, catalog);
    if (const auto* error = std::get_if<ExpressionError>(&compiled)) {
      fmt::print(stderr, "rules_bench: {}\n", error->render(text));
      return 1;
    }
    rules.push_back(std::move(std::get<Expression>(compiled)));
  }
  const double compile_seconds = secondsSince(start);

  // Member after member, every rule on each: the order the service evaluates in, and the one that
  // reads the member table once.
  static constexpr std::array<std::string_view, 1> kChangedLookedAfter{"looked_after"};
  std::vector<std::uint64_t> matched(rules.size(), 0);
  const double cpu_start = threadCpuSeconds();
  start = Clock::now();
  for (std::size_t m = 0; m < options.members; ++m) {
    const std::span<const Value> fields(members.values.data() + m * kSlots, kSlots);
    const Context context{fields, today,
                          members.changed_looked_after[m] != 0
                              ? std::span<const std::string_view>(kChangedLookedAfter)
                              : std::span<const std::string_view>()};
    for (std::size_t r = 0; r < rules.size(); ++r)
      matched[r] += rules[r].evaluate(context) ? 1U : 0U;
  }
  const double seconds = secondsSince(start);
  const double cpu_seconds = threadCpuSeconds() - cpu_start;

  const double evaluations =
      static_cast<double>(options.members) * static_cast<double>(rules.size());
  fmt::print("members                {}\n", options.members);
  fmt::print("rules                  {}\n", rules.size());
  fmt::print("contexts built in      {:.3f} s ({} bytes per Value, {} fields per member)\n",
             build_seconds, sizeof(Value), static_cast<int>(kSlots));
  fmt::print("rules compiled in      {:.6f} s\n", compile_seconds);
  fmt::print("evaluations            {:.0f}\n", evaluations);
  fmt::print("total                  {:.3f} s wall, {:.3f} s CPU (one thread)\n", seconds,
             cpu_seconds);
  fmt::print("evaluations/s          {:.0f} wall, {:.0f} CPU\n", evaluations / seconds,
             evaluations / cpu_seconds);
  fmt::print("ns per evaluation      {:.1f} wall, {:.1f} CPU\n", seconds * 1e9 / evaluations,
             cpu_seconds * 1e9 / evaluations);
  fmt::print("\nmatched  rule\n");
  for (std::size_t r = 0; r < rules.size(); ++r) {
    fmt::print("{:>7}  {}\n", matched[r], rules[r].text());
  }
  return 0;
}
