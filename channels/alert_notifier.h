// The AlertSink (rules/alert_evaluator.h) that turns an alert to be delivered at once into
// outbox rows: one per target its rule's recipients resolve to (channels/routing.h), each with
// the message rendered for that channel (channels/alert_messages.h), written in the transaction
// that records the alert. Alerts for the digest queue nothing here: the digest collects them.
#pragma once

#include <span>
#include <string_view>
#include <unordered_map>

#include "channels/alert_messages.h"
#include "channels/routing.h"
#include "rules/alert_evaluator.h"

namespace cohortwatch::channels {

class AlertNotifier final : public rules::AlertSink {
 public:
  // `people` must outlive the notifier (the children the alerts can be about).
  AlertNotifier(tracking::AlertStore& store, const Router& router, const AlertMessages& messages,
                std::span<const tracking::PersonDetails> people);

  void alertRecorded(const tracking::AlertRecord& alert, const rules::AlertDecision& decision,
                     const rules::MemberFacts& member) override;

  long queued() const { return queued_; }
  // Alerts for which a recipient gave no target (e.g. "caseworker" for a child with none).
  long unroutable() const { return unroutable_; }

 private:
  tracking::AlertStore& store_;
  const Router& router_;
  const AlertMessages& messages_;
  std::unordered_map<std::string_view, const tracking::PersonDetails*> people_;
  long queued_ = 0;
  long unroutable_ = 0;
};

}  // namespace cohortwatch::channels
