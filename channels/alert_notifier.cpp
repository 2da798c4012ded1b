#include "channels/alert_notifier.h"

#include <fmt/format.h>

namespace cohortwatch::channels {

AlertNotifier::AlertNotifier(tracking::AlertStore& store, const Router& router,
                             const AlertMessages& messages,
                             std::span<const tracking::PersonDetails> people)
    : store_(store), router_(router), messages_(messages) {
  people_.reserve(people.size());
  for (const auto& person : people) people_.emplace(person.person_id, &person);
}

void AlertNotifier::alertRecorded(const tracking::AlertRecord& alert,
                                  const rules::AlertDecision& decision,
                                  const rules::MemberFacts& member) {
  if (decision.rule->deliver != config::DeliverWhen::kImmediately) return;
  tracking::PersonDetails fallback;
  fallback.person_id = std::string(member.person_id);
  const auto found = people_.find(member.person_id);
  const tracking::PersonDetails& person = found != people_.end() ? *found->second : fallback;
  const AlertContent content{alert, decision, member, person};

  const auto targets = router_.resolve(decision.rule->notify, member.caseworker);
  if (targets.empty()) ++unroutable_;
  std::optional<EmailContent> email;  // rendered once for all e-mail recipients
  for (const auto& target : targets) {
    tracking::OutboxMessage message;
    message.channel = target.channel;
    message.recipient = target.recipient;
    message.kind = "alert";
    message.alert_id = alert.id;
    if (target.email()) {
      if (!email) email = messages_.email(content);
      message.subject = email->subject;
      message.body = encodeEmailBody(*email);
    } else {
      const auto* channel = router_.channel(target.channel);
      const auto style = channel != nullptr && channel->kind == config::ChannelSettings::Kind::kWebhook
                             ? channel->webhook.style
                             : config::WebhookStyle::kGeneric;
      message.subject = fmt::format("alert {} ({})", alert.id, decision.rule->id);
      message.body = encodeWebhookBody(messages_.webhookPayload(content, style));
    }
    store_.enqueue(message);
    ++queued_;
  }
}

}  // namespace cohortwatch::channels
