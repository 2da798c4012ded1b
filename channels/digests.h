// What the schedules produce, rendered for people: the manager digest before a review meeting,
// each caseworker's reminders, and the strategic report for boards. Pure: built from the member
// table, the focus groups, the alerts waiting for a digest and the open actions; templates
// digest.*, reminder.* and report.* (config/templates/) make the text and HTML.
//
// The manager digest: the cohorts being tracked (live binary rate against the national average);
// the children to review, ordered by priority (focus-group weights plus the severity of their
// alerts), each with the reasons (focus groups, alerts since the last digest, pending offences,
// follow-up ending within 28 days, not reviewed for 42 days or more: rules/review_list.h); new
// cohort entrants since the last digest; open and overdue actions by owner. The review list is attached as CSV.
// A caseworker's reminders hold only their own actions (due within 7 days, or overdue) and their
// own children flagged since the last reminders: never another caseworker's.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "channels/outbox_body.h"
#include "channels/templates.h"
#include "config/settings.h"
#include "rules/rule_set.h"
#include "tracking/store.h"

namespace cohortwatch::channels {

struct DigestInputs {
  const rules::MemberTable& table;
  const std::vector<rules::MemberFocus>& focus;
  std::span<const tracking::AlertRecord> alerts;  // waiting for this digest
  std::span<const tracking::OpenAction> actions;
  std::span<const tracking::PersonDetails> people;
  const config::Settings& settings;
  std::optional<tracking::Date> previous;  // the day of the last digest of this schedule
  std::string title;                       // e.g. the schedule's name
};

struct Digest {
  EmailContent email;
  bool empty = true;  // nothing to review, no new entrants, no actions
  long children = 0;  // on the review list
};

Digest managerDigest(const Templates& templates, const DigestInputs& inputs);

// One caseworker's reminders; `empty` when they have nothing due and no child flagged.
Digest caseworkerReminders(const Templates& templates, const DigestInputs& inputs,
                           const std::string& caseworker);

// Every caseworker address with open actions or children in running cohorts, sorted.
std::vector<std::string> caseworkersOf(const DigestInputs& inputs);

// Performance of the cohorts (the last eight quarters with members) against the national
// average, for boards.
Digest strategicReport(const Templates& templates, const DigestInputs& inputs);

}  // namespace cohortwatch::channels
