// The Store: everything cohortwatch keeps, behind one interface so that no other code writes SQL
// and a second backend (PostgreSQL) can sit beside SQLite later. Writes happen inside a
// Transaction; a Transaction that is destroyed without commit() rolls back.
// Failures throw StoreError (with the database path and the failing operation, never row data).
#pragma once

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
  virtual Applied applyPerson(const PersonRecord& person, Date changed_on) = 0;
  virtual Applied applyOffence(const OffenceRecord& offence) = 0;
  virtual Applied applyOutcome(const OutcomeRecord& outcome) = 0;

  virtual std::optional<Date> personBirthDate(std::string_view person_id) = 0;
  virtual std::optional<StoredOffence> findOffence(std::string_view offence_id) = 0;
  virtual std::vector<PersonChange> personChanges(std::string_view person_id) = 0;

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
