#include "rules/member_table.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace cohortwatch::rules {

namespace {

// Each distinct text once in the table's storage, so that views of it stay valid and equal texts
// share one copy.
class TextPool {
 public:
  explicit TextPool(std::deque<std::string>& storage) : storage_(storage) {}
  std::string_view intern(std::string_view text) {
    if (text.empty()) return {};
    auto it = index_.find(text);
    if (it != index_.end()) return it->second;
    const std::string& stored = storage_.emplace_back(text);
    index_.emplace(stored, stored);
    return stored;
  }

 private:
  std::deque<std::string>& storage_;
  std::unordered_map<std::string_view, std::string_view> index_;
};

struct PersonCasework {
  const tracking::PersonDetails* details = nullptr;
  std::vector<std::optional<tracking::Date>> action_due_dates;
  std::optional<tracking::Date> last_review;
};

}  // namespace

MemberTable buildMemberTable(const tracking::CohortData& data,
                             const tracking::CohortResults& results,
                             const tracking::Methodology& methodology, const Casework& casework) {
  MemberTable table;
  table.as_of = results.as_of;
  TextPool pool(table.text_storage);

  std::unordered_map<std::string_view, PersonCasework> by_person;
  by_person.reserve(casework.people.size());
  for (const auto& person : casework.people) by_person[person.person_id].details = &person;
  for (const auto& action : casework.open_actions) {
    by_person[action.person_id].action_due_dates.push_back(action.due_on);
  }
  for (const auto& [person_id, date] : casework.last_reviews) by_person[person_id].last_review = date;

  // Each child's offences, for their offending before the index date.
  std::vector<std::uint32_t> first_offence(data.people.size() + 1, 0);
  for (const auto& offence : data.offences) ++first_offence[offence.person + 1];
  for (std::size_t p = 0; p < data.people.size(); ++p) first_offence[p + 1] += first_offence[p];
  std::vector<std::uint32_t> offence_order(data.offences.size());
  {
    std::vector<std::uint32_t> next(first_offence.begin(), first_offence.end() - 1);
    for (std::uint32_t i = 0; i < data.offences.size(); ++i) {
      offence_order[next[data.offences[i].person]++] = i;
    }
  }

  std::vector<std::string_view> type_names, group_names;
  for (const auto& code : data.outcome_types) {
    type_names.push_back(pool.intern(code));
    const auto* rule = methodology.settings().findOutcomeType(code);
    group_names.push_back(rule ? pool.intern(config::toString(rule->group)) : std::string_view());
  }

  std::size_t count = 0;
  for (const auto& cohort : results.cohorts) count += cohort.members.size();
  table.members.reserve(count);
  const tracking::Date as_of = results.as_of;
  for (const auto& cohort : results.cohorts) {
    const std::string_view cohort_name = pool.intern(cohort.quarter.name());
    for (const auto& member : cohort.members) {
      const auto& person = data.people[member.person];
      MemberFacts facts;
      facts.person_id = pool.intern(person.person_id);
      facts.cohort = cohort.quarter;
      facts.cohort_name = cohort_name;
      facts.cohort_status = cohort.status;
      facts.index_date = member.index_date;
      facts.date_of_birth = person.date_of_birth;
      facts.age_at_index = member.age_at_index;
      facts.age_now = tracking::ageOn(person.date_of_birth, as_of);
      if (auto it = by_person.find(person.person_id); it != by_person.end()) {
        const PersonCasework& work = it->second;
        if (const auto* details = work.details) {
          facts.gender = pool.intern(details->gender);
          facts.ethnicity = pool.intern(details->ethnicity);
          facts.looked_after = details->looked_after;
          facts.team = pool.intern(details->team);
          facts.caseworker = pool.intern(details->caseworker);
        }
        for (const auto& due : work.action_due_dates) {
          ++facts.open_actions;
          if (due && *due < as_of) ++facts.overdue_actions;
        }
        facts.last_review = work.last_review;
      }
      facts.index_outcome_type = type_names[member.index_outcome_type];
      facts.index_outcome_group = group_names[member.index_outcome_type];
      facts.follow_up = member.follow_up;
      facts.days_since_index = member.days_since_index;
      facts.days_to_follow_up_end = as_of.daysUntil(member.follow_up.last_day);
      facts.turns_18_in_follow_up = member.turns_18_in_follow_up;
      for (std::uint32_t k = first_offence[member.person]; k < first_offence[member.person + 1]; ++k) {
        const auto& offence = data.offences[offence_order[k]];
        if (offence.offence_date < member.index_date) ++facts.prior_offences;
        if (offence.offence_date <= member.index_date && offence.gravity > 0) {
          facts.gravity_max = std::max(facts.gravity_max.value_or(0), int{offence.gravity});
        }
      }
      facts.proven_reoffences = member.proven_reoffences;
      facts.pending_offences = member.pending_offences;
      facts.first_reoffence_date = member.first_reoffence_date;
      table.members.push_back(facts);
    }
  }
  return table;
}

MemberTable loadMemberTable(tracking::Store& store, const tracking::Methodology& methodology,
                            tracking::Date as_of) {
  const auto data = store.loadCohortData();
  const tracking::CohortEngine engine(methodology);
  const auto results = engine.compute(data, {as_of, true});
  auto& alerting = store.alerting();
  const auto people = alerting.personDetails();
  const auto actions = alerting.openActions();
  const auto reviews = alerting.lastReviews();
  return buildMemberTable(data, results, methodology, {people, actions, reviews});
}

}  // namespace cohortwatch::rules
