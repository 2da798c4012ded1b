#include "connectors/change_events.h"

#include <nlohmann/json.hpp>

#include <climits>

namespace cohortwatch::connectors {

using tracking::Applied;

ChangeEventRecorder::ChangeEventRecorder(tracking::Store& store,
                                         const config::MethodologySettings& methodology,
                                         std::string source)
    : store_(store), methodology_(methodology), source_(std::move(source)) {}

void ChangeEventRecorder::append(const char* kind, const std::string& person_id,
                                 const std::string& occurred_on, std::string detail) {
  store_.appendEvent({0, kind, person_id, occurred_on, std::move(detail), source_});
}

std::vector<ChangeEventRecorder::Membership> ChangeEventRecorder::memberships(
    const std::string& person_id) {
  std::vector<Membership> found;
  const auto birth = store_.personBirthDate(person_id);
  if (!birth) return found;
  int previous_quarter = INT_MIN;
  for (const auto& outcome : store_.personOutcomes(person_id)) {  // ordered by date
    const auto* rule = methodology_.settings().findOutcomeType(outcome.outcome_type);
    if (rule == nullptr || !rule->index_event) continue;
    const auto quarter = tracking::Quarter::containing(outcome.outcome_date);
    if (quarter.ordinal() == previous_quarter) continue;
    previous_quarter = quarter.ordinal();
    const int age = tracking::ageOn(*birth, outcome.outcome_date);
    found.push_back({quarter, outcome.outcome_id, outcome.outcome_date, age,
                     methodology_.followUp(outcome.outcome_date)});
  }
  return found;
}

std::vector<std::string> ChangeEventRecorder::cohortsFollowing(const std::string& person_id,
                                                               tracking::Date date) {
  std::vector<std::string> cohorts;
  for (const auto& membership : memberships(person_id)) {
    if (methodology_.inAgeRange(membership.age) && membership.follow_up.contains(date)) {
      cohorts.push_back(membership.quarter.name());
    }
  }
  return cohorts;
}

void ChangeEventRecorder::personApplied(const tracking::PersonRecord& person,
                                        const std::vector<tracking::PersonChange>& changes) {
  for (const auto& change : changes) {
    nlohmann::json detail = {{"field", change.field}, {"old", change.old_value}, {"new", change.new_value}};
    append("person_changed", person.person_id, change.changed_at.substr(0, 10), detail.dump());
  }
}

void ChangeEventRecorder::offenceApplied(const tracking::OffenceRecord& offence, Applied applied) {
  if (applied != Applied::kInserted) return;
  const auto cohorts = cohortsFollowing(offence.person_id, offence.offence_date);
  nlohmann::json detail = {{"offence_id", offence.offence_id},
                           {"offence_date", offence.offence_date.toString()},
                           {"breach", offence.breach},
                           {"in_follow_up", !cohorts.empty()},
                           {"cohorts", cohorts}};
  append("offence_recorded", offence.person_id, offence.offence_date.toString(), detail.dump());
}

void ChangeEventRecorder::outcomeApplied(const tracking::OutcomeRecord& outcome, Applied applied) {
  if (applied != Applied::kInserted) return;
  const auto* rule = methodology_.settings().findOutcomeType(outcome.outcome_type);
  if (rule == nullptr) return;
  const std::string date = outcome.outcome_date.toString();
  if (rule->proves && !outcome.offence_id.empty()) {
    const auto offence = store_.findOffence(outcome.offence_id);
    const auto cohorts = offence ? cohortsFollowing(outcome.person_id, offence->offence_date)
                                 : std::vector<std::string>{};
    nlohmann::json detail = {{"outcome_id", outcome.outcome_id},
                             {"offence_id", outcome.offence_id},
                             {"outcome_type", outcome.outcome_type},
                             {"outcome_date", date},
                             {"in_follow_up", !cohorts.empty()},
                             {"cohorts", cohorts}};
    append("offence_proven", outcome.person_id, date, detail.dump());
  }
  if (!rule->index_event) return;
  for (const auto& membership : memberships(outcome.person_id)) {
    if (membership.outcome_id != outcome.outcome_id) continue;
    if (membership.age < methodology_.settings().min_age) {
      nlohmann::json detail = {{"problem", "under_age_index_event"},
                               {"outcome_id", outcome.outcome_id},
                               {"age", membership.age},
                               {"outcome_date", date}};
      append("data_quality", outcome.person_id, date, detail.dump());
    } else if (methodology_.inAgeRange(membership.age)) {
      nlohmann::json detail = {{"cohort", membership.quarter.name()},
                               {"outcome_id", outcome.outcome_id},
                               {"outcome_type", outcome.outcome_type},
                               {"index_date", date},
                               {"age_at_index", membership.age},
                               {"follow_up_end", membership.follow_up.last_day.toString()}};
      append("cohort_entry", outcome.person_id, date, detail.dump());
    }
  }
}

}  // namespace cohortwatch::connectors
