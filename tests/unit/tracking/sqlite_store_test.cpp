// The SQLite store: migrations (fresh, upgrade, newer refused), connection settings, file mode,
// person history and the record semantics import relies on.
#include <sys/stat.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "tracking/sqlite_schema.h"
#include "tracking/store.h"

namespace cohortwatch::tracking {
namespace {

namespace fs = std::filesystem;

Date d(const char* text) { return *Date::parse(text); }

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    settings_.path = (dir_ / "cohortwatch.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  unsigned mode(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }

  PersonRecord person(const char* id, const char* updated_at = "") {
    PersonRecord p;
    p.person_id = id;
    p.date_of_birth = d("2009-04-01");
    p.gender = "male";
    p.looked_after = false;
    p.team = "North";
    p.updated_at = updated_at;
    return p;
  }

  fs::path dir_;
  config::DatabaseSettings settings_;
};

TEST_F(SqliteStoreTest, FreshDatabaseIsMigratedToTheCurrentVersion) {
  auto store = openSqliteStore(settings_);
  EXPECT_EQ(store->schemaVersion(), currentSchemaVersion());
  EXPECT_EQ(currentSchemaVersion(), sqliteMigrations().back().version);
  SQLite::Database db(settings_.path);
  EXPECT_EQ(db.execAndGet("PRAGMA application_id").getInt(), kSqliteApplicationId);
  for (const char* table : {"people", "person_changes", "offences", "outcomes", "rejected_rows"}) {
    EXPECT_TRUE(db.tableExists(table)) << table;
  }
}

TEST_F(SqliteStoreTest, DatabaseFileIsCreatedWithMode0600AndInWalMode) {
  auto store = openSqliteStore(settings_);
  EXPECT_EQ(mode(settings_.path), 0600u);
  SQLite::Database db(settings_.path);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
  // The WAL file SQLite creates next to it inherits the database file's mode.
  store->applyPerson(person("P1"), d("2025-01-01"));
  ASSERT_TRUE(fs::exists(settings_.path + "-wal"));
  EXPECT_EQ(mode(settings_.path + "-wal"), 0600u);
}

TEST_F(SqliteStoreTest, ExistingFileReadableByOthersIsTightened) {
  { std::ofstream create(settings_.path); }
  fs::permissions(settings_.path, fs::perms::owner_read | fs::perms::owner_write |
                                      fs::perms::group_read | fs::perms::others_read);
  auto store = openSqliteStore(settings_);
  EXPECT_EQ(mode(settings_.path), 0600u);
}

TEST_F(SqliteStoreTest, MissingParentDirectoryIsCreated) {
  settings_.path = (dir_ / "state" / "sub" / "cw.db").string();
  auto store = openSqliteStore(settings_);
  EXPECT_TRUE(fs::exists(settings_.path));
}

TEST_F(SqliteStoreTest, UpgradesAnOlderSchemaKeepingItsData) {
  {
    // A database as version 1 of the schema left it.
    SQLite::Database db(settings_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(sqliteMigrations()[0].sql);
    db.exec("PRAGMA user_version = 1");
    db.exec("PRAGMA application_id = " + std::to_string(kSqliteApplicationId));
    db.exec("INSERT INTO people (person_id, date_of_birth) VALUES ('P1', '2009-04-01')");
  }
  auto store = openSqliteStore(settings_);
  EXPECT_EQ(store->schemaVersion(), currentSchemaVersion());
  EXPECT_EQ(store->personBirthDate("P1"), d("2009-04-01"));
  EXPECT_EQ(store->counts().rejected_pending, 0);  // the table added by migration 2 is there
}

// Migration 7 replaces the mark on each event with the rules' cursor: it points just before the
// first event the rules had not evaluated, so none is evaluated twice and none is skipped.
TEST_F(SqliteStoreTest, UpgradeKeepsWhichEventsTheRulesHaveEvaluated) {
  {
    SQLite::Database db(settings_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (std::size_t i = 0; i < 6; ++i) db.exec(sqliteMigrations()[i].sql);
    db.exec("PRAGMA user_version = 6");
    db.exec("PRAGMA application_id = " + std::to_string(kSqliteApplicationId));
    for (int id = 1; id <= 5; ++id) {
      db.exec("INSERT INTO events (id, kind, detail, source, evaluated_at) VALUES (" +
              std::to_string(id) + ", 'cohort_entry', '{}', 'import', " +
              (id <= 3 ? "'2026-01-01T00:00:00Z'" : "NULL") + ")");
    }
  }
  auto store = openSqliteStore(settings_);
  EXPECT_EQ(store->alerting().unevaluatedCount(), 2);
  const auto events = store->alerting().unevaluatedEvents(10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, 4);
  EXPECT_EQ(events[1].id, 5);
  {
    auto tx = store->begin();
    store->alerting().markEvaluatedThrough(4);
    tx->commit();
  }
  EXPECT_EQ(store->alerting().unevaluatedCount(), 1);
  // The cursor never moves back.
  {
    auto tx = store->begin();
    store->alerting().markEvaluatedThrough(2);
    tx->commit();
  }
  EXPECT_EQ(store->alerting().unevaluatedEvents(10).front().id, 5);
}

TEST_F(SqliteStoreTest, UpgradeOfADatabaseWithEveryEventEvaluatedOrNoneLeavesNothingOrAllToDo) {
  for (const bool evaluated : {true, false}) {
    SCOPED_TRACE(evaluated);
    fs::remove(settings_.path);
    {
      SQLite::Database db(settings_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      for (std::size_t i = 0; i < 6; ++i) db.exec(sqliteMigrations()[i].sql);
      db.exec("PRAGMA user_version = 6");
      db.exec("PRAGMA application_id = " + std::to_string(kSqliteApplicationId));
      for (int id = 10; id <= 12; ++id) {
        db.exec("INSERT INTO events (id, kind, detail, source, evaluated_at) VALUES (" +
                std::to_string(id) + ", 'cohort_entry', '{}', 'import', " +
                (evaluated ? "'2026-01-01T00:00:00Z'" : "NULL") + ")");
      }
    }
    auto store = openSqliteStore(settings_);
    EXPECT_EQ(store->alerting().unevaluatedCount(), evaluated ? 0 : 3);
  }
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerVersion) {
  {
    auto store = openSqliteStore(settings_);
  }
  {
    SQLite::Database db(settings_.path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(currentSchemaVersion() + 1));
  }
  try {
    openSqliteStore(settings_);
    FAIL() << "a newer schema must be refused";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("newer cohortwatch"), std::string::npos) << message;
    EXPECT_NE(message.find(settings_.path), std::string::npos) << message;
  }
  // Refusing must not have touched it.
  SQLite::Database db(settings_.path);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), currentSchemaVersion() + 1);
}

TEST_F(SqliteStoreTest, RefusesAForeignSqliteDatabase) {
  {
    SQLite::Database db(settings_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE invoices (id INTEGER)");
  }
  EXPECT_THROW(openSqliteStore(settings_), StoreError);
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream junk(settings_.path);
    junk << "this is not an SQLite database, just some text long enough to be read as a header";
  }
  EXPECT_THROW(openSqliteStore(settings_), StoreError);
}

TEST_F(SqliteStoreTest, ForeignKeysAreEnforced) {
  auto store = openSqliteStore(settings_);
  OffenceRecord offence{"O1", "nobody", d("2025-01-01"), "", "", std::nullopt, false};
  EXPECT_THROW(store->applyOffence(offence), StoreError);
}

TEST_F(SqliteStoreTest, PersonIsInsertedThenUnchangedThenUpdatedWithHistory) {
  auto store = openSqliteStore(settings_);
  EXPECT_EQ(store->applyPerson(person("P1", "2025-01-01T10:00:00Z"), d("2025-01-01")), Applied::kInserted);
  EXPECT_EQ(store->applyPerson(person("P1", "2025-01-01T10:00:00Z"), d("2025-01-02")), Applied::kUnchanged);

  auto changed = person("P1", "2025-03-01T09:00:00Z");
  changed.looked_after = true;
  changed.team = "South";
  EXPECT_EQ(store->applyPerson(changed, d("2025-03-02")), Applied::kUpdated);

  const auto history = store->personChanges("P1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].field, "looked_after");
  EXPECT_EQ(history[0].old_value, "false");
  EXPECT_EQ(history[0].new_value, "true");
  EXPECT_EQ(history[0].changed_at, "2025-03-01T09:00:00Z");
  EXPECT_EQ(history[1].field, "team");
  EXPECT_EQ(history[1].old_value, "North");
  EXPECT_EQ(history[1].new_value, "South");
}

TEST_F(SqliteStoreTest, OlderPersonRowDoesNotOverwriteNewer) {
  auto store = openSqliteStore(settings_);
  auto newer = person("P1", "2025-03-01T09:00:00Z");
  newer.looked_after = true;
  store->applyPerson(newer, d("2025-03-01"));
  auto older = person("P1", "2025-02-01T09:00:00Z");
  older.looked_after = false;
  EXPECT_EQ(store->applyPerson(older, d("2025-03-02")), Applied::kOlderIgnored);
  EXPECT_TRUE(store->personChanges("P1").empty());
}

TEST_F(SqliteStoreTest, ChangeWithoutUpdatedAtIsDatedTheDayItWasRecorded) {
  auto store = openSqliteStore(settings_);
  store->applyPerson(person("P1"), d("2025-01-01"));
  auto moved = person("P1");
  moved.team = "East";
  store->applyPerson(moved, d("2025-04-05"));
  ASSERT_EQ(store->personChanges("P1").size(), 1u);
  EXPECT_EQ(store->personChanges("P1")[0].changed_at, "2025-04-05");
}

TEST_F(SqliteStoreTest, AbsentColumnLeavesValueEmptyValueClearsIt) {
  auto store = openSqliteStore(settings_);
  auto first = person("P1");
  first.ethnicity = "Mixed";
  first.caseworker = "cw1@yot.example.org";
  store->applyPerson(first, d("2025-01-01"));
  auto later = person("P1");
  later.ethnicity = std::nullopt;  // the export had no ethnicity column
  later.caseworker = "";           // the caseworker was removed
  EXPECT_EQ(store->applyPerson(later, d("2025-02-01")), Applied::kUpdated);
  const auto history = store->personChanges("P1");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].field, "caseworker");
  EXPECT_EQ(history[0].new_value, "");
}

TEST_F(SqliteStoreTest, OffencesAndOutcomesAreKeyedByTheirIds) {
  auto store = openSqliteStore(settings_);
  store->applyPerson(person("P1"), d("2025-01-01"));
  OffenceRecord offence{"O1", "P1", d("2025-01-05"), "HO 1", "text", 3, false};
  EXPECT_EQ(store->applyOffence(offence), Applied::kInserted);
  EXPECT_EQ(store->applyOffence(offence), Applied::kUnchanged);
  offence.gravity = 4;
  EXPECT_EQ(store->applyOffence(offence), Applied::kUpdated);
  OutcomeRecord outcome{"D1", "P1", "O1", "youth_caution", d("2025-01-20")};
  EXPECT_EQ(store->applyOutcome(outcome), Applied::kInserted);
  EXPECT_EQ(store->applyOutcome(outcome), Applied::kUnchanged);
  OutcomeRecord release{"D2", "P1", "", "release_from_custody", d("2025-03-01")};
  EXPECT_EQ(store->applyOutcome(release), Applied::kInserted);

  const auto counts = store->counts();
  EXPECT_EQ(counts.people, 1);
  EXPECT_EQ(counts.offences, 1);
  EXPECT_EQ(counts.outcomes, 2);
  EXPECT_EQ(store->findOffence("O1")->person_id, "P1");
  EXPECT_EQ(store->findOffence("O1")->offence_date, d("2025-01-05"));
  EXPECT_FALSE(store->findOffence("O2"));

  const auto data = store->loadCohortData();
  ASSERT_EQ(data.people.size(), 1u);
  ASSERT_EQ(data.offences.size(), 1u);
  ASSERT_EQ(data.outcomes.size(), 2u);
  EXPECT_EQ(data.outcomes[0].offence, 0);
  EXPECT_EQ(data.outcomes[1].offence, kNoOffence);
  EXPECT_EQ(data.outcome_types[data.outcomes[1].type], "release_from_custody");
}

TEST_F(SqliteStoreTest, TransactionWithoutCommitRollsBack) {
  auto store = openSqliteStore(settings_);
  {
    auto transaction = store->begin();
    store->applyPerson(person("P1"), d("2025-01-01"));
  }
  EXPECT_FALSE(store->personBirthDate("P1"));
  {
    auto transaction = store->begin();
    store->applyPerson(person("P2"), d("2025-01-01"));
    transaction->commit();
  }
  EXPECT_TRUE(store->personBirthDate("P2"));
}

// Ingest transactions leave SQLite's foreign-key checks to the importer's own; every other
// transaction, before and after one (committed or rolled back), has them. An alert naming a
// change event that does not exist breaks a foreign key that nothing but SQLite checks.
TEST_F(SqliteStoreTest, ForeignKeysAreCheckedOutsideIngestTransactionsOnly) {
  auto store = openSqliteStore(settings_);
  AlertRecord alert;
  alert.rule_id = "reoffence";
  alert.person_id = "P1";
  alert.subject = "P1 reoffended";
  alert.event_id = 999;  // no such event
  alert.severity = "high";
  alert.deliver = "digest";
  alert.fired_on = d("2025-02-01");
  alert.reasons = "{}";
  {
    auto transaction = store->beginIngest();
    store->applyPerson(person("P1"), d("2025-01-01"));
    transaction->commit();
  }
  EXPECT_TRUE(store->personBirthDate("P1"));
  {
    auto transaction = store->begin();
    EXPECT_THROW(store->alerting().recordAlert(alert), StoreError);
  }
  {
    auto transaction = store->beginIngest();  // rolled back
    EXPECT_NO_THROW(store->alerting().recordAlert(alert));
  }
  {
    auto transaction = store->begin();
    EXPECT_THROW(store->alerting().recordAlert(alert), StoreError);
  }
  EXPECT_TRUE(store->alerting().alertsSince(d("2025-01-01")).empty());
}

// The checkpoint after an ingest's commit is left to the next other commit: the ingest's pages
// stay in the WAL (readable, and synced) until then.
TEST_F(SqliteStoreTest, CheckpointAfterAnIngestWaitsForTheNextOtherCommit) {
  auto store = openSqliteStore(settings_);
  const fs::path database = settings_.path;
  const fs::path wal = settings_.path + "-wal";
  {
    auto transaction = store->beginIngest();
    for (int i = 0; i < 20000; ++i) {
      auto child = person(("P" + std::to_string(i)).c_str());
      child.first_name = std::string(200, 'a');  // about 2,000 pages in all
      store->applyPerson(child, d("2025-01-01"));
    }
    transaction->commit();
  }
  EXPECT_GT(fs::file_size(wal), 4u << 20);
  EXPECT_LT(fs::file_size(database), 1u << 20);
  EXPECT_EQ(store->counts().people, 20000);
  {
    SQLite::Database reader(settings_.path, SQLite::OPEN_READONLY);
    EXPECT_EQ(reader.execAndGet("SELECT count(*) FROM people").getInt(), 20000);
  }
  {
    auto transaction = store->begin();
    store->applyPerson(person("P-last"), d("2025-01-01"));
    transaction->commit();
  }
  EXPECT_GT(fs::file_size(database), 4u << 20);
}

TEST_F(SqliteStoreTest, RejectedRowsAreKeptOnceAndResolved) {
  auto store = openSqliteStore(settings_);
  RejectedRow row{"import", "offences.csv", 3, "offences", "person_id: unknown child", "O9,P9,2025-01-01",
                  "offence_id,person_id,offence_date"};
  store->recordRejected(row);
  store->recordRejected(row);  // seen again on a re-import
  ASSERT_EQ(store->pendingRejected().size(), 1u);
  EXPECT_EQ(store->pendingRejected()[0].reason, "person_id: unknown child");
  EXPECT_EQ(store->pendingRejected()[0].header, "offence_id,person_id,offence_date");
  store->resolveRejected(row);
  EXPECT_TRUE(store->pendingRejected().empty());
  EXPECT_EQ(store->counts().rejected_pending, 0);
}

TEST_F(SqliteStoreTest, ReleaseMemoryGivesBackThePageCacheAndKeepsTheData) {
  auto store = openSqliteStore(settings_);
  {
    auto transaction = store->begin();
    for (int i = 0; i < 5000; ++i) store->applyPerson(person(("P" + std::to_string(i)).c_str()), d("2025-01-01"));
    transaction->commit();
  }
  ASSERT_EQ(store->loadCohortData().people.size(), 5000u);  // every page read into the cache
  // Bytes of page cache SQLite took from the heap (counted even with the store's memory
  // statistics off), for every connection of this process: the test's only one.
  const auto page_cache = [] {
    sqlite3_int64 current = 0;
    sqlite3_int64 highwater = 0;
    sqlite3_status64(SQLITE_STATUS_PAGECACHE_OVERFLOW, &current, &highwater, 0);
    return current;
  };
  const auto before = page_cache();
  ASSERT_GT(before, 256 * 1024);
  store->releaseMemory();
  EXPECT_LT(page_cache(), before / 4) << "the page cache was not released";
  EXPECT_EQ(store->loadCohortData().people.size(), 5000u);
  EXPECT_EQ(store->counts().people, 5000);
}

}  // namespace
}  // namespace cohortwatch::tracking
