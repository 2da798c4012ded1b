// Everything the rules and the retrospective analysis know about one cohort member as of a date:
// the engine's tracking of the member (CohortMember) joined with the child's attributes (gender,
// looked-after, team, ...), their offending before the index date and the review workflow
// (actions, reviews). A MemberTable holds one row per member of every cohort; its text fields
// point into the table's own storage, so rows stay valid as long as the table does.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracking/civil_date.h"
#include "tracking/methodology.h"

namespace cohortwatch::rules {

struct MemberFacts {
  std::string_view person_id;
  tracking::Quarter cohort;
  std::string_view cohort_name;  // e.g. "2025Q1"
  tracking::CohortStatus cohort_status = tracking::CohortStatus::kNotStarted;
  tracking::Date index_date;
  tracking::Date date_of_birth;
  int age_at_index = 0;
  int age_now = 0;  // on the as-of date
  std::string_view gender;     // male, female, other, unknown, or empty when not recorded
  std::string_view ethnicity;  // free text as recorded, empty when not recorded
  std::optional<bool> looked_after;
  std::string_view team;
  std::string_view caseworker;  // e-mail address, empty when none
  std::string_view index_outcome_type;   // e.g. youth_caution
  std::string_view index_outcome_group;  // e.g. pre_court
  tracking::FollowUpWindow follow_up;
  int days_since_index = 0;
  int days_to_follow_up_end = 0;  // negative once the follow-up has ended
  bool turns_18_in_follow_up = false;
  int prior_offences = 0;            // offences committed before the index date
  std::optional<int> gravity_max;    // highest gravity of offences up to and on the index date
  int proven_reoffences = 0;
  int pending_offences = 0;
  std::optional<tracking::Date> first_reoffence_date;
  bool reoffended() const { return proven_reoffences > 0; }
  int open_actions = 0;
  int overdue_actions = 0;
  std::optional<tracking::Date> last_review;
};

struct MemberTable {
  tracking::Date as_of;
  std::vector<MemberFacts> members;  // by cohort, then index date, then person id
  // Storage the views above point into (a deque: its strings never move); not for reading.
  std::deque<std::string> text_storage;
};

}  // namespace cohortwatch::rules
