// The tracking sheet (`cohortwatch export tracking-sheet`): one row per member of a quarterly
// cohort (or of every running cohort), the spreadsheet managers fill in during the review meeting
// and give back to `cohortwatch import actions` -- its columns are the contract stated in
// connectors/action_import.h. The same rows make the CSV and the XLSX form (reports/xlsx_writer.h,
// which neutralises formula-like text in both).
//
// Rows: members by priority (rules::ReviewList::assess, highest first), then person id. A member
// with open actions has one row per open action (the member's columns repeated) so that each can
// be edited; a member without has empty action columns, for a new action. reviewed_on is left
// empty for the manager. The child is named as settings.privacy.identify_by allows.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "config/settings.h"
#include "reports/xlsx_writer.h"
#include "rules/member_facts.h"
#include "rules/rule_set.h"
#include "tracking/methodology.h"
#include "tracking/store.h"

namespace cohortwatch::channels {

// How far back the alerts that count towards priority and reasons go: about one review cycle.
inline constexpr int kTrackingSheetAlertDays = 28;

struct TrackingSheetInputs {
  const rules::MemberTable& table;
  const std::vector<rules::MemberFocus>& focus;   // RuleSet::focus(table), in the table's order
  std::span<const tracking::AlertRecord> alerts;  // alerts that count (see kTrackingSheetAlertDays)
  std::span<const tracking::Action> open_actions;
  std::span<const tracking::PersonDetails> people;
  const config::Settings& settings;
};

// The sheet for `cohort`'s members, or, when nullopt, for each child's latest membership of a
// running cohort. A cohort without members gives a sheet of headers only.
reports::Worksheet trackingSheet(const TrackingSheetInputs& in,
                                 const std::optional<tracking::Quarter>& cohort);

}  // namespace cohortwatch::channels
