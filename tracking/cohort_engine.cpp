#include "tracking/cohort_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cohortwatch::tracking {

namespace {

constexpr int kNever = INT_MAX;

// Positions of items grouped by person, in compressed-row form: the items of person p are
// items[offsets[p] .. offsets[p + 1]).
struct ByPerson {
  std::vector<std::uint32_t> offsets;
  std::vector<std::uint32_t> items;

  template <typename PersonOf>
  static ByPerson build(std::size_t people, std::size_t count, PersonOf personOf,
                        const std::vector<std::uint8_t>* keep = nullptr) {
    ByPerson grouped;
    grouped.offsets.assign(people + 1, 0);
    for (std::size_t i = 0; i < count; ++i) {
      if (keep == nullptr || (*keep)[i]) ++grouped.offsets[personOf(i) + 1];
    }
    for (std::size_t p = 0; p < people; ++p) grouped.offsets[p + 1] += grouped.offsets[p];
    grouped.items.resize(grouped.offsets[people]);
    std::vector<std::uint32_t> next(grouped.offsets.begin(), grouped.offsets.end() - 1);
    for (std::size_t i = 0; i < count; ++i) {
      if (keep == nullptr || (*keep)[i]) grouped.items[next[personOf(i)]++] = static_cast<std::uint32_t>(i);
    }
    return grouped;
  }

  std::span<const std::uint32_t> of(std::size_t person) const {
    return {items.data() + offsets[person], items.data() + offsets[person + 1]};
  }
};

// Age in whole years, as ageOn() in civil_date.h counts it, from dates already split into year,
// month and day (the engine splits each date once, not once per comparison).
int ageBetween(const std::chrono::year_month_day& birth, const std::chrono::year_month_day& on) {
  int age = static_cast<int>(on.year()) - static_cast<int>(birth.year());
  if (on.month() < birth.month() || (on.month() == birth.month() && on.day() < birth.day())) {
    --age;
  }
  return age;
}

// Values that depend only on a calendar day, made on first use and kept for the days of
// [first, last]; outside that span (or when it is implausibly long) they are made every time.
template <typename Value>
class PerDay {
 public:
  PerDay(int first, int last) : first_(first) {
    if (first <= last && last - first < kMaxDays)
      values_.resize(static_cast<std::size_t>(last - first + 1));
  }

  template <typename Make>
  Value& get(int day, Make make) {
    if (day >= first_ && static_cast<std::size_t>(day - first_) < values_.size()) {
      auto& slot = values_[static_cast<std::size_t>(day - first_)];
      if (!slot) slot.emplace(make());
      return *slot;
    }
    scratch_ = make();
    return scratch_;
  }

 private:
  static constexpr int kMaxDays = 200 * 366;
  int first_;
  std::vector<std::optional<Value>> values_;
  Value scratch_{};
};

// Stable counting sort by index date: a quarterly cohort has at most 92 index dates.
std::vector<CohortMember> sortedByIndexDate(std::vector<CohortMember> members) {
  if (members.empty()) return members;
  int first = INT_MAX, last = INT_MIN;
  for (const auto& member : members) {
    first = std::min(first, member.index_date.dayNumber());
    last = std::max(last, member.index_date.dayNumber());
  }
  if (last - first > 366) {
    std::stable_sort(
        members.begin(), members.end(),
        [](const CohortMember& a, const CohortMember& b) { return a.index_date < b.index_date; });
    return members;
  }
  std::vector<std::size_t> start(static_cast<std::size_t>(last - first + 2), 0);
  for (const auto& member : members)
    ++start[static_cast<std::size_t>(member.index_date.dayNumber() - first + 1)];
  for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  std::vector<CohortMember> sorted(members.size());
  for (auto& member : members) {
    sorted[start[static_cast<std::size_t>(member.index_date.dayNumber() - first)]++] =
        std::move(member);
  }
  return sorted;
}

}  // namespace

std::string_view toString(WarningKind kind) {
  switch (kind) {
    case WarningKind::kUnderAgeIndexEvent: return "under_age_index_event";
    case WarningKind::kTurns18InFollowUp: return "turns_18_in_follow_up";
    case WarningKind::kOffenceWithoutOutcome: return "offence_without_outcome";
    case WarningKind::kUnknownOutcomeType: return "unknown_outcome_type";
  }
  return "unknown";
}

const Cohort* CohortResults::find(Quarter quarter) const {
  auto it = std::find_if(cohorts.begin(), cohorts.end(),
                         [&](const Cohort& cohort) { return cohort.quarter == quarter; });
  return it == cohorts.end() ? nullptr : &*it;
}

CohortMeasures measuresFrom(long cohort_size, long reoffenders, long reoffences) {
  CohortMeasures m;
  m.cohort_size = cohort_size;
  m.reoffenders = reoffenders;
  m.reoffences = reoffences;
  if (cohort_size > 0) {
    m.binary_rate = 100.0 * static_cast<double>(reoffenders) / static_cast<double>(cohort_size);
    m.frequency_rate = static_cast<double>(reoffences) / static_cast<double>(cohort_size);
  }
  if (reoffenders > 0) {
    m.reoffences_per_reoffender = static_cast<double>(reoffences) / static_cast<double>(reoffenders);
  }
  return m;
}

CohortResults CohortEngine::compute(const CohortData& data, const EngineOptions& options) const {
  const auto& settings = methodology_.settings();
  const Date as_of = options.as_of;
  const int as_of_day = as_of.dayNumber();
  CohortResults results;
  results.as_of = as_of;

  // How each stored outcome-type code is treated under the current methodology table.
  std::vector<const config::OutcomeTypeRule*> rules(data.outcome_types.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    rules[i] = settings.findOutcomeType(data.outcome_types[i]);
    if (rules[i] == nullptr) {
      results.warnings.push_back(
          {WarningKind::kUnknownOutcomeType, "",
           fmt::format("outcome type '{}' is stored but not in methodology.outcome_types; its "
                       "outcomes neither prove offences nor start cohort membership",
                       data.outcome_types[i])});
    }
  }

  // For each offence: the earliest proving outcome known as of the date, and whether it has any
  // outcome at all. An offence counts once however many outcomes it has.
  std::vector<int> proven_on(data.offences.size(), kNever);
  std::vector<std::uint8_t> has_outcome(data.offences.size(), 0);
  std::vector<std::uint8_t> is_index_event(data.outcomes.size(), 0);
  int first_index_day = INT_MAX, last_index_day = INT_MIN;
  for (std::size_t i = 0; i < data.outcomes.size(); ++i) {
    const auto& outcome = data.outcomes[i];
    const int day = outcome.outcome_date.dayNumber();
    if (day > as_of_day) continue;  // not known yet as of the date
    const auto* rule = rules[outcome.type];
    if (outcome.offence != kNoOffence) {
      const auto offence = static_cast<std::size_t>(outcome.offence);
      has_outcome[offence] = 1;
      if (rule != nullptr && rule->proves) proven_on[offence] = std::min(proven_on[offence], day);
    }
    if (rule != nullptr && rule->index_event) {
      is_index_event[i] = 1;
      first_index_day = std::min(first_index_day, day);
      last_index_day = std::max(last_index_day, day);
    }
  }

  const std::size_t people = data.people.size();
  const auto offences_of = ByPerson::build(people, data.offences.size(),
                                           [&](std::size_t i) { return data.offences[i].person; });
  auto index_events_of = ByPerson::build(
      people, data.outcomes.size(), [&](std::size_t i) { return data.outcomes[i].person; },
      &is_index_event);

  // Everything that depends only on the index date, worked out once per day: a million
  // memberships share a few hundred index dates.
  struct IndexDay {
    int quarter = 0;  // ordinal
    FollowUpWindow follow_up;
    std::chrono::year_month_day date;
    std::chrono::year_month_day follow_up_last_day;
    std::string turns_18_detail;  // the warning's text, made when first needed
  };
  PerDay<IndexDay> index_days(first_index_day, last_index_day);
  auto makeIndexDay = [&](Date date) {
    IndexDay day;
    day.quarter = Quarter::containing(date).ordinal();
    day.follow_up = methodology_.followUp(date);
    day.date = date.ymd();
    day.follow_up_last_day = day.follow_up.last_day.ymd();
    return day;
  };

  struct Tally {
    long size = 0, reoffenders = 0, reoffences = 0;
    std::vector<CohortMember> members;
  };
  // By quarter ordinal, from the quarter of the earliest index date.
  const int first_quarter =
      first_index_day <= last_index_day
          ? Quarter::containing(Date::fromDayNumber(first_index_day)).ordinal()
          : 0;
  const int last_quarter = first_index_day <= last_index_day
                               ? Quarter::containing(Date::fromDayNumber(last_index_day)).ordinal()
                               : -1;
  std::vector<Tally> tallies(static_cast<std::size_t>(last_quarter - first_quarter + 1));

  for (std::size_t p = 0; p < people; ++p) {
    const auto first = index_events_of.items.begin() + index_events_of.offsets[p];
    const auto last = index_events_of.items.begin() + index_events_of.offsets[p + 1];
    if (first == last) continue;
    std::sort(first, last, [&](std::uint32_t a, std::uint32_t b) {
      return data.outcomes[a].outcome_date < data.outcomes[b].outcome_date;
    });
    const Date birth = data.people[p].date_of_birth;
    const auto birth_ymd = birth.ymd();
    int previous_quarter = INT_MIN;
    for (auto it = first; it != last; ++it) {
      const auto& event = data.outcomes[*it];
      IndexDay& day = index_days.get(event.outcome_date.dayNumber(),
                                     [&] { return makeIndexDay(event.outcome_date); });
      if (day.quarter == previous_quarter) continue;  // only the earliest event in a quarter
      previous_quarter = day.quarter;

      const int age = ageBetween(birth_ymd, day.date);
      if (age < settings.min_age) {
        results.warnings.push_back(
            {WarningKind::kUnderAgeIndexEvent, data.people[p].person_id,
             fmt::format("aged {} at the index event of {} (ages under {} are a data error)", age,
                         event.outcome_date.toString(), settings.min_age)});
      }
      if (!methodology_.inAgeRange(age)) continue;

      CohortMember member;
      member.person = static_cast<std::uint32_t>(p);
      member.index_date = event.outcome_date;
      member.index_outcome_type = event.type;
      member.age_at_index = age;
      member.follow_up = day.follow_up;
      member.days_since_index = event.outcome_date.daysUntil(as_of);
      member.turns_18_in_follow_up =
          age < 18 && ageBetween(birth_ymd, day.follow_up_last_day) >= 18;

      const int deadline = member.follow_up.proof_deadline.dayNumber();
      for (std::uint32_t o : offences_of.of(p)) {
        const auto& offence = data.offences[o];
        if (!member.follow_up.contains(offence.offence_date)) continue;
        if (offence.offence_date > as_of) continue;
        if (offence.breach && !settings.count_breaches) continue;
        if (static_cast<std::int32_t>(o) == event.offence) continue;  // the index offence itself
        const int proof = proven_on[o];
        if (proof <= deadline) {
          ++member.proven_reoffences;
          if (!member.first_reoffence_date || offence.offence_date < *member.first_reoffence_date) {
            member.first_reoffence_date = offence.offence_date;
          }
        } else if (proof == kNever) {
          ++member.pending_offences;
        }
      }

      if (member.turns_18_in_follow_up) {
        if (day.turns_18_detail.empty()) {
          day.turns_18_detail = fmt::format(
              "turns 18 during the follow-up of {} (ends {}); further offending after "
              "18 may be missing from youth records",
              Quarter::fromOrdinal(day.quarter).name(), member.follow_up.last_day.toString());
        }
        results.warnings.push_back(
            {WarningKind::kTurns18InFollowUp, data.people[p].person_id, day.turns_18_detail});
      }

      Tally& tally = tallies[static_cast<std::size_t>(day.quarter - first_quarter)];
      ++tally.size;
      if (member.reoffended()) ++tally.reoffenders;
      tally.reoffences += member.proven_reoffences;
      if (options.keep_members) tally.members.push_back(member);
    }
  }

  // Offences with no outcome at all: whether one is overdue, and the warning's text, depend only
  // on the day it was committed.
  struct UnresolvedDay {
    bool overdue = false;
    std::string detail;
  };
  // Collected without a branch per offence: which offences lack an outcome follows no pattern.
  std::vector<std::uint32_t> unresolved(data.offences.size());
  std::size_t unresolved_count = 0;
  for (std::size_t o = 0; o < data.offences.size(); ++o) {
    unresolved[unresolved_count] = static_cast<std::uint32_t>(o);
    unresolved_count += static_cast<std::size_t>(
        has_outcome[o] == 0 && data.offences[o].offence_date.dayNumber() <= as_of_day);
  }
  unresolved.resize(unresolved_count);
  int first_offence_day = INT_MAX, last_offence_day = INT_MIN;
  for (std::uint32_t o : unresolved) {
    const int day = data.offences[o].offence_date.dayNumber();
    first_offence_day = std::min(first_offence_day, day);
    last_offence_day = std::max(last_offence_day, day);
  }
  PerDay<UnresolvedDay> unresolved_days(first_offence_day, last_offence_day);
  for (std::uint32_t o : unresolved) {
    const auto& offence = data.offences[o];
    const auto& day = unresolved_days.get(offence.offence_date.dayNumber(), [&] {
      UnresolvedDay made;
      made.overdue = offence.offence_date.addMonths(settings.unresolved_offence_months) < as_of;
      if (made.overdue) {
        made.detail =
            fmt::format("an offence committed on {} has no outcome after {} months",
                        offence.offence_date.toString(), settings.unresolved_offence_months);
      }
      return made;
    });
    if (day.overdue) {
      results.warnings.push_back(
          {WarningKind::kOffenceWithoutOutcome, data.people[offence.person].person_id, day.detail});
    }
  }

  // Members are listed by index date, then person id. They were collected in person order, so
  // once they are in person-id order a stable pass by index date finishes the job.
  std::vector<std::uint32_t> rank;  // a person's place in person-id order, when not its position
  if (options.keep_members && !std::is_sorted(data.people.begin(), data.people.end(),
                                              [](const PersonFacts& a, const PersonFacts& b) {
                                                return a.person_id < b.person_id;
                                              })) {
    std::vector<std::uint32_t> order(people);
    for (std::size_t p = 0; p < people; ++p) order[p] = static_cast<std::uint32_t>(p);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return data.people[a].person_id < data.people[b].person_id;
    });
    rank.resize(people);
    for (std::size_t r = 0; r < people; ++r) rank[order[r]] = static_cast<std::uint32_t>(r);
  }

  for (std::size_t q = 0; q < tallies.size(); ++q) {
    Tally& tally = tallies[q];
    if (tally.size == 0) continue;
    Cohort cohort;
    cohort.quarter = Quarter::fromOrdinal(first_quarter + static_cast<int>(q));
    cohort.status = methodology_.status(cohort.quarter, as_of);
    cohort.measures = measuresFrom(tally.size, tally.reoffenders, tally.reoffences);
    if (!rank.empty()) {
      std::sort(tally.members.begin(), tally.members.end(),
                [&](const CohortMember& a, const CohortMember& b) {
                  return rank[a.person] < rank[b.person];
                });
    }
    cohort.members = sortedByIndexDate(std::move(tally.members));
    results.cohorts.push_back(std::move(cohort));
  }
  return results;
}

}  // namespace cohortwatch::tracking
