// The facts the cohort engine works from, loaded from the store in one pass and laid out for speed:
// people, offences and outcomes refer to each other by position in these vectors, not by id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tracking/civil_date.h"

namespace cohortwatch::tracking {

inline constexpr std::int32_t kNoOffence = -1;

struct PersonFacts {
  std::string person_id;
  Date date_of_birth;
};

struct OffenceFacts {
  std::uint32_t person = 0;  // position in CohortData::people
  Date offence_date;
  bool breach = false;
  std::uint8_t gravity = 0;  // 1-8, 0 when not recorded
};

struct OutcomeFacts {
  std::uint32_t person = 0;
  std::int32_t offence = kNoOffence;  // position in CohortData::offences
  std::uint16_t type = 0;             // position in CohortData::outcome_types
  Date outcome_date;
};

struct CohortData {
  std::vector<PersonFacts> people;
  std::vector<OffenceFacts> offences;
  std::vector<OutcomeFacts> outcomes;
  std::vector<std::string> outcome_types;  // distinct outcome_type codes seen
};

}  // namespace cohortwatch::tracking
