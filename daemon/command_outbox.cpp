// `cohortwatch outbox list|show ID|retry ID|purge --older-than D|send-test --to R`: the messages
// waiting, sent and dead, one message in full, a dead message given another chance, old rows
// cleared away, and test messages to check a channel end to end.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include "channels/outbox_body.h"
#include "channels/routing.h"
#include "daemon/commands.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

long idArgument(const Invocation& invocation) {
  if (invocation.arguments.size() != 2) throw UsageError("give the message id, e.g. outbox show 42");
  try {
    std::size_t used = 0;
    const long id = std::stol(invocation.arguments[1], &used);
    if (used == invocation.arguments[1].size() && id > 0) return id;
  } catch (const std::exception&) {
  }
  throw UsageError("expected a message id (a whole number), got '" + invocation.arguments[1] + "'");
}

reports::Cell text(const std::string& value) {
  return value.empty() ? reports::Cell{} : reports::Cell(value);
}

// "30d", "12h" or a date: the instant before which rows are purged.
std::string purgeBefore(const std::string& value) {
  const auto now = std::chrono::system_clock::now();
  if (auto date = tracking::Date::parse(value)) {
    return date->toString() + "T00:00:00Z";
  }
  std::size_t used = 0;
  long amount = -1;
  try {
    amount = std::stol(value, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = amount >= 0 ? value.substr(used) : "";
  if (amount >= 0 && (unit == "d" || unit == "h")) {
    const auto span = unit == "d" ? std::chrono::hours(24 * amount) : std::chrono::hours(amount);
    return tracking::formatUtc(now - span);
  }
  throw UsageError("--older-than: expected an age like 30d or 12h, or a date YYYY-MM-DD, got '" +
                   value + "'");
}

}  // namespace

namespace {

// Queues `count` test messages to `recipient` (an address, a group, a channel or "managers"),
// one outbox row per target each, in one transaction: the next dispatch sends them. Checks a
// channel's settings end to end without waiting for an alert.
int queueTestMessages(Invocation& invocation, const config::Settings& settings,
                      tracking::AlertStore& outbox, tracking::Store& store,
                      const std::string& recipient, long count) {
  const channels::Router router(settings);
  const std::vector<std::string> recipients = {recipient};
  const auto targets = router.resolve(recipients, "");
  if (targets.empty()) {
    invocation.err << "'" << recipient << "' resolves to no channel: give an e-mail address, a "
                   << "group, a channel name or managers (with notifications.managers set)\n";
    return kExitFailure;
  }
  auto tx = store.begin();
  const std::string now = tracking::formatUtc(std::chrono::system_clock::now());
  for (long i = 1; i <= count; ++i) {
    for (const auto& target : targets) {
      tracking::OutboxMessage message;
      message.channel = target.channel;
      message.recipient = target.recipient;
      message.kind = "test";
      message.subject = fmt::format("cohortwatch test message {} of {}", i, count);
      const std::string text = fmt::format(
          "A test message queued with `cohortwatch outbox send-test` at {}: if you can read it, "
          "the {} channel works. It is about no child.\n",
          now, target.channel);
      if (target.email()) {
        message.body = channels::encodeEmailBody(
            {message.subject, text, "<p>" + text.substr(0, text.size() - 1) + "</p>", {}});
      } else {
        message.body = channels::encodeWebhookBody(
            nlohmann::json{{"schema", "cohortwatch.test.v1"}, {"text", text}, {"sequence", i}}.dump());
      }
      outbox.enqueue(message);
    }
  }
  tx->commit();
  invocation.out << "queued " << count * static_cast<long>(targets.size()) << " test message(s) for "
                 << targets.size() << " target(s); `cohortwatch run --once` (or the running "
                 << "service) sends them\n";
  return kExitOk;
}

}  // namespace

int runOutbox(Invocation& invocation) {
  const std::string action = invocation.arguments.empty() ? "list" : invocation.arguments[0];
  if (action != "list" && action != "show" && action != "retry" && action != "purge" &&
      action != "send-test") {
    throw UsageError("say list, show ID, retry ID, purge --older-than AGE or send-test --to RECIPIENT");
  }
  long test_count = 1;
  if (action == "send-test") {
    if (!invocation.value("to")) throw UsageError("send-test needs --to RECIPIENT (an address, group or channel)");
    if (auto text = invocation.value("count")) {
      try {
        test_count = std::stol(*text);
      } catch (const std::exception&) {
        test_count = 0;
      }
      if (test_count < 1 || test_count > 100000) throw UsageError("--count: expected 1 to 100000");
    }
  }
  const auto format = formatOption(invocation);
  const std::string status = invocation.value("status").value_or("");
  if (!status.empty() && status != "pending" && status != "sent" && status != "dead") {
    throw UsageError("--status: expected pending, sent or dead");
  }
  long id = 0;
  if (action == "show" || action == "retry") id = idArgument(invocation);
  std::string before;
  if (action == "purge") {
    const auto older = invocation.value("older-than");
    if (!older) throw UsageError("purge needs --older-than AGE (e.g. 90d): sent and dead rows older than that are removed");
    before = purgeBefore(*older);
  }
  if (action == "list" && invocation.arguments.size() > 1) throw UsageError("list takes no id");

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& outbox = store->alerting();

  if (action == "send-test") {
    return queueTestMessages(invocation, *settings, outbox, *store, *invocation.value("to"), test_count);
  }
  if (action == "list") {
    int limit = 100;
    if (auto text_limit = invocation.value("limit")) {
      try {
        limit = std::stoi(*text_limit);
      } catch (const std::exception&) {
        limit = 0;
      }
      if (limit < 1) throw UsageError("--limit: expected a whole number of at least 1");
    }
    reports::Table table;
    table.columns = {{"id", "Id", 0},          {"created_at", "Created"}, {"kind", "Kind"},
                     {"channel", "Channel"},   {"recipient", "Recipient"}, {"status", "Status"},
                     {"attempts", "Attempts", 0}, {"next_attempt_at", "Next attempt"},
                     {"last_error", "Last error"}};
    for (const auto& m : outbox.outboxMessages(status, limit)) {
      table.rows.push_back({m.id, m.created_at, m.kind, m.channel, text(m.recipient), m.status,
                            static_cast<long>(m.attempts),
                            m.status == "pending" ? text(m.next_attempt_at) : reports::Cell{},
                            text(m.last_error)});
    }
    for (const auto& counts : outbox.outboxCounts()) {
      table.notes.push_back(fmt::format("{}: {} pending, {} sent, {} dead, {} retried at least once",
                                        counts.channel, counts.pending, counts.sent, counts.dead,
                                        counts.retried));
    }
    reports::render(table, format, invocation.out);
    return kExitOk;
  }
  if (action == "show") {
    const auto m = outbox.outboxMessage(id);
    if (!m) {
      invocation.err << "no message " << id << " in the outbox\n";
      return kExitFailure;
    }
    reports::Table table;
    table.columns = {{"field", "Field"}, {"value", "Value"}};
    const auto row = [&](const char* field, reports::Cell value) {
      table.rows.push_back({std::string(field), std::move(value)});
    };
    row("id", m->id);
    row("created_at", m->created_at);
    row("kind", m->kind);
    row("alert_id", m->alert_id > 0 ? reports::Cell(m->alert_id) : reports::Cell{});
    row("channel", m->channel);
    row("recipient", text(m->recipient));
    row("status", m->status);
    row("attempts", static_cast<long>(m->attempts));
    row("next_attempt_at", m->status == "pending" ? text(m->next_attempt_at) : reports::Cell{});
    row("last_attempt_at", text(m->last_attempt_at));
    row("last_error", text(m->last_error));
    row("sent_at", text(m->sent_at));
    row("ambiguous", m->ambiguous);
    row("subject", m->subject);
    if (!m->recipient.empty()) {
      if (auto email = channels::decodeEmailBody(m->body)) row("text", email->text);
    } else if (auto payload = channels::decodeWebhookBody(m->body)) {
      row("payload", *payload);
    }
    reports::render(table, format, invocation.out);
    return kExitOk;
  }
  if (action == "retry") {
    if (!outbox.retryMessage(id, tracking::formatUtc(std::chrono::system_clock::now()))) {
      invocation.err << "no pending or dead message " << id << " in the outbox (sent messages are not sent again)\n";
      return kExitFailure;
    }
    invocation.out << "message " << id << " will be attempted at the next dispatch\n";
    return kExitOk;
  }
  const long removed = outbox.purgeMessages(before);
  invocation.out << "purged " << removed << " sent or dead message(s) created before " << before << "\n";
  return kExitOk;
}

}  // namespace cohortwatch::daemon
