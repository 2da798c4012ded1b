// Change events: what an ingest changed, in the methodology's terms, recorded in the same
// transaction as the change so that nothing is lost between ingest and the rules engine.
// Kinds: cohort_entry (a child's earliest index event in a quarter, in the age range),
// offence_recorded (with whether it falls in a follow-up period), offence_proven (a new proving
// outcome), person_changed (attribute, old and new value), data_quality (an index event under
// the minimum age). Details are JSON objects of ids, dates and codes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tracking/methodology.h"
#include "tracking/store.h"

namespace cohortwatch::connectors {

class ChangeEventRecorder {
 public:
  ChangeEventRecorder(tracking::Store& store, const config::MethodologySettings& methodology,
                      std::string source);

  void personApplied(const tracking::PersonRecord& person,
                     const std::vector<tracking::PersonChange>& changes);
  void offenceApplied(const tracking::OffenceRecord& offence, tracking::Applied applied);
  void outcomeApplied(const tracking::OutcomeRecord& outcome, tracking::Applied applied);

  // The source events are recorded under (a retry applies rows of several sources).
  void setSource(std::string source) { source_ = std::move(source); }

  // Forgets what was read from the store: called when a transaction begins, as another process
  // may have written since.
  void reset() { cached_.valid = false; }

 private:
  struct Membership {
    tracking::Quarter quarter;
    std::string cohort;      // quarter.name()
    std::string outcome_id;  // the index event
    tracking::Date index_date;
    int age = 0;
    tracking::FollowUpWindow follow_up;
  };
  // The child's cohort memberships, from their outcomes and date of birth in the store. Those of
  // the last child asked about are kept (consecutive rows of an export usually concern the same
  // child) until an outcome or a person is applied that could change them.
  const std::vector<Membership>& memberships(const std::string& person_id);
  std::vector<std::string> cohortsFollowing(const std::string& person_id, tracking::Date date);
  void append(const char* kind, const std::string& person_id, std::string_view occurred_on,
              std::string_view detail);

  tracking::Store& store_;
  tracking::Methodology methodology_;
  std::string source_;
  tracking::ChangeEvent event_;  // the event being appended
  std::string detail_;            // its detail, being written
  struct {
    bool valid = false;
    std::string person_id;
    std::vector<Membership> list;
  } cached_;
};

}  // namespace cohortwatch::connectors
