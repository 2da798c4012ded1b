// Canonical records (DOMAIN.md, "Data model"): what every export is mapped to before it is stored.
// Values here are already validated: required fields present, dates real, codes known.
#pragma once

#include <optional>
#include <string>

#include "tracking/civil_date.h"

namespace cohortwatch::tracking {

// Optional attributes are nullopt when the export has no such column: a later export without the
// column leaves the stored value alone, while an empty value in a present column clears it.
struct PersonRecord {
  std::string person_id;
  Date date_of_birth;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> gender;  // male, female, other, unknown (lower case) or empty
  std::optional<std::string> ethnicity;
  std::optional<bool> looked_after;  // nullopt also when the value is empty
  std::optional<std::string> caseworker;
  std::optional<std::string> team;
  std::string updated_at;  // normalised UTC "YYYY-MM-DDTHH:MM:SSZ", or empty when not given
};

struct OffenceRecord {
  std::string offence_id;
  std::string person_id;
  Date offence_date;
  std::string offence_code;
  std::string description;
  std::optional<int> gravity;
  bool breach = false;
};

struct OutcomeRecord {
  std::string outcome_id;
  std::string person_id;
  std::string offence_id;  // empty for release_from_custody
  std::string outcome_type;
  Date outcome_date;
};

// What the store knows of an offence, enough to validate an outcome that refers to it.
struct StoredOffence {
  std::string person_id;
  Date offence_date;
};

// A row that failed validation, kept for review and for a later retry.
struct RejectedRow {
  std::string source;  // "import" for the command line, a source name for the daemon
  std::string file;
  long line = 0;
  std::string kind;    // people, offences, outcomes
  std::string reason;  // "column: reason"
  std::string raw;     // the row as CSV, header order
  std::string header;  // the header line it was read under, so a retry can parse it again
};

// One change to a person's attributes, e.g. looked_after false -> true.
struct PersonChange {
  std::string person_id;
  std::string field;
  std::string old_value;
  std::string new_value;
  std::string changed_at;  // the source row's updated_at, or the day it was recorded
};

}  // namespace cohortwatch::tracking
