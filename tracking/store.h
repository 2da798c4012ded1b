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

class Store {
 public:
  virtual ~Store() = default;

  virtual int schemaVersion() = 0;
  virtual std::unique_ptr<Transaction> begin() = 0;

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
};

// Opens (creating with mode 0600 if needed) and migrates the SQLite store at settings.path.
// Throws StoreError when the file cannot be opened, is not a cohortwatch database, or was written
// by a newer cohortwatch (schema version above the one this build knows).
std::unique_ptr<Store> openSqliteStore(const config::DatabaseSettings& settings);

// The schema version this build writes.
int currentSchemaVersion();

}  // namespace cohortwatch::tracking
