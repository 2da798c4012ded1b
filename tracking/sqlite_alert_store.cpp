#include "tracking/sqlite_alert_store.h"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <unordered_map>

#include "tracking/sqlite_statements.h"

namespace cohortwatch::tracking {

namespace {

std::string textOr(const SQLite::Column& column) {
  return column.isNull() ? std::string() : column.getString();
}

class SqliteAlertStore final : public AlertStore, private SqliteStatements {
 public:
  SqliteAlertStore(SQLite::Database& db, std::string path)
      : SqliteStatements(db, std::move(path)), db_(db) {}

  std::vector<PersonDetails> personDetails() override {
    return guard("read people", [&] {
      std::vector<PersonDetails> people;
      auto& st = statement(
          "SELECT person_id, first_name, last_name, gender, ethnicity, looked_after, caseworker, "
          "team FROM people ORDER BY person_id");
      while (st.executeStep()) {
        PersonDetails person;
        person.person_id = st.getColumn(0).getString();
        person.first_name = textOr(st.getColumn(1));
        person.last_name = textOr(st.getColumn(2));
        person.gender = textOr(st.getColumn(3));
        person.ethnicity = textOr(st.getColumn(4));
        if (!st.getColumn(5).isNull()) person.looked_after = st.getColumn(5).getInt() != 0;
        person.caseworker = textOr(st.getColumn(6));
        person.team = textOr(st.getColumn(7));
        people.push_back(std::move(person));
      }
      return people;
    });
  }

  std::vector<OpenAction> openActions() override {
    return guard("read open actions", [&] {
      std::vector<OpenAction> actions;
      auto& st = statement(
          "SELECT a.id, p.person_id, a.description, a.owner, a.due_on, a.notes FROM actions a "
          "JOIN people p ON p.id = a.person_ref WHERE a.status = 'open' ORDER BY a.id");
      while (st.executeStep()) {
        OpenAction action;
        action.id = static_cast<long>(st.getColumn(0).getInt64());
        action.person_id = st.getColumn(1).getString();
        action.description = st.getColumn(2).getString();
        action.owner = st.getColumn(3).getString();
        if (!st.getColumn(4).isNull()) action.due_on = Date::parse(st.getColumn(4).getString());
        action.notes = textOr(st.getColumn(5));
        actions.push_back(std::move(action));
      }
      return actions;
    });
  }

  std::vector<std::pair<std::string, Date>> lastReviews() override {
    return guard("read reviews", [&] {
      std::vector<std::pair<std::string, Date>> reviews;
      auto& st = statement(
          "SELECT p.person_id, max(r.reviewed_on) FROM reviews r JOIN people p ON p.id = "
          "r.person_ref GROUP BY r.person_ref");
      while (st.executeStep()) {
        if (auto date = Date::parse(st.getColumn(1).getString())) {
          reviews.emplace_back(st.getColumn(0).getString(), *date);
        }
      }
      return reviews;
    });
  }

  std::vector<ChangeEvent> unevaluatedEvents(int limit) override {
    return guard("read change events", [&] {
      std::vector<ChangeEvent> events;
      auto& st = statement(
          "SELECT e.id, e.kind, coalesce(p.person_id, ''), coalesce(e.occurred_on, ''), e.detail, "
          "e.source FROM events e LEFT JOIN people p ON p.id = e.person_ref "
          "WHERE e.id > (SELECT last_event_id FROM rules_progress) ORDER BY e.id LIMIT ?");
      st.bind(1, limit);
      while (st.executeStep()) {
        events.push_back({static_cast<long>(st.getColumn(0).getInt64()), st.getColumn(1).getString(),
                          st.getColumn(2).getString(), st.getColumn(3).getString(),
                          st.getColumn(4).getString(), st.getColumn(5).getString()});
      }
      return events;
    });
  }

  void markEvaluatedThrough(long last_event_id) override {
    guard("mark change events evaluated", [&] {
      auto& st = statement(
          "UPDATE rules_progress SET last_event_id = max(last_event_id, ?), "
          "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')");
      st.bind(1, static_cast<std::int64_t>(last_event_id));
      st.exec();
      return 0;
    });
  }

  long unevaluatedCount() override {
    return guard("count change events", [&] {
      auto& st = statement(
          "SELECT count(*) FROM events WHERE id > (SELECT last_event_id FROM rules_progress)");
      st.executeStep();
      return static_cast<long>(st.getColumn(0).getInt64());
    });
  }

  std::optional<Date> lastFired(std::string_view rule_id, std::string_view person_id,
                                std::string_view subject) override {
    return guard("read alerts", [&]() -> std::optional<Date> {
      auto& st = statement(
          "SELECT max(a.fired_on) FROM alerts a JOIN people p ON p.id = a.person_ref "
          "WHERE a.rule_id = ? AND p.person_id = ? AND a.subject = ?");
      st.bind(1, std::string(rule_id));
      st.bind(2, std::string(person_id));
      st.bind(3, std::string(subject));
      if (!st.executeStep() || st.getColumn(0).isNull()) return std::nullopt;
      return Date::parse(st.getColumn(0).getString());
    });
  }

  long recordAlert(const AlertRecord& alert) override {
    return guard("record an alert", [&] {
      auto& st = statement(
          "INSERT INTO alerts (rule_id, person_ref, subject, event_id, cohort, severity, deliver, "
          "fired_on, reasons) VALUES (?, (SELECT id FROM people WHERE person_id = ?), ?, ?, ?, ?, "
          "?, ?, ?)");
      st.bind(1, alert.rule_id);
      st.bind(2, alert.person_id);
      st.bind(3, alert.subject);
      if (alert.event_id > 0) {
        st.bind(4, static_cast<std::int64_t>(alert.event_id));
      } else {
        st.bind(4);
      }
      st.bind(5, alert.cohort);
      st.bind(6, alert.severity);
      st.bind(7, alert.deliver);
      st.bind(8, alert.fired_on.toString());
      st.bind(9, alert.reasons);
      st.exec();
      return static_cast<long>(db_.getLastInsertRowid());
    });
  }

  std::vector<AlertRecord> alertsSince(Date first_day) override {
    return guard("read alerts", [&] {
      std::vector<AlertRecord> alerts;
      auto& st = statement(
          "SELECT a.id, a.rule_id, p.person_id, a.subject, coalesce(a.event_id, 0), "
          "coalesce(a.cohort, ''), a.severity, a.deliver, a.fired_on, a.reasons, a.fired_at, "
          "coalesce(a.digested_at, '') FROM alerts a JOIN people p ON p.id = a.person_ref "
          "WHERE a.fired_on >= ? ORDER BY a.id");
      st.bind(1, first_day.toString());
      while (st.executeStep()) alerts.push_back(alertAt(st));
      return alerts;
    });
  }

  long enqueue(const OutboxMessage& message) override {
    return guard("queue a message", [&] {
      auto& st = statement(
          "INSERT INTO outbox (channel, recipient, kind, alert_ref, subject, body, next_attempt_at) "
          "VALUES (?, ?, ?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))");
      st.bind(1, message.channel);
      st.bind(2, message.recipient);
      st.bind(3, message.kind);
      if (message.alert_id > 0) {
        st.bind(4, static_cast<std::int64_t>(message.alert_id));
      } else {
        st.bind(4);
      }
      st.bind(5, message.subject);
      st.bind(6, message.body);
      if (message.next_attempt_at.empty()) {
        st.bind(7);
      } else {
        st.bind(7, message.next_attempt_at);
      }
      st.exec();
      return static_cast<long>(db_.getLastInsertRowid());
    });
  }

  std::vector<OutboxMessage> dueMessages(std::string_view now_utc, int limit) override {
    return guard("read due messages", [&] {
      auto& st = statement(std::string(kSelectMessage) +
                           " WHERE status = 'pending' AND next_attempt_at <= ? "
                           "ORDER BY next_attempt_at, id LIMIT ?");
      st.bind(1, std::string(now_utc));
      st.bind(2, limit);
      return readMessages(st);
    });
  }

  std::optional<std::string> nextAttemptAt() override {
    return guard("read the outbox", [&]() -> std::optional<std::string> {
      auto& st = statement("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'");
      if (!st.executeStep() || st.getColumn(0).isNull()) return std::nullopt;
      return st.getColumn(0).getString();
    });
  }

  void recordAttempt(long id, std::string_view status, std::string_view attempted_at,
                     std::string_view next_attempt_at, std::string_view error,
                     bool ambiguous) override {
    guard("record a delivery attempt", [&] {
      auto& st = statement(
          "UPDATE outbox SET status = ?, attempts = attempts + 1, last_attempt_at = ?, "
          "next_attempt_at = coalesce(?, next_attempt_at), last_error = ?, "
          "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
          "ambiguous = max(ambiguous, ?) WHERE id = ?");
      st.bind(1, std::string(status));
      st.bind(2, std::string(attempted_at));
      if (next_attempt_at.empty()) {
        st.bind(3);
      } else {
        st.bind(3, std::string(next_attempt_at));
      }
      if (error.empty()) {
        st.bind(4);
      } else {
        st.bind(4, std::string(error));
      }
      st.bind(5, std::string(status));
      st.bind(6, std::string(attempted_at));
      st.bind(7, ambiguous ? 1 : 0);
      st.bind(8, static_cast<std::int64_t>(id));
      st.exec();
      return 0;
    });
  }

  std::vector<OutboxMessage> outboxMessages(std::string_view status, int limit) override {
    return guard("read the outbox", [&] {
      auto& st = statement(std::string(kSelectMessage) +
                           " WHERE (? = '' OR status = ?) ORDER BY id DESC LIMIT ?");
      st.bind(1, std::string(status));
      st.bind(2, std::string(status));
      st.bind(3, limit);
      return readMessages(st);
    });
  }

  std::optional<OutboxMessage> outboxMessage(long id) override {
    return guard("read the outbox", [&]() -> std::optional<OutboxMessage> {
      auto& st = statement(std::string(kSelectMessage) + " WHERE id = ?");
      st.bind(1, static_cast<std::int64_t>(id));
      auto messages = readMessages(st);
      if (messages.empty()) return std::nullopt;
      return std::move(messages.front());
    });
  }

  bool retryMessage(long id, std::string_view now_utc) override {
    return guard("retry a message", [&] {
      auto& st = statement(
          "UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id = ? AND status IN "
          "('dead', 'pending')");
      st.bind(1, std::string(now_utc));
      st.bind(2, static_cast<std::int64_t>(id));
      return st.exec() > 0;
    });
  }

  long purgeMessages(std::string_view before_utc) override {
    return guard("purge the outbox", [&] {
      auto& st = statement(
          "DELETE FROM outbox WHERE status IN ('sent', 'dead') AND created_at < ?");
      st.bind(1, std::string(before_utc));
      return static_cast<long>(st.exec());
    });
  }

  std::vector<AlertRecord> undigestedAlerts() override {
    return guard("read alerts", [&] {
      std::vector<AlertRecord> alerts;
      auto& st = statement(
          "SELECT a.id, a.rule_id, p.person_id, a.subject, coalesce(a.event_id, 0), "
          "coalesce(a.cohort, ''), a.severity, a.deliver, a.fired_on, a.reasons, a.fired_at, '' "
          "FROM alerts a JOIN people p ON p.id = a.person_ref "
          "WHERE a.deliver = 'digest' AND a.digested_at IS NULL ORDER BY a.id");
      while (st.executeStep()) alerts.push_back(alertAt(st));
      return alerts;
    });
  }

  void markDigested(long alert_id, std::string_view digested_at) override {
    guard("mark an alert digested", [&] {
      auto& st = statement("UPDATE alerts SET digested_at = ? WHERE id = ?");
      st.bind(1, std::string(digested_at));
      st.bind(2, static_cast<std::int64_t>(alert_id));
      st.exec();
      return 0;
    });
  }

  std::optional<DigestSnapshot> lastDigestSnapshot(std::string_view schedule) override {
    return guard("read the last digest's snapshot", [&]() -> std::optional<DigestSnapshot> {
      auto& st = statement(
          "SELECT id, produced_at, as_of, last_event_id FROM digest_snapshots WHERE schedule = ? "
          "ORDER BY id DESC LIMIT 1");
      st.bind(1, std::string(schedule));
      if (!st.executeStep()) return std::nullopt;
      DigestSnapshot snapshot;
      const std::int64_t id = st.getColumn(0).getInt64();
      snapshot.schedule = std::string(schedule);
      snapshot.produced_at = st.getColumn(1).getString();
      snapshot.as_of = Date::parse(st.getColumn(2).getString()).value_or(Date());
      snapshot.last_event_id = static_cast<long>(st.getColumn(3).getInt64());
      auto& cohorts = statement(
          "SELECT cohort, members, reoffenders, reoffences FROM digest_snapshot_cohorts "
          "WHERE snapshot_ref = ? ORDER BY cohort");
      cohorts.bind(1, id);
      while (cohorts.executeStep()) {
        snapshot.cohorts.push_back({cohorts.getColumn(0).getString(),
                                    static_cast<long>(cohorts.getColumn(1).getInt64()),
                                    static_cast<long>(cohorts.getColumn(2).getInt64()),
                                    static_cast<long>(cohorts.getColumn(3).getInt64())});
      }
      return snapshot;
    });
  }

  void recordDigestSnapshot(const DigestSnapshot& snapshot) override {
    guard("record a digest's snapshot", [&] {
      auto& st = statement(
          "INSERT INTO digest_snapshots (schedule, produced_at, as_of, last_event_id) "
          "VALUES (?, ?, ?, ?)");
      st.bind(1, snapshot.schedule);
      st.bind(2, snapshot.produced_at);
      st.bind(3, snapshot.as_of.toString());
      st.bind(4, static_cast<std::int64_t>(snapshot.last_event_id));
      st.exec();
      const std::int64_t id = db_.getLastInsertRowid();
      auto& cohort = statement(
          "INSERT INTO digest_snapshot_cohorts (snapshot_ref, cohort, members, reoffenders, "
          "reoffences) VALUES (?, ?, ?, ?, ?)");
      for (const auto& figures : snapshot.cohorts) {
        cohort.reset();
        cohort.bind(1, id);
        cohort.bind(2, figures.cohort);
        cohort.bind(3, static_cast<std::int64_t>(figures.members));
        cohort.bind(4, static_cast<std::int64_t>(figures.reoffenders));
        cohort.bind(5, static_cast<std::int64_t>(figures.reoffences));
        cohort.exec();
      }
      return 0;
    });
  }

  long lastEventId() override {
    return guard("read the last change event's id", [&] {
      auto& st = statement("SELECT coalesce(max(id), 0) FROM events");
      st.executeStep();
      return static_cast<long>(st.getColumn(0).getInt64());
    });
  }

  std::optional<std::string> lastSlot(std::string_view schedule) override {
    return guard("read a schedule's state", [&]() -> std::optional<std::string> {
      auto& st = statement("SELECT last_slot FROM schedule_state WHERE schedule = ?");
      st.bind(1, std::string(schedule));
      if (!st.executeStep()) return std::nullopt;
      return st.getColumn(0).getString();
    });
  }

  void recordSlot(std::string_view schedule, std::string_view slot_utc) override {
    guard("record a schedule's slot", [&] {
      auto& st = statement(
          "INSERT INTO schedule_state (schedule, last_slot, fired_at) VALUES (?, ?, "
          "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ON CONFLICT (schedule) DO UPDATE SET "
          "last_slot = excluded.last_slot, fired_at = excluded.fired_at");
      st.bind(1, std::string(schedule));
      st.bind(2, std::string(slot_utc));
      st.exec();
      return 0;
    });
  }

  std::vector<OutboxCounts> outboxCounts() override {
    return guard("count the outbox", [&] {
      std::vector<OutboxCounts> counts;
      auto& st = statement(
          "SELECT channel, sum(status = 'pending'), sum(status = 'sent'), sum(status = 'dead'), "
          "sum(attempts > 1) FROM outbox GROUP BY channel ORDER BY channel");
      while (st.executeStep()) {
        counts.push_back({st.getColumn(0).getString(), static_cast<long>(st.getColumn(1).getInt64()),
                          static_cast<long>(st.getColumn(2).getInt64()),
                          static_cast<long>(st.getColumn(3).getInt64()),
                          static_cast<long>(st.getColumn(4).getInt64())});
      }
      return counts;
    });
  }

 private:
  static constexpr std::string_view kSelectMessage =
      "SELECT id, channel, recipient, kind, coalesce(alert_ref, 0), subject, body, status, "
      "attempts, created_at, next_attempt_at, coalesce(last_attempt_at, ''), "
      "coalesce(last_error, ''), coalesce(sent_at, ''), ambiguous FROM outbox";

  static AlertRecord alertAt(SQLite::Statement& st) {
    AlertRecord alert;
    alert.id = static_cast<long>(st.getColumn(0).getInt64());
    alert.rule_id = st.getColumn(1).getString();
    alert.person_id = st.getColumn(2).getString();
    alert.subject = st.getColumn(3).getString();
    alert.event_id = static_cast<long>(st.getColumn(4).getInt64());
    alert.cohort = st.getColumn(5).getString();
    alert.severity = st.getColumn(6).getString();
    alert.deliver = st.getColumn(7).getString();
    alert.fired_on = Date::parse(st.getColumn(8).getString()).value_or(Date());
    alert.reasons = st.getColumn(9).getString();
    alert.fired_at = st.getColumn(10).getString();
    alert.digested_at = st.getColumn(11).getString();
    return alert;
  }

  static std::vector<OutboxMessage> readMessages(SQLite::Statement& st) {
    std::vector<OutboxMessage> messages;
    while (st.executeStep()) {
      OutboxMessage m;
      m.id = static_cast<long>(st.getColumn(0).getInt64());
      m.channel = st.getColumn(1).getString();
      m.recipient = st.getColumn(2).getString();
      m.kind = st.getColumn(3).getString();
      m.alert_id = static_cast<long>(st.getColumn(4).getInt64());
      m.subject = st.getColumn(5).getString();
      m.body = st.getColumn(6).getString();
      m.status = st.getColumn(7).getString();
      m.attempts = st.getColumn(8).getInt();
      m.created_at = st.getColumn(9).getString();
      m.next_attempt_at = st.getColumn(10).getString();
      m.last_attempt_at = st.getColumn(11).getString();
      m.last_error = st.getColumn(12).getString();
      m.sent_at = st.getColumn(13).getString();
      m.ambiguous = st.getColumn(14).getInt() != 0;
      messages.push_back(std::move(m));
    }
    return messages;
  }

  SQLite::Database& db_;
};

}  // namespace

std::unique_ptr<AlertStore> makeSqliteAlertStore(SQLite::Database& db, std::string path) {
  return std::make_unique<SqliteAlertStore>(db, std::move(path));
}

}  // namespace cohortwatch::tracking
