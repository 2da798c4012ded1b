// The Store: everything cohortwatch keeps, behind one interface so that no other code writes SQL
// and a second backend (PostgreSQL) can sit beside SQLite later. Writes happen inside a
// Transaction; a Transaction that is destroyed without commit() rolls back.
// Failures throw StoreError (with the database path and the failing operation, never row data).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "tracking/cohort_data.h"
#include "tracking/records.h"

namespace cohortwatch::tracking {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual void commit() = 0;
};

// What applying a record did. kOlderIgnored: a person row older (by updated_at) than the stored one.
enum class Applied { kInserted, kUpdated, kUnchanged, kOlderIgnored };

// A fact ingest recorded for the rules engine, in the same transaction as the change itself:
// cohort_entry, offence_recorded, offence_proven, person_changed, data_quality.
struct ChangeEvent {
  long id = 0;  // assigned by the store
  std::string kind;
  std::string person_id;
  std::string occurred_on;  // the date it concerns (offence date, outcome date, change date)
  std::string detail;       // a JSON object: ids, dates, codes, old and new values
  std::string source;
};

// An outcome as stored, for deriving events about a person.
struct StoredOutcome {
  std::string outcome_id;
  std::string offence_id;  // empty for a release from custody
  std::string outcome_type;
  Date outcome_date;
};

// An export a source has taken (or rejected whole), identified by its content hash.
struct SourceFile {
  std::string source;
  std::string content_hash;
  std::string name;
  std::int64_t size = 0;
  bool rejected = false;
  long rows_taken = 0;
  long rows_rejected = 0;
  std::string error;
  std::string taken_at;  // set by the store
};

// What a source has done, and where an http source resumes (its ETag and cursor).
struct SourceState {
  std::string source;
  std::string etag;
  std::string last_modified;
  std::string cursor;
  std::string last_run;
  std::string last_success;
  std::string last_error;
  long files_taken = 0;
  long requests = 0;
  long rows_taken = 0;
  long rows_rejected = 0;
};

struct StoreCounts {
  long people = 0;
  long offences = 0;
  long outcomes = 0;
  long rejected_pending = 0;  // rejected rows not yet taken by a later import or retry
};

// A child's attributes as stored (DOMAIN.md people.csv), for the rules and for naming the child
// in messages as far as privacy settings allow.
struct PersonDetails {
  std::string person_id;
  std::string first_name;
  std::string last_name;
  std::string gender;
  std::string ethnicity;
  std::optional<bool> looked_after;
  std::string caseworker;
  std::string team;
};

// An action decided for a child (issue 8's review workflow), as far as the rules need it.
struct OpenAction {
  long id = 0;
  std::string person_id;
  std::string description;
  std::string owner;
  std::optional<Date> due_on;
  std::string notes;
  std::string status = "open";  // openActions() returns open ones only
};

// An alert rule that fired for a child. `subject` is what it is about beyond the child (a cohort
// for follow_up_ending, an action id for action rules, empty otherwise): a rule does not fire
// again for the same child and subject within its realert window.
struct AlertRecord {
  long id = 0;  // assigned by the store
  std::string rule_id;
  std::string person_id;
  std::string subject;
  long event_id = 0;  // the change event that triggered it; 0 for rules on the calendar
  std::string cohort;
  std::string severity;
  std::string deliver;  // immediately, digest
  Date fired_on;
  std::string reasons;  // JSON: the rule, its condition and the values it read
  std::string fired_at;     // set by the store
  std::string digested_at;  // when a digest included it; empty until then
};

// One message to deliver through one channel: written in the same transaction as the decision
// that created it, then delivered (and retried) by the dispatcher.
struct OutboxMessage {
  long id = 0;  // assigned by the store
  std::string channel;    // a channel name from the configuration
  std::string recipient;  // an e-mail address; empty for webhooks
  std::string kind;       // alert, digest, reminder, report
  long alert_id = 0;      // 0 when not about one alert
  std::string subject;
  std::string body;  // JSON: the rendered message (see channels/rendered_message.h)
  std::string status = "pending";  // pending, sent, dead
  int attempts = 0;
  std::string created_at;       // ISO 8601 UTC, set by the store
  std::string next_attempt_at;  // ISO 8601 UTC
  std::string last_attempt_at;
  std::string last_error;
  std::string sent_at;
  bool ambiguous = false;  // an attempt may have been taken by the server without our knowing
};

// What one manager digest showed of one cohort, so that the next can say what changed since.
struct CohortFigures {
  std::string cohort;  // e.g. "2025Q1"
  long members = 0, reoffenders = 0, reoffences = 0;
};

// A queued manager digest: when, as of which day, up to which change event it had seen, and the
// figures of the cohorts it showed.
struct DigestSnapshot {
  std::string schedule;
  std::string produced_at;  // ISO 8601 UTC
  Date as_of;
  long last_event_id = 0;
  std::vector<CohortFigures> cohorts;  // by cohort name
};

struct OutboxCounts {
  std::string channel;
  long pending = 0, sent = 0, dead = 0, retried = 0;  // retried: messages with attempts > 1
};

// The alert side of the store: change events waiting for the rules, alerts fired, the outbox,
// and the casework (actions, reviews) the rules read. All writes join the caller's Transaction.
class AlertStore {
 public:
  virtual ~AlertStore() = default;

  virtual std::vector<PersonDetails> personDetails() = 0;  // every child, by person_id
  virtual std::vector<OpenAction> openActions() = 0;
  // The last review of each child reviewed at least once: person_id -> date.
  virtual std::vector<std::pair<std::string, Date>> lastReviews() = 0;

  // Change events not yet evaluated by the rules, oldest first; marking them evaluated belongs
  // in the transaction that records what they caused. markEvaluatedThrough marks every event up
  // to and including `last_event_id` evaluated (the rules' progress is one cursor: events are
  // taken in id order, never renumbered, and a new event's id is above every committed one's,
  // which holds as long as no purge ever deletes the newest event).
  virtual std::vector<ChangeEvent> unevaluatedEvents(int limit) = 0;
  virtual void markEvaluatedThrough(long last_event_id) = 0;
  virtual long unevaluatedCount() = 0;

  // The date the rule last fired for the child and subject, if ever.
  virtual std::optional<Date> lastFired(std::string_view rule_id, std::string_view person_id,
                                        std::string_view subject) = 0;
  virtual long recordAlert(const AlertRecord& alert) = 0;
  virtual std::vector<AlertRecord> alertsSince(Date first_day) = 0;

  virtual long enqueue(const OutboxMessage& message) = 0;
  // Pending messages whose next attempt is due at `now_utc` (ISO 8601), oldest first.
  virtual std::vector<OutboxMessage> dueMessages(std::string_view now_utc, int limit) = 0;
  // The earliest next attempt among pending messages, if any.
  virtual std::optional<std::string> nextAttemptAt() = 0;
  // Records one attempt: status sent, pending (with the next attempt) or dead.
  virtual void recordAttempt(long id, std::string_view status, std::string_view attempted_at,
                             std::string_view next_attempt_at, std::string_view error,
                             bool ambiguous) = 0;
  virtual std::vector<OutboxMessage> outboxMessages(std::string_view status, int limit) = 0;
  virtual std::optional<OutboxMessage> outboxMessage(long id) = 0;
  // A dead (or pending) message made due now, its attempts kept; false when no such message.
  virtual bool retryMessage(long id, std::string_view now_utc) = 0;
  // Removes sent and dead messages created before `before_utc`; returns how many.
  virtual long purgeMessages(std::string_view before_utc) = 0;
  virtual std::vector<OutboxCounts> outboxCounts() = 0;

  // Alerts waiting for a digest (deliver = digest, not yet in one), oldest first, and marking
  // them as sent in one (in the transaction that queues the digest).
  virtual std::vector<AlertRecord> undigestedAlerts() = 0;
  virtual void markDigested(long alert_id, std::string_view digested_at) = 0;

  // The snapshot of the schedule's last queued digest, if any; recording one belongs in the
  // transaction that queues the digest.
  virtual std::optional<DigestSnapshot> lastDigestSnapshot(std::string_view schedule) = 0;
  virtual void recordDigestSnapshot(const DigestSnapshot& snapshot) = 0;
  // The id of the latest change event (0 when there is none).
  virtual long lastEventId() = 0;

  // Schedules: the last slot each fired for (ISO 8601 UTC), recorded in the transaction that
  // queues what the slot produced, so that a restart neither sends it twice nor skips it.
  virtual std::optional<std::string> lastSlot(std::string_view schedule) = 0;
  virtual void recordSlot(std::string_view schedule, std::string_view slot_utc) = 0;
};

// Casework (issue 8): actions decided for a child at a review meeting, every change to them, and
// the reviews themselves. An action's status is open, done or cancelled; its owner an e-mail
// address. Persons are named by person_id and must exist (UnknownPersonError otherwise).
struct Action {
  long id = 0;  // assigned by the store
  std::string person_id;
  std::string description;
  std::string owner;
  std::optional<Date> due_on;
  std::string status = "open";
  std::string notes;
  std::string recorded_by;
  std::string recorded_at;  // ISO 8601 UTC, set by the store
  std::string updated_at;   // ISO 8601 UTC, set by the store on every change
};

// One changed field of an action (description, owner, due_on, notes, status): old -> new.
struct ActionChange {
  long action_id = 0;
  std::string field;
  std::string old_value;  // empty for a value that was not set
  std::string new_value;
  std::string changed_by;
  std::string changed_at;  // ISO 8601 UTC, set by the store
};

// The fields an update sets; those left nullopt stay as they are. `due_on` holding nullopt
// clears the due date.
struct ActionUpdate {
  std::optional<std::string> description;
  std::optional<std::string> owner;
  std::optional<std::optional<Date>> due_on;
  std::optional<std::string> notes;
  std::optional<std::string> status;
};

// Which actions to list; empty strings match everything. `overdue_on`: only open actions due
// before that day.
struct ActionFilter {
  std::string owner;  // matched ignoring ASCII case
  std::string person_id;
  std::string status;  // open, done, cancelled, or empty for all
  std::optional<Date> overdue_on;
};

struct Review {
  long id = 0;  // assigned by the store
  std::string person_id;
  Date reviewed_on;
  std::string note;
  std::string recorded_by;
  std::string recorded_at;  // ISO 8601 UTC, set by the store
};

// A person_id the store does not know, e.g. an action for a child never imported.
class UnknownPersonError : public StoreError {
 public:
  using StoreError::StoreError;
};

// The casework side of the store. All writes join the caller's Transaction.
class CaseworkStore {
 public:
  virtual ~CaseworkStore() = default;

  // The child's stored attributes (their caseworker, say); nullopt for an unknown person_id.
  virtual std::optional<PersonDetails> person(std::string_view person_id) = 0;

  // Adds an action (status, notes and due date as given) and returns its id. Throws
  // UnknownPersonError for an unknown child, StoreError for a status other than open, done or
  // cancelled.
  virtual long addAction(const Action& action) = 0;
  // Applies the fields of `update` that differ from the stored ones, records each in the
  // action's history with `changed_by`, bumps updated_at, and returns the changes (empty when
  // nothing differed). Throws StoreError for an unknown action or status.
  virtual std::vector<ActionChange> updateAction(long id, const ActionUpdate& update,
                                                 std::string_view changed_by) = 0;
  virtual std::optional<Action> action(long id) = 0;
  // Matching actions, by due date (undated last), then id.
  virtual std::vector<Action> actions(const ActionFilter& filter) = 0;
  // Every change of one action, oldest first.
  virtual std::vector<ActionChange> actionHistory(long id) = 0;

  // Records a review of the child on that day; returns its id. Throws UnknownPersonError.
  virtual long recordReview(const Review& review) = 0;
  // Reviews of one child (every child when person_id is empty), newest first.
  virtual std::vector<Review> reviews(std::string_view person_id) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual int schemaVersion() = 0;
  virtual std::unique_ptr<Transaction> begin() = 0;
  // A write transaction for ingest (CanonicalImporter), whose writes the importer has checked
  // itself: every child and offence a record refers to, and the child of every event, exist. The
  // SQLite store does not check foreign keys again in it, and leaves the WAL checkpoint after its
  // commit to a later one (up to a bound). Every other write uses begin().
  virtual std::unique_ptr<Transaction> beginIngest() { return begin(); }

  // Canonical records. A person row changes the stored person only if it is not older than it;
  // each changed attribute is kept in the person's history, dated `changed_on`'s day when the row
  // has no updated_at. Offences and outcomes are keyed by their ids; the person (and offence) they
  // refer to must exist (callers validate with the lookups below).
  // `changes`, when given, receives the attributes this row changed.
  virtual Applied applyPerson(const PersonRecord& person, Date changed_on,
                              std::vector<PersonChange>* changes) = 0;
  Applied applyPerson(const PersonRecord& person, Date changed_on) {
    return applyPerson(person, changed_on, nullptr);
  }
  virtual Applied applyOffence(const OffenceRecord& offence) = 0;
  virtual Applied applyOutcome(const OutcomeRecord& outcome) = 0;

  virtual std::optional<Date> personBirthDate(std::string_view person_id) = 0;
  virtual std::optional<StoredOffence> findOffence(std::string_view offence_id) = 0;
  virtual std::vector<PersonChange> personChanges(std::string_view person_id) = 0;
  virtual std::vector<StoredOutcome> personOutcomes(std::string_view person_id) = 0;

  // Change events, in the order they were recorded.
  virtual void appendEvent(const ChangeEvent& event) = 0;
  virtual std::vector<ChangeEvent> events(long after_id, int limit) = 0;

  // Sources: the exports they took, and their state.
  virtual std::optional<SourceFile> findSourceFile(std::string_view source,
                                                   std::string_view content_hash) = 0;
  virtual void recordSourceFile(const SourceFile& file) = 0;
  virtual SourceState sourceState(std::string_view source) = 0;  // empty state when never run
  virtual void saveSourceState(const SourceState& state) = 0;
  virtual std::vector<SourceState> sourceStates() = 0;

  // Rejected rows: recorded once per (source, file, line, raw) however often they are seen again;
  // marked resolved when the same row is later taken.
  virtual void recordRejected(const RejectedRow& row) = 0;
  virtual void resolveRejected(const RejectedRow& row) = 0;
  virtual std::vector<RejectedRow> pendingRejected() = 0;

  virtual CohortData loadCohortData() = 0;
  virtual StoreCounts counts() = 0;

  // Gives back the memory the connection holds for speed (SQLite's page cache), for a connection
  // about to sit idle; the next query reads its pages again. Outside a transaction.
  virtual void releaseMemory() {}

  // Alerts, the outbox and casework, on the same database and transactions.
  virtual AlertStore& alerting() = 0;
  virtual CaseworkStore& casework() = 0;
};

// Opens (creating with mode 0600 if needed) and migrates the SQLite store at settings.path.
// Throws StoreError when the file cannot be opened, is not a cohortwatch database, or was written
// by a newer cohortwatch (schema version above the one this build knows).
std::unique_ptr<Store> openSqliteStore(const config::DatabaseSettings& settings);

// The schema version this build writes.
int currentSchemaVersion();

}  // namespace cohortwatch::tracking
