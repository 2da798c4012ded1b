// Builds the MemberTable (rules/member_facts.h) the rules and the retrospective analysis work on:
// the cohort engine's members as of a date, joined with each child's attributes, their offending
// before the index date, and their actions and reviews.
#pragma once

#include <span>
#include <utility>

#include "rules/member_facts.h"
#include "tracking/cohort_engine.h"
#include "tracking/store.h"

namespace cohortwatch::rules {

struct Casework {
  std::span<const tracking::PersonDetails> people;
  std::span<const tracking::OpenAction> open_actions;
  std::span<const std::pair<std::string, tracking::Date>> last_reviews;
};

// `results` must have been computed with keep_members (the members are what the table holds).
MemberTable buildMemberTable(const tracking::CohortData& data,
                             const tracking::CohortResults& results,
                             const tracking::Methodology& methodology, const Casework& casework);

// Loads everything from the store (one read of each table) and builds the table as of `as_of`.
MemberTable loadMemberTable(tracking::Store& store, const tracking::Methodology& methodology,
                            tracking::Date as_of);

}  // namespace cohortwatch::rules
