// Change events: what an ingest changed, in the methodology's terms, recorded in the same
// transaction as the change so that nothing is lost between ingest and the rules engine.
// Kinds: cohort_entry (a child's earliest index event in a quarter, in the age range),
// offence_recorded (with whether it falls in a follow-up period), offence_proven (a new proving
// outcome), person_changed (attribute, old and new value), data_quality (an index event under
// the minimum age). Details are JSON objects of ids, dates and codes.
#pragma once

#include <string>
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

 private:
  struct Membership {
    tracking::Quarter quarter;
    std::string outcome_id;  // the index event
    tracking::Date index_date;
    int age = 0;
    tracking::FollowUpWindow follow_up;
  };
  std::vector<Membership> memberships(const std::string& person_id);
  std::vector<std::string> cohortsFollowing(const std::string& person_id, tracking::Date date);
  void append(const char* kind, const std::string& person_id, const std::string& occurred_on,
              std::string detail);

  tracking::Store& store_;
  tracking::Methodology methodology_;
  std::string source_;
};

}  // namespace cohortwatch::connectors
