// Renders an alert for people: the e-mail (subject, plain text and HTML from the alert.*
// templates) and the webhook payload in the channel's style (generic JSON, a Microsoft Teams
// message card, Slack blocks). The child is named as the privacy settings allow (identifyChild);
// nothing else personal (no names of others, no dates of birth, no old and new values of personal
// attributes) goes into a message.
//
// The generic webhook payload (schema "cohortwatch.alert.v1"):
//   {"schema": "cohortwatch.alert.v1", "alert_id": 42, "rule": {"id", "name"},
//    "severity": "low|medium|high", "fired_on": "YYYY-MM-DD", "child": "<as privacy allows>",
//    "person_id": "<case id>", "cohort": "2025Q1",
//    "event": {"kind", "date", "summary"}, "focus": ["id", ...], "reasons": {field: value},
//    "text": "<the plain-text message>"}
#pragma once

#include <string>

#include "channels/outbox_body.h"
#include "channels/templates.h"
#include "config/settings.h"
#include "rules/alert_evaluator.h"
#include "tracking/store.h"

namespace cohortwatch::channels {

// "P000123" (id), "J.S. (P000123)" (initials) or "Jo Smith (P000123)" (full name); initials or
// a name fall back to the id alone when the names are not recorded.
std::string identifyChild(config::IdentifyBy identify, const tracking::PersonDetails& person);

struct AlertContent {
  const tracking::AlertRecord& alert;
  const rules::AlertDecision& decision;
  const rules::MemberFacts& member;
  const tracking::PersonDetails& person;
};

class AlertMessages {
 public:
  AlertMessages(const Templates& templates, const config::PrivacySettings& privacy)
      : templates_(templates), privacy_(privacy) {}

  EmailContent email(const AlertContent& content) const;
  std::string webhookPayload(const AlertContent& content, config::WebhookStyle style) const;

 private:
  const Templates& templates_;
  const config::PrivacySettings& privacy_;
};

// One line saying what happened, e.g. "New offence recorded, committed 2025-09-10, inside the
// follow-up period".
std::string eventSummary(const rules::AlertDecision& decision, const rules::MemberFacts& member);

}  // namespace cohortwatch::channels
