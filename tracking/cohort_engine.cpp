#include "tracking/cohort_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>
#include <span>

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
                        const std::vector<bool>* keep = nullptr) {
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
  std::vector<bool> has_outcome(data.offences.size(), false);
  std::vector<bool> is_index_event(data.outcomes.size(), false);
  for (std::size_t i = 0; i < data.outcomes.size(); ++i) {
    const auto& outcome = data.outcomes[i];
    const int day = outcome.outcome_date.dayNumber();
    if (day > as_of_day) continue;  // not known yet as of the date
    const auto* rule = rules[outcome.type];
    if (outcome.offence != kNoOffence) {
      const auto offence = static_cast<std::size_t>(outcome.offence);
      has_outcome[offence] = true;
      if (rule != nullptr && rule->proves) proven_on[offence] = std::min(proven_on[offence], day);
    }
    is_index_event[i] = rule != nullptr && rule->index_event;
  }

  const std::size_t people = data.people.size();
  const auto offences_of = ByPerson::build(people, data.offences.size(),
                                           [&](std::size_t i) { return data.offences[i].person; });
  auto index_events_of = ByPerson::build(
      people, data.outcomes.size(), [&](std::size_t i) { return data.outcomes[i].person; },
      &is_index_event);

  struct Tally {
    long size = 0, reoffenders = 0, reoffences = 0;
    std::vector<CohortMember> members;
  };
  std::map<int, Tally> tallies;  // by quarter ordinal

  for (std::size_t p = 0; p < people; ++p) {
    const auto first = index_events_of.items.begin() + index_events_of.offsets[p];
    const auto last = index_events_of.items.begin() + index_events_of.offsets[p + 1];
    if (first == last) continue;
    std::sort(first, last, [&](std::uint32_t a, std::uint32_t b) {
      return data.outcomes[a].outcome_date < data.outcomes[b].outcome_date;
    });
    const Date birth = data.people[p].date_of_birth;
    int previous_quarter = INT_MIN;
    for (auto it = first; it != last; ++it) {
      const auto& event = data.outcomes[*it];
      const Quarter quarter = Quarter::containing(event.outcome_date);
      if (quarter.ordinal() == previous_quarter) continue;  // only the earliest event in a quarter
      previous_quarter = quarter.ordinal();

      const int age = ageOn(birth, event.outcome_date);
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
      member.follow_up = methodology_.followUp(event.outcome_date);
      member.days_since_index = event.outcome_date.daysUntil(as_of);
      member.turns_18_in_follow_up = age < 18 && ageOn(birth, member.follow_up.last_day) >= 18;

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
        results.warnings.push_back(
            {WarningKind::kTurns18InFollowUp, data.people[p].person_id,
             fmt::format("turns 18 during the follow-up of {} (ends {}); further offending after "
                         "18 may be missing from youth records",
                         quarter.name(), member.follow_up.last_day.toString())});
      }

      Tally& tally = tallies[quarter.ordinal()];
      ++tally.size;
      if (member.reoffended()) ++tally.reoffenders;
      tally.reoffences += member.proven_reoffences;
      if (options.keep_members) tally.members.push_back(member);
    }
  }

  for (std::size_t o = 0; o < data.offences.size(); ++o) {
    const auto& offence = data.offences[o];
    if (has_outcome[o] || offence.offence_date > as_of) continue;
    if (offence.offence_date.addMonths(settings.unresolved_offence_months) < as_of) {
      results.warnings.push_back(
          {WarningKind::kOffenceWithoutOutcome, data.people[offence.person].person_id,
           fmt::format("an offence committed on {} has no outcome after {} months",
                       offence.offence_date.toString(), settings.unresolved_offence_months)});
    }
  }

  for (auto& [ordinal, tally] : tallies) {
    Cohort cohort;
    cohort.quarter = Quarter::fromOrdinal(ordinal);
    cohort.status = methodology_.status(cohort.quarter, as_of);
    cohort.measures = measuresFrom(tally.size, tally.reoffenders, tally.reoffences);
    cohort.members = std::move(tally.members);
    std::sort(cohort.members.begin(), cohort.members.end(),
              [&](const CohortMember& a, const CohortMember& b) {
                if (a.index_date != b.index_date) return a.index_date < b.index_date;
                return data.people[a.person].person_id < data.people[b.person].person_id;
              });
    results.cohorts.push_back(std::move(cohort));
  }
  return results;
}

}  // namespace cohortwatch::tracking
