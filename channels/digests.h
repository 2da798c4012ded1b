// What the schedules produce, rendered for people: the manager digest before a review meeting,
// each caseworker's reminders (the board report is channels/board_report.h). Pure: built from
// the member table, the focus groups, the alerts waiting for a digest and the open actions;
// templates digest.* and reminder.* (config/templates/) make the text and HTML.
//
// The manager digest: the cohorts being tracked (live binary rate against the national average);
// the children to review, ordered by priority (focus-group weights plus the severity of their
// alerts), each with the reasons (focus groups, alerts since the last digest, pending offences,
// follow-up ending within 28 days, not reviewed for 42 days or more: rules/review_list.h); new
// cohort entrants since the last digest; open and overdue actions by owner; data-quality
// warnings (counts by kind, and rejected rows waiting for review). Each tracked cohort shows the
// change since the schedule's last queued digest (its snapshot, returned in Digest::figures for
// the caller to record with the digest). The review list is attached as CSV. A digest is empty
// (skipped unless send_empty) when there is nobody to review, no new entrant, no open action and
// no warning that asks for action: children turning 18 during follow-up are shown but do not
// make a digest worth sending on their own, as a running cohort nearly always has some.
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
#include "tracking/cohort_engine.h"
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
  // Manager digest only: change events since the last digest (news on the review list), the
  // cohort engine's data-quality warnings, rejected rows waiting for review, and the snapshot
  // of the schedule's last queued digest (nullptr when there was none).
  std::span<const tracking::ChangeEvent> events = {};
  std::span<const tracking::DataQualityWarning> warnings = {};
  long rejected_pending = 0;
  const tracking::DigestSnapshot* last_digest = nullptr;
};

struct Digest {
  EmailContent email;
  bool empty = true;  // nothing to review, no new entrants, no actions (and, digest: no warnings)
  long children = 0;  // on the review list
  std::vector<tracking::CohortFigures> figures;  // manager digest: the tracked cohorts shown
};

Digest managerDigest(const Templates& templates, const DigestInputs& inputs);

// One caseworker's reminders; `empty` when they have nothing due and no child flagged.
Digest caseworkerReminders(const Templates& templates, const DigestInputs& inputs,
                           const std::string& caseworker);

// Every caseworker address with open actions or children in running cohorts, sorted.
std::vector<std::string> caseworkersOf(const DigestInputs& inputs);

}  // namespace cohortwatch::channels
