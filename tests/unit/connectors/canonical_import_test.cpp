// Canonical import: every validation rule of DOMAIN.md's data model names file, line and column;
// good rows are taken while bad ones are kept for retry; re-import changes nothing.
#include "connectors/canonical_import.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cohortwatch::connectors {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using tracking::Date;

Date d(const char* text) { return *Date::parse(text); }

class CanonicalImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-import-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config::DatabaseSettings db;
    db.path = (dir_ / "cw.db").string();
    store_ = tracking::openSqliteStore(db);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::vector<FileImportSummary> import(const std::vector<fs::path>& files,
                                        std::optional<RecordKind> kind = std::nullopt) {
    CanonicalImporter importer(*store_, methodology_, today_, "import");
    importer.onRejected([&](const tracking::RejectedRow& row) {
      rejections_.push_back(fs::path(row.file).filename().string() + ":" + std::to_string(row.line) +
                            ": " + row.reason);
    });
    return importer.importFiles(files, kind);
  }

  // PRAGMA foreign_key_check on the database, one line per broken reference: ingest runs without
  // SQLite's checks and must break none.
  std::string brokenReferences() {
    SQLite::Database db((dir_ / "cw.db").string(), SQLite::OPEN_READONLY);
    SQLite::Statement check(db, "PRAGMA foreign_key_check");
    std::string broken;
    while (check.executeStep()) {
      broken += check.getColumn(0).getString() + " row " + check.getColumn(1).getString() + " -> " +
                check.getColumn(2).getString() + "\n";
    }
    return broken;
  }

  static constexpr const char* kPeople =
      "person_id,date_of_birth,gender,looked_after,updated_at\n"
      "P1,2009-04-01,male,false,2025-01-01T10:00:00Z\n"
      "P2,2010-06-15,Female,yes,2025-01-01\n";

  fs::path dir_;
  std::unique_ptr<tracking::Store> store_;
  config::MethodologySettings methodology_;
  Date today_ = d("2026-06-30");
  std::vector<std::string> rejections_;
};

TEST_F(CanonicalImportTest, TakesValidFilesInDependencyOrderAndSummarises) {
  auto people = write("people.csv", kPeople);
  auto offences = write("offences.csv",
                        "offence_id,person_id,offence_date,gravity,breach\n"
                        "O1,P1,2025-01-05,3,false\n"
                        "O2,P2,2025-02-01,,\n");
  auto outcomes = write("outcomes.csv",
                        "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                        "D1,P1,O1,youth_caution,2025-01-20\n"
                        "D2,P2,,release_from_custody,2025-03-01\n");
  const auto summaries = import({outcomes, offences, people});
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_EQ(summaries[0].summaryLine(), "people.csv: 2 taken, 0 rejected");
  EXPECT_EQ(summaries[1].summaryLine(), "offences.csv: 2 taken, 0 rejected");
  EXPECT_EQ(summaries[2].summaryLine(), "outcomes.csv: 2 taken, 0 rejected");
  EXPECT_TRUE(rejections_.empty());
  EXPECT_EQ(store_->counts().outcomes, 2);
}

TEST_F(CanonicalImportTest, ImportingTheSameFilesAgainChangesNothing) {
  auto people = write("people.csv", kPeople);
  auto offences = write("offences.csv", "offence_id,person_id,offence_date\nO1,P1,2025-01-05\n");
  import({people, offences});
  const auto again = import({people, offences});
  EXPECT_EQ(again[0].unchanged, 2);
  EXPECT_EQ(again[0].inserted + again[0].updated, 0);
  EXPECT_EQ(again[1].unchanged, 1);
  EXPECT_EQ(store_->counts().people, 2);
  EXPECT_EQ(store_->counts().offences, 1);
  EXPECT_TRUE(store_->personChanges("P1").empty());
}

TEST_F(CanonicalImportTest, ColumnOrderIsFreeUnknownColumnsIgnoredBomAndCrlfAccepted) {
  auto people = write("people.csv",
                      "\xEF\xBB\xBFteam,Date_Of_Birth,extra,PERSON_ID\r\n"
                      "\"North, upper\",2009-04-01,whatever,P1\r\n");
  const auto summaries = import({people});
  EXPECT_EQ(summaries[0].taken, 1);
  EXPECT_EQ(store_->personBirthDate("P1"), d("2009-04-01"));
}

TEST_F(CanonicalImportTest, BadRowsAreRejectedWithLineAndColumnAndTheRestTaken) {
  auto people = write("people.csv",
                      "person_id,date_of_birth,gender,looked_after,caseworker,updated_at\n"
                      "P1,2009-04-01,male,false,cw@yot.example.org,\n"
                      ",2009-04-01,male,false,,\n"                       // line 3
                      "P3,31/01/2009,male,false,,\n"                     // line 4
                      "P4,2009-02-30,male,false,,\n"                     // line 5
                      "P5,2009-04-01,boy,false,,\n"                      // line 6
                      "P6,2009-04-01,male,perhaps,,\n"                   // line 7
                      "P7,2099-01-01,male,false,,\n"                     // line 8
                      "P8,2009-04-01,male,false,not-an-email,\n"         // line 9
                      "P9,2009-04-01,male,false,,yesterday\n"            // line 10
                      "P10,2009-04-01,male\n"                            // line 11
                      "P11,2009-04-01,\"unterminated,false,,\n");        // line 12
  const auto summaries = import({people});
  EXPECT_EQ(summaries[0].taken, 1);
  EXPECT_EQ(summaries[0].rejected, 10);
  EXPECT_EQ(summaries[0].summaryLine(), "people.csv: 1 taken, 10 rejected");
  ASSERT_EQ(rejections_.size(), 10u);
  EXPECT_EQ(rejections_[0], "people.csv:3: person_id: required value is missing");
  EXPECT_EQ(rejections_[1], "people.csv:4: date_of_birth: not a date in the form YYYY-MM-DD");
  EXPECT_EQ(rejections_[2], "people.csv:5: date_of_birth: not a date in the form YYYY-MM-DD");
  EXPECT_THAT(rejections_[3], HasSubstr("people.csv:6: gender: expected one of"));
  EXPECT_THAT(rejections_[4], HasSubstr("people.csv:7: looked_after: expected true or false"));
  EXPECT_THAT(rejections_[5], HasSubstr("people.csv:8: date_of_birth: date in the future"));
  EXPECT_THAT(rejections_[6], HasSubstr("people.csv:9: caseworker: expected an e-mail address"));
  EXPECT_THAT(rejections_[7], HasSubstr("people.csv:10: updated_at: expected an ISO 8601"));
  EXPECT_THAT(rejections_[8], HasSubstr("people.csv:11: csv: the row has 3 fields, the header has 6"));
  EXPECT_THAT(rejections_[9], HasSubstr("people.csv:12: csv:"));
  EXPECT_EQ(store_->pendingRejected().size(), 10u);
  EXPECT_EQ(store_->pendingRejected()[0].line, 3);
}

TEST_F(CanonicalImportTest, OffenceRulesIncludingUnknownChild) {
  import({write("people.csv", kPeople)});
  auto offences = write("offences.csv",
                        "offence_id,person_id,offence_date,gravity,breach\n"
                        "O1,P1,2025-01-05,3,false\n"
                        "O2,P9,2025-01-05,3,false\n"       // line 3
                        "O3,P1,2025-01-05,9,false\n"       // line 4
                        "O4,P1,2025-01-05,3,maybe\n"       // line 5
                        "O5,P1,2008-01-01,3,false\n"       // line 6: before birth
                        "O6,P1,,3,false\n");               // line 7
  const auto summaries = import({offences});
  EXPECT_EQ(summaries[0].taken, 1);
  ASSERT_EQ(rejections_.size(), 5u);
  EXPECT_THAT(rejections_[0], HasSubstr("offences.csv:3: person_id: unknown child"));
  EXPECT_THAT(rejections_[1], HasSubstr("offences.csv:4: gravity: expected a whole number from 1 to 8"));
  EXPECT_THAT(rejections_[2], HasSubstr("offences.csv:5: breach: expected true or false"));
  EXPECT_THAT(rejections_[3], HasSubstr("offences.csv:6: offence_date: before the child's date of birth"));
  EXPECT_THAT(rejections_[4], HasSubstr("offences.csv:7: offence_date: required value is missing"));
}

TEST_F(CanonicalImportTest, OutcomeRules) {
  import({write("people.csv", kPeople),
          write("offences.csv", "offence_id,person_id,offence_date\nO1,P1,2025-01-05\nO2,P2,2025-01-06\n")});
  auto outcomes = write("outcomes.csv",
                        "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                        "D1,P1,O1,youth_caution,2025-01-20\n"
                        "D2,P1,O1,caution,2025-01-20\n"            // line 3: unknown code
                        "D3,P1,O9,fine,2025-01-20\n"               // line 4: unknown offence
                        "D4,P1,O2,fine,2025-01-20\n"               // line 5: another child's offence
                        "D5,P1,O1,fine,2025-01-01\n"               // line 6: before the offence
                        "D6,P1,,fine,2025-01-20\n"                 // line 7: offence required
                        "D7,P9,O1,fine,2025-01-20\n"               // line 8: unknown child
                        "D8,P1,O1,fine,2030-01-01\n");             // line 9: future
  const auto summaries = import({outcomes});
  EXPECT_EQ(summaries[0].taken, 1);
  ASSERT_EQ(rejections_.size(), 7u);
  EXPECT_THAT(rejections_[0], HasSubstr("outcomes.csv:3: outcome_type: unknown outcome type"));
  EXPECT_THAT(rejections_[1], HasSubstr("outcomes.csv:4: offence_id: unknown offence"));
  EXPECT_THAT(rejections_[2], HasSubstr("outcomes.csv:5: offence_id: the offence belongs to another child"));
  EXPECT_THAT(rejections_[3], HasSubstr("outcomes.csv:6: outcome_date: before the offence was committed"));
  EXPECT_THAT(rejections_[4], HasSubstr("outcomes.csv:7: offence_id: required for every outcome except"));
  EXPECT_THAT(rejections_[5], HasSubstr("outcomes.csv:8: person_id: unknown child"));
  EXPECT_THAT(rejections_[6], HasSubstr("outcomes.csv:9: outcome_date: date in the future"));
}

TEST_F(CanonicalImportTest, RejectedRowIsTakenOnRetryOnceItsChildArrives) {
  auto offences = write("offences.csv", "offence_id,person_id,offence_date\nO1,P1,2025-01-05\n");
  import({offences});
  ASSERT_EQ(store_->pendingRejected().size(), 1u);
  import({write("people.csv", kPeople)});

  CanonicalImporter importer(*store_, methodology_, today_, "import");
  const auto retry = importer.retryRejected();
  EXPECT_EQ(retry.retried, 1);
  EXPECT_EQ(retry.taken, 1);
  EXPECT_EQ(retry.still_rejected, 0);
  EXPECT_TRUE(store_->pendingRejected().empty());
  EXPECT_TRUE(store_->findOffence("O1"));
}

TEST_F(CanonicalImportTest, ReimportingTheFixedFileResolvesItsRejectedRows) {
  auto offences = write("offences.csv", "offence_id,person_id,offence_date\nO1,P1,2025-01-05\n");
  import({offences});
  import({write("people.csv", kPeople)});
  import({offences});
  EXPECT_TRUE(store_->pendingRejected().empty());
  EXPECT_EQ(store_->counts().offences, 1);
}

// Ingest runs without SQLite's foreign-key checks (the importer checks instead): rows for children
// and offences not yet known, imported out of order and taken on retry, and offences and outcomes
// moved to another child, leave no broken reference.
TEST_F(CanonicalImportTest, OutOfOrderRetriedAndMovedRecordsBreakNoReference) {
  auto outcomes = write("outcomes.csv",
                        "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                        "D1,P1,O1,youth_caution,2025-01-20\n"
                        "D2,P2,O2,fine,2025-02-20\n"
                        "D3,P3,,release_from_custody,2025-03-01\n");  // P3 never arrives
  auto offences = write("offences.csv",
                        "offence_id,person_id,offence_date\n"
                        "O1,P1,2025-01-05\n"
                        "O2,P2,2025-02-01\n"
                        "O3,P9,2025-02-01\n");  // P9 never arrives
  import({outcomes});
  import({offences});
  EXPECT_EQ(store_->pendingRejected().size(), 6u);
  import({write("people.csv", kPeople)});
  CanonicalImporter importer(*store_, methodology_, today_, "import");
  const auto retry = importer.retryRejected();
  EXPECT_EQ(retry.taken, 4);
  EXPECT_EQ(retry.still_rejected, 2);
  EXPECT_EQ(store_->counts().offences, 2);
  EXPECT_EQ(store_->counts().outcomes, 2);
  EXPECT_EQ(brokenReferences(), "");

  // O1 and its outcome move to P2; D2 moves to O1.
  import({write("offences-moved.csv", "offence_id,person_id,offence_date\nO1,P2,2025-01-05\n")});
  import({write("outcomes-moved.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D1,P2,O1,youth_caution,2025-01-20\n"
                "D2,P2,O1,fine,2025-02-20\n"
                "D4,P8,O1,fine,2025-02-20\n")});  // an unknown child: rejected
  EXPECT_EQ(store_->findOffence("O1")->person_id, "P2");
  const auto p2 = store_->personOutcomes("P2");
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[0].outcome_id, "D1");
  EXPECT_EQ(p2[1].offence_id, "O1");
  EXPECT_TRUE(store_->personOutcomes("P1").empty());
  EXPECT_THAT(rejections_.back(), HasSubstr("outcomes-moved.csv:4: person_id: unknown child"));
  EXPECT_EQ(brokenReferences(), "");
}

TEST_F(CanonicalImportTest, FileLevelProblemsAreReportedAndNothingIsTaken) {
  const auto missing = import({dir_ / "nope.csv"});
  EXPECT_THAT(missing[0].error, HasSubstr("nope.csv"));
  EXPECT_THAT(missing[0].summaryLine(), HasSubstr("nope.csv: not imported:"));

  // An empty export is fine: exports of a quiet day have no rows (or not even a header).
  const auto empty = import({write("empty.csv", "")});
  EXPECT_EQ(empty[0].summaryLine(), "empty.csv: 0 taken, 0 rejected");

  const auto unknown = import({write("mystery.csv", "a,b\n1,2\n")});
  EXPECT_THAT(unknown[0].error, HasSubstr("cannot tell the kind"));

  const auto forced = import({write("forced.csv", "person_id,gender\nP1,male\n")}, RecordKind::kPeople);
  EXPECT_THAT(forced[0].error, HasSubstr("missing required column(s) for people: date_of_birth"));

  const auto duplicate = import({write("dup.csv", "person_id,date_of_birth,person_id\n")});
  EXPECT_THAT(duplicate[0].error, HasSubstr("duplicate"));
  EXPECT_EQ(store_->counts().people, 0);
}

TEST_F(CanonicalImportTest, LookedAfterChangeIsKeptAsHistory) {
  import({write("people.csv", kPeople)});
  import({write("people2.csv",
                "person_id,date_of_birth,gender,looked_after,updated_at\n"
                "P1,2009-04-01,male,true,2025-05-01T08:00:00+01:00\n")});
  const auto history = store_->personChanges("P1");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].field, "looked_after");
  EXPECT_EQ(history[0].new_value, "true");
  EXPECT_EQ(history[0].changed_at, "2025-05-01T07:00:00Z");

  // An older export of the same child does not undo it.
  const auto older = import({write("people_old.csv",
                                   "person_id,date_of_birth,looked_after,updated_at\n"
                                   "P1,2009-04-01,false,2025-02-01T00:00:00Z\n")});
  EXPECT_EQ(older[0].older_ignored, 1);
  EXPECT_EQ(store_->personChanges("P1").size(), 1u);
}

TEST_F(CanonicalImportTest, IngestRecordsChangeEventsInTheMethodologysTerms) {
  import({write("people.csv", kPeople)});
  import({write("offences.csv",
                "offence_id,person_id,offence_date\n"
                "O1,P1,2025-01-05\n")});
  import({write("outcomes.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D1,P1,O1,youth_caution,2025-01-20\n")});
  import({write("offences2.csv",
                "offence_id,person_id,offence_date\n"
                "O2,P1,2025-03-01\n"      // in P1's 2025Q1 follow-up
                "O3,P2,2025-03-01\n")});  // P2 is in no cohort
  import({write("outcomes2.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D2,P1,O2,referral_order,2025-04-02\n")});
  import({write("people2.csv",
                "person_id,date_of_birth,looked_after,updated_at\n"
                "P1,2009-04-01,true,2025-05-01T00:00:00Z\n")});

  std::vector<std::string> seen;
  for (const auto& event : store_->events(0, 100)) {
    seen.push_back(event.kind + " " + event.person_id + " " + event.occurred_on + " " + event.detail);
  }
  ASSERT_EQ(seen.size(), 8u) << ::testing::PrintToString(seen);
  EXPECT_THAT(seen[0], HasSubstr("offence_recorded P1 2025-01-05 "));
  EXPECT_THAT(seen[0], HasSubstr("\"in_follow_up\":false"));
  EXPECT_THAT(seen[1], HasSubstr("offence_proven P1 2025-01-20"));
  EXPECT_THAT(seen[2], HasSubstr("cohort_entry P1 2025-01-20 {\"age_at_index\":15,\"cohort\":\"2025Q1\""));
  EXPECT_THAT(seen[3], HasSubstr("offence_recorded P1 2025-03-01"));
  EXPECT_THAT(seen[3], HasSubstr("\"cohorts\":[\"2025Q1\"],\"in_follow_up\":true"));
  EXPECT_THAT(seen[4], HasSubstr("offence_recorded P2 2025-03-01"));
  EXPECT_THAT(seen[4], HasSubstr("\"in_follow_up\":false"));
  EXPECT_THAT(seen[5], HasSubstr("offence_proven P1 2025-04-02"));
  EXPECT_THAT(seen[5], HasSubstr("\"in_follow_up\":true"));
  EXPECT_THAT(seen[6], HasSubstr("cohort_entry P1 2025-04-02"));
  EXPECT_THAT(seen[6], HasSubstr("\"cohort\":\"2025Q2\""));
  EXPECT_THAT(seen[7], HasSubstr("person_changed P1 2025-05-01 {\"field\":\"looked_after\",\"new\":\"true\",\"old\":\"false\"}"));

  // Importing the same files again records nothing new.
  import({write("outcomes2.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D2,P1,O2,referral_order,2025-04-02\n")});
  EXPECT_EQ(store_->events(0, 100).size(), 8u);
}

TEST(TimestampTest, NormalisesIsoDateTimesToUtc) {
  EXPECT_EQ(normaliseTimestamp("2025-03-04"), "2025-03-04T00:00:00Z");
  EXPECT_EQ(normaliseTimestamp("2025-03-04T10:15"), "2025-03-04T10:15:00Z");
  EXPECT_EQ(normaliseTimestamp("2025-03-04 10:15:30.123Z"), "2025-03-04T10:15:30Z");
  EXPECT_EQ(normaliseTimestamp("2025-03-04T00:30:00+01:00"), "2025-03-03T23:30:00Z");
  EXPECT_EQ(normaliseTimestamp("2025-12-31T23:30:00-01:00"), "2026-01-01T00:30:00Z");
  EXPECT_FALSE(normaliseTimestamp("04/03/2025"));
  EXPECT_FALSE(normaliseTimestamp("2025-03-04T25:00"));
  EXPECT_FALSE(normaliseTimestamp("2025-03-04T10:15+1"));
}

TEST(RecordKindTest, RecognisedFromHeader) {
  EXPECT_EQ(recogniseKind({"person_id", "date_of_birth"}), RecordKind::kPeople);
  EXPECT_EQ(recogniseKind({"offence_id", "person_id", "offence_date"}), RecordKind::kOffences);
  EXPECT_EQ(recogniseKind({"outcome_id", "offence_id", "person_id"}), RecordKind::kOutcomes);
  EXPECT_FALSE(recogniseKind({"id", "name"}));
  EXPECT_EQ(parseRecordKind("offences"), RecordKind::kOffences);
  EXPECT_FALSE(parseRecordKind("Offences"));
}

}  // namespace
}  // namespace cohortwatch::connectors
