#include "daemon/alerting.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <climits>

#include "channels/alert_notifier.h"
#include "channels/board_report.h"
#include "channels/digests.h"
#include "rules/member_table.h"
#include "tracking/clock.h"

namespace cohortwatch::daemon {

namespace {

rules::RuleSet compiledRules(const config::Settings& settings) {
  auto compiled = rules::RuleSet::compile(settings);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&compiled)) {
    throw std::invalid_argument("rules do not compile: " + errors->front().toString());
  }
  return std::move(std::get<rules::RuleSet>(compiled));
}

channels::Templates loadedTemplates(const config::Settings& settings) {
  auto loaded = channels::Templates::load(settings.notifications);
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    throw std::invalid_argument("templates do not load: " + errors->front().toString());
  }
  return std::move(std::get<channels::Templates>(loaded));
}

// The change events that are news for a manager digest, in the kinds the review list reads and
// cohort entries (a late-imported entrant is new to managers whatever its index date):
// those after the last digest's (by id), or, for a schedule's first digest, those that occurred
// after `first_since`; either way up to `up_to` and none older than `max_age_days` (history
// imported late is not news, as for the rules).
std::vector<tracking::ChangeEvent> digestNews(tracking::Store& store, long after_id, long up_to,
                                              std::optional<tracking::Date> first_since,
                                              tracking::Date today, int max_age_days) {
  constexpr int kPage = 5000;
  std::vector<tracking::ChangeEvent> news;
  for (long after = after_id; after < up_to;) {
    auto page = store.events(after, kPage);
    if (page.empty()) break;
    after = page.back().id;
    for (auto& event : page) {
      if (event.id > up_to) break;
      if (event.kind != "offence_recorded" && event.kind != "offence_proven" &&
          event.kind != "person_changed" && event.kind != "cohort_entry") {
        continue;
      }
      const auto occurred = tracking::Date::parse(event.occurred_on);
      if (!occurred || occurred->daysUntil(today) > max_age_days) continue;
      if (first_since && *occurred <= *first_since) continue;
      news.push_back(std::move(event));
    }
  }
  return news;
}

std::string hostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

std::vector<config::ConfigError> checkAlerting(const config::Settings& settings) {
  std::vector<config::ConfigError> errors;
  auto compiled = rules::RuleSet::compile(settings);
  if (auto* found = std::get_if<std::vector<config::ConfigError>>(&compiled)) {
    errors.insert(errors.end(), found->begin(), found->end());
  }
  auto loaded = channels::Templates::load(settings.notifications);
  if (auto* found = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
    errors.insert(errors.end(), found->begin(), found->end());
  }
  return errors;
}

Alerting::Alerting(const config::Settings& settings, tracking::Store& store)
    : settings_(settings),
      store_(store),
      rules_(compiledRules(settings)),
      templates_(loadedTemplates(settings)),
      router_(settings),
      messages_(templates_, settings.privacy),
      dispatcher_(store, router_, settings.notifications, hostName()) {}

EvaluationSummary Alerting::evaluate(tracking::Date today) {
  EvaluationSummary summary;
  const tracking::Methodology methodology(settings_.methodology);
  const auto table = rules::loadMemberTable(store_, methodology, today);
  const auto focus = rules_.focus(table);
  const auto people = store_.alerting().personDetails();
  channels::AlertNotifier notifier(store_.alerting(), router_, messages_, people);
  summary.alerts = rules::runAlertCycle(store_, rules_, table, focus, notifier,
                                        settings_.notifications.max_event_age_days);
  summary.members = static_cast<long>(table.members.size());
  summary.queued = notifier.queued();
  summary.unroutable = notifier.unroutable();
  if (summary.alerts.events_evaluated > 0 || summary.alerts.alerts_fired > 0) {
    spdlog::info("rules: {} events evaluated, {} alerts fired ({} within their realert window), "
                 "{} messages queued",
                 summary.alerts.events_evaluated, summary.alerts.alerts_fired,
                 summary.alerts.alerts_suppressed, summary.queued);
  }
  if (summary.unroutable > 0) {
    spdlog::warn("rules: {} alerts had no recipient to send to (e.g. a child with no caseworker "
                 "address)",
                 summary.unroutable);
  }
  return summary;
}

ScheduleStart startSchedule(tracking::Store& store, const schedule::ScheduleSettings& settings,
                            const schedule::CronExpression& expression,
                            const date::time_zone* zone, std::chrono::sys_seconds now) {
  std::optional<std::chrono::sys_seconds> last;
  if (auto text = store.alerting().lastSlot(settings.name)) {
    if (auto parsed = tracking::parseUtc(*text)) last = std::chrono::floor<std::chrono::seconds>(*parsed);
  }
  if (!last) {
    if (auto baseline = schedule::previousSlot(expression, zone, now)) {
      auto tx = store.begin();
      store.alerting().recordSlot(settings.name, tracking::formatUtc(*baseline));
      tx->commit();
      spdlog::info("schedule {}: first start; slots from now on are sent, the past ones are not",
                   settings.name);
    }
    return {std::nullopt, schedule::nextSlot(expression, zone, now)};
  }
  const auto decision = schedule::decideCatchUp(expression, zone, last, now, settings.catch_up);
  if (!decision.skipped.empty()) {
    spdlog::warn("schedule {}: {}{} slot(s) missed while the service was down are not sent (only "
                 "the latest missed slot is, when within catch_up, {} s); the last of them {}",
                 settings.name, decision.more_skipped ? "more than " : "", decision.skipped.size(),
                 settings.catch_up.count(), tracking::formatUtc(decision.skipped.back()));
  }
  if (decision.fire_now) {
    spdlog::info("schedule {}: slot {} was missed while the service was down; sending it now",
                 settings.name, tracking::formatUtc(*decision.fire_now));
  }
  return {decision.fire_now, decision.next};
}

ScheduleOutput Alerting::produce(const schedule::ScheduleSettings& schedule,
                                 std::chrono::sys_seconds slot, tracking::Date today) {
  return produceSlot(schedule, slot, today, true);
}

ScheduleOutput Alerting::produceNow(const schedule::ScheduleSettings& schedule, tracking::Date today) {
  return produceSlot(schedule, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()),
                     today, false);
}

ScheduleOutput Alerting::produceSlot(const schedule::ScheduleSettings& schedule,
                                     std::chrono::sys_seconds slot, tracking::Date today,
                                     bool record) {
  ScheduleOutput output;
  const std::string slot_text = tracking::formatUtc(std::chrono::system_clock::time_point(slot));
  auto& store = store_.alerting();
  const tracking::Methodology methodology(settings_.methodology);
  // As rules::loadMemberTable, keeping the engine's data-quality warnings for the digest.
  const auto data = store_.loadCohortData();
  const auto results = tracking::CohortEngine(methodology).compute(data, {today, true});
  const auto people = store.personDetails();
  const auto actions = store.openActions();
  const auto reviews = store.lastReviews();
  const auto table = rules::buildMemberTable(data, results, methodology, {people, actions, reviews});
  const auto focus = rules_.focus(table);

  auto tx = store_.begin();
  const auto last = store.lastSlot(schedule.name);
  if (record && last && *last >= slot_text) {
    output.already_done = true;
    return output;  // rolled back: nothing was written
  }
  std::optional<tracking::Date> previous;
  if (last) previous = tracking::Date::parse(last->substr(0, 10));
  using P = schedule::Produces;
  // A digest takes the alerts waiting for it; reminders show what fired since the last ones.
  std::vector<tracking::AlertRecord> alerts;
  if (schedule.produces == P::kManagerDigest) alerts = store.undigestedAlerts();
  if (schedule.produces == P::kCaseworkerReminders) {
    alerts = store.alertsSince(previous.value_or(today.addDays(-7)));
  }
  channels::DigestInputs inputs{table, focus, alerts, actions, people, settings_, previous,
                                schedule.name};
  // A manager digest also reads what changed since the schedule's last queued digest.
  std::optional<tracking::DigestSnapshot> last_digest;
  std::vector<tracking::ChangeEvent> news;
  long last_event_id = 0;
  if (schedule.produces == P::kManagerDigest) {
    last_digest = store.lastDigestSnapshot(schedule.name);
    last_event_id = store.lastEventId();
    news = digestNews(store_, last_digest ? last_digest->last_event_id : 0, last_event_id,
                      last_digest ? std::nullopt : std::optional(previous.value_or(today.addDays(-7))),
                      today, settings_.notifications.max_event_age_days);
    inputs.events = news;
    inputs.warnings = results.warnings;
    inputs.rejected_pending = store_.counts().rejected_pending;
    inputs.last_digest = last_digest ? &*last_digest : nullptr;
  }
  const auto queue = [&](const std::string& channel, const std::string& recipient,
                         const channels::EmailContent& email, const char* kind) {
    tracking::OutboxMessage message;
    message.channel = channel;
    message.recipient = recipient;
    message.kind = kind;
    message.subject = email.subject;
    message.body = channels::encodeEmailBody(email);
    store.enqueue(message);
    ++output.queued;
  };
  const auto queueToRecipients = [&](const channels::Digest& digest, const char* kind) {
    for (const auto& target : router_.resolve(schedule.recipients, "")) {
      if (target.email()) {
        queue(target.channel, target.recipient, digest.email, kind);
      } else {
        tracking::OutboxMessage message;
        message.channel = target.channel;
        message.kind = kind;
        message.subject = digest.email.subject;
        message.body = channels::encodeWebhookBody(
            nlohmann::json{{"schema", std::string("cohortwatch.") + kind + ".v1"},
                           {"title", digest.email.subject},
                           {"text", digest.email.text}}
                .dump());
        store.enqueue(message);
        ++output.queued;
      }
    }
  };
  if (schedule.produces == P::kManagerDigest) {
    const auto digest = channels::managerDigest(templates_, inputs);
    output.empty = digest.empty && !schedule.send_empty;
    if (!output.empty) {
      queueToRecipients(digest, "digest");
      const std::string now = tracking::formatUtc(std::chrono::system_clock::now());
      if (record) {
        for (const auto& alert : alerts) store.markDigested(alert.id, now);
      }
      // What managers were shown, also on demand: the next digest's changes are since this one.
      store.recordDigestSnapshot({schedule.name, now, today, last_event_id, digest.figures});
    }
  } else if (schedule.produces == P::kCaseworkerReminders) {
    const auto mail = router_.channel(router_.emailChannel());
    for (const auto& caseworker : channels::caseworkersOf(inputs)) {
      const auto reminders = channels::caseworkerReminders(templates_, inputs, caseworker);
      if (reminders.empty && !schedule.send_empty) continue;
      if (mail != nullptr && caseworker.find('@') != std::string::npos) {
        queue(mail->name, caseworker, reminders.email, "reminder");
      }
    }
    output.empty = output.queued == 0;
  } else {
    const auto report = channels::strategicReport(templates_, inputs);
    output.empty = report.empty && !schedule.send_empty;
    if (!output.empty) queueToRecipients(report, "report");
  }
  if (record) store.recordSlot(schedule.name, slot_text);
  tx->commit();
  spdlog::info("schedule {}: {} {} produced {} ({} message(s) queued{})", schedule.name,
               record ? "slot" : "on demand at", slot_text, schedule::producesName(schedule.produces),
               output.queued, output.empty ? "; nothing to say, so nothing sent" : "");
  return output;
}

channels::DispatchSummary Alerting::dispatch(std::chrono::system_clock::time_point now) {
  return dispatcher_.deliverDue(now);
}

}  // namespace cohortwatch::daemon
