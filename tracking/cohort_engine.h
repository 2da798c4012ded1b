// The cohort engine: from the stored facts, decides who is in which quarterly cohort as of a date,
// follows each member through the follow-up window and computes the official measures
// (DOMAIN.md, "Definitions"), plus each member's live tracking and data-quality warnings.
// It is a pure computation over CohortData: no I/O, no clock (the as-of date is an argument).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tracking/cohort_data.h"
#include "tracking/methodology.h"

namespace cohortwatch::tracking {

struct CohortMeasures {
  long cohort_size = 0;
  long reoffenders = 0;
  long reoffences = 0;
  double binary_rate = 0.0;                // 100 x reoffenders / cohort_size
  double frequency_rate = 0.0;             // reoffences / cohort_size
  double reoffences_per_reoffender = 0.0;  // reoffences / reoffenders, 0 when there are none
};

// One child in one quarterly cohort, tracked as of the engine's date.
struct CohortMember {
  std::uint32_t person = 0;  // position in CohortData::people
  Date index_date;
  std::uint16_t index_outcome_type = 0;  // position in CohortData::outcome_types
  int age_at_index = 0;
  FollowUpWindow follow_up;
  int days_since_index = 0;
  int proven_reoffences = 0;
  int pending_offences = 0;  // committed in follow-up, not breaches, not proven as of the date
  std::optional<Date> first_reoffence_date;  // offence date of the earliest proven reoffence
  bool turns_18_in_follow_up = false;
  bool reoffended() const { return proven_reoffences > 0; }
};

struct Cohort {
  Quarter quarter;
  CohortStatus status = CohortStatus::kNotStarted;
  CohortMeasures measures;
  std::vector<CohortMember> members;  // ordered by index date, then person id
};

enum class WarningKind {
  kUnderAgeIndexEvent,     // an index event before the minimum age: a data error
  kTurns18InFollowUp,      // further offending after 18 may be missing from youth systems
  kOffenceWithoutOutcome,  // no outcome at all long after the offence
  kUnknownOutcomeType,     // a stored code the methodology table no longer lists
};

std::string_view toString(WarningKind kind);

struct DataQualityWarning {
  WarningKind kind;
  std::string person_id;  // empty for warnings about codes
  std::string detail;     // no personal data: ids, dates and codes only
};

struct CohortResults {
  Date as_of;
  std::vector<Cohort> cohorts;  // every quarter with at least one member, in order
  std::vector<DataQualityWarning> warnings;

  const Cohort* find(Quarter quarter) const;
};

struct EngineOptions {
  Date as_of;
  bool keep_members = true;  // false: measures only (faster, less memory)
};

class CohortEngine {
 public:
  explicit CohortEngine(const Methodology& methodology) : methodology_(methodology) {}

  CohortResults compute(const CohortData& data, const EngineOptions& options) const;

 private:
  const Methodology& methodology_;
};

// Measures from counts, with the conventions above (0 for empty denominators).
CohortMeasures measuresFrom(long cohort_size, long reoffenders, long reoffences);

}  // namespace cohortwatch::tracking
