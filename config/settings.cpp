#include "config/settings.h"

#include <algorithm>

namespace cohortwatch::config {

std::vector<OutcomeTypeRule> defaultOutcomeTypes() {
  using G = OutcomeGroup;
  return {
      {"youth_caution", G::kPreCourt, true, true},
      {"youth_conditional_caution", G::kPreCourt, true, true},
      {"absolute_discharge", G::kFirstTier, true, true},
      {"conditional_discharge", G::kFirstTier, true, true},
      {"fine", G::kFirstTier, true, true},
      {"compensation_order", G::kFirstTier, true, true},
      {"reparation_order", G::kFirstTier, true, true},
      {"referral_order", G::kFirstTier, true, true},
      {"youth_rehabilitation_order", G::kCommunity, true, true},
      {"other_court", G::kFirstTier, true, true},
      {"detention_training_order", G::kCustody, true, false},
      {"custodial_sentence", G::kCustody, true, false},
      {"release_from_custody", G::kCustodyRelease, false, true},
      {"community_resolution", G::kNonSubstantive, false, false},
      {"outcome_22", G::kNonSubstantive, false, false},
      {"no_further_action", G::kNonSubstantive, false, false},
      {"triage", G::kNonSubstantive, false, false},
  };
}

const OutcomeTypeRule* MethodologySettings::findOutcomeType(std::string_view code) const {
  auto it = std::find_if(outcome_types.begin(), outcome_types.end(),
                         [&](const OutcomeTypeRule& rule) { return rule.code == code; });
  return it == outcome_types.end() ? nullptr : &*it;
}

std::string_view toString(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kCritical: return "critical";
    case LogLevel::kOff: return "off";
  }
  return "info";
}

std::string_view toString(OutcomeGroup group) {
  switch (group) {
    case OutcomeGroup::kPreCourt: return "pre_court";
    case OutcomeGroup::kFirstTier: return "first_tier";
    case OutcomeGroup::kCommunity: return "community";
    case OutcomeGroup::kCustody: return "custody";
    case OutcomeGroup::kCustodyRelease: return "custody_release";
    case OutcomeGroup::kNonSubstantive: return "non_substantive";
  }
  return "non_substantive";
}

std::string_view toString(IdentifyBy identify) {
  switch (identify) {
    case IdentifyBy::kId: return "id";
    case IdentifyBy::kInitials: return "initials";
    case IdentifyBy::kFullName: return "full_name";
  }
  return "id";
}

std::string_view toString(AlertTrigger trigger) {
  switch (trigger) {
    case AlertTrigger::kCohortEntry: return "cohort_entry";
    case AlertTrigger::kOffenceRecorded: return "offence_recorded";
    case AlertTrigger::kOffenceProven: return "offence_proven";
    case AlertTrigger::kPersonChanged: return "person_changed";
    case AlertTrigger::kFollowUpEnding: return "follow_up_ending";
    case AlertTrigger::kNoReview: return "no_review";
    case AlertTrigger::kActionDue: return "action_due";
    case AlertTrigger::kActionOverdue: return "action_overdue";
  }
  return "cohort_entry";
}

std::string_view toString(DeliverWhen deliver) {
  return deliver == DeliverWhen::kImmediately ? "immediately" : "digest";
}

std::string_view toString(Severity severity) {
  switch (severity) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
  }
  return "medium";
}

std::string_view toString(WebhookStyle style) {
  switch (style) {
    case WebhookStyle::kGeneric: return "generic";
    case WebhookStyle::kTeams: return "teams";
    case WebhookStyle::kSlack: return "slack";
  }
  return "generic";
}

std::string_view toString(ChannelSettings::Kind kind) {
  switch (kind) {
    case ChannelSettings::Kind::kSmtp: return "smtp";
    case ChannelSettings::Kind::kWebhook: return "webhook";
    case ChannelSettings::Kind::kFile: return "file";
  }
  return "file";
}

}  // namespace cohortwatch::config
