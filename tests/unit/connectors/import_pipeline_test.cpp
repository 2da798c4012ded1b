// Import reads and checks rows on a thread of its own while the calling thread applies them: what
// is stored, rejected and recorded as change events must be what one thread in file order gives,
// on files of many batches, and an error on the applying side must stop the reader cleanly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/canonical_import.h"

namespace cohortwatch::connectors {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tracking::Date;

class ImportPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-pipeline-" + std::to_string(::getpid()) + "-" +
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

  std::vector<FileImportSummary> import(const std::vector<fs::path>& files) {
    CanonicalImporter importer(*store_, methodology_, today_, "import");
    importer.onRejected([&](const tracking::RejectedRow& row) {
      rejected_lines_.push_back(row.line);
      reasons_.push_back(row.reason);
    });
    return importer.importFiles(files);
  }

  std::vector<tracking::ChangeEvent> events() { return store_->events(0, 1000000); }

  static std::string personId(int n) { return "P" + std::to_string(100000 + n); }

  fs::path dir_;
  std::unique_ptr<tracking::Store> store_;
  config::MethodologySettings methodology_;
  Date today_ = *Date::parse("2026-06-30");
  std::vector<long> rejected_lines_;
  std::vector<std::string> reasons_;
};

// 6,000 offences (a dozen batches between the threads) of 500 children, every seventh row bad in
// one of three ways: each good row is taken, each bad one rejected with its own line and reason,
// and the offence_recorded events follow the file's order.
TEST_F(ImportPipelineTest, ManyBatchesAreTakenAndRejectedInFileOrder) {
  std::string people = "person_id,date_of_birth\n";
  for (int i = 0; i < 500; ++i) people += personId(i) + ",2009-04-01\n";
  std::string offences = "offence_id,person_id,offence_date,gravity\n";
  std::vector<long> bad_lines;
  std::vector<std::string> taken_ids;
  for (int row = 0; row < 6000; ++row) {
    const long line = row + 2;
    const std::string id = "O" + std::to_string(row);
    if (row % 7 == 3) {
      bad_lines.push_back(line);
      switch (row % 3) {
        case 0: offences += id + ",P999999,2025-01-05,3\n"; break;     // unknown child
        case 1: offences += id + "," + personId(row % 500) + ",2025-13-05,3\n"; break;
        default: offences += id + "," + personId(row % 500) + ",2025-01-05,9,extra\n"; break;
      }
      continue;
    }
    offences += id + "," + personId(row % 500) + ",2025-01-05,3\n";
    taken_ids.push_back(id);
  }
  const auto summaries = import({write("people.csv", people), write("offences.csv", offences)});
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[1].taken, static_cast<long>(taken_ids.size()));
  EXPECT_EQ(summaries[1].rejected, static_cast<long>(bad_lines.size()));
  EXPECT_EQ(rejected_lines_, bad_lines);
  ASSERT_EQ(reasons_.size(), bad_lines.size());
  EXPECT_EQ(reasons_[0], "person_id: unknown child (the row is kept and retried once the child arrives)");
  EXPECT_EQ(reasons_[1], "offence_date: not a date in the form YYYY-MM-DD");
  EXPECT_EQ(reasons_[2], "csv: the row has 5 fields, the header has 4");
  EXPECT_EQ(store_->counts().offences, static_cast<long>(taken_ids.size()));

  std::vector<std::string> recorded;
  for (const auto& event : events()) {
    ASSERT_EQ(event.kind, "offence_recorded");
    const auto at = event.detail.find("\"offence_id\":\"");
    ASSERT_NE(at, std::string::npos);
    const auto from = at + 14;
    recorded.push_back(event.detail.substr(from, event.detail.find('"', from) - from));
  }
  EXPECT_EQ(recorded, taken_ids);
}

// A reason the store gives (unknown child) comes after the reasons of the row itself, as when one
// pass made both.
TEST_F(ImportPipelineTest, StoreReasonsFollowTheRowsOwn) {
  import({write("people.csv", "person_id,date_of_birth\nP1,2009-04-01\n")});
  import({write("outcomes.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                ",P2,,youth_caution,2031-01-01\n")});
  ASSERT_EQ(reasons_.size(), 1u);
  EXPECT_EQ(reasons_[0],
            "outcome_id: required value is missing; outcome_date: date in the future (today is "
            "2026-06-30); offence_id: required for every outcome except a release from custody; "
            "person_id: unknown child (the row is kept and retried once the child arrives)");
}

// Outcomes of one child in one file: each new index event joins the child's cohort memberships
// before the next row's events are worked out.
TEST_F(ImportPipelineTest, MembershipsFollowTheOutcomesOfTheSameFile) {
  import({write("people.csv", "person_id,date_of_birth\nP1,2009-04-01\n")});
  import({write("offences.csv",
                "offence_id,person_id,offence_date\n"
                "O1,P1,2025-01-05\n"
                "O2,P1,2025-03-01\n")});
  import({write("outcomes.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D1,P1,O1,youth_caution,2025-01-20\n"
                "D2,P1,O2,referral_order,2025-04-02\n")});
  std::vector<std::string> seen;
  for (const auto& event : events()) {
    if (event.kind != "offence_recorded") seen.push_back(event.kind + " " + event.detail);
  }
  ASSERT_EQ(seen.size(), 4u) << ::testing::PrintToString(seen);
  EXPECT_THAT(seen[0], HasSubstr("offence_proven {\"cohorts\":[],\"in_follow_up\":false"));
  EXPECT_THAT(seen[1], HasSubstr("cohort_entry {\"age_at_index\":15,\"cohort\":\"2025Q1\""));
  EXPECT_THAT(seen[2], HasSubstr("offence_proven {\"cohorts\":[\"2025Q1\"],\"in_follow_up\":true"));
  EXPECT_THAT(seen[3], HasSubstr("cohort_entry {\"age_at_index\":16,\"cohort\":\"2025Q2\""));
}

// An outcome moved to another child leaves the first child's memberships, in the same file.
TEST_F(ImportPipelineTest, AnOutcomeMovedToAnotherChildLeavesTheFirstsMemberships) {
  import({write("people.csv", "person_id,date_of_birth\nP1,2009-04-01\nP2,2009-05-01\n")});
  import({write("offences.csv",
                "offence_id,person_id,offence_date\n"
                "O1,P1,2025-01-05\n"
                "O2,P2,2025-01-06\n")});
  import({write("outcomes.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D1,P1,O1,youth_caution,2025-01-20\n")});
  import({write("moved.csv",
                "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
                "D1,P2,O2,youth_caution,2025-01-20\n")});
  import({write("later.csv",
                "offence_id,person_id,offence_date\n"
                "O3,P1,2025-02-01\n"    // P1 has no index event any more
                "O4,P2,2025-02-01\n")});  // P2 has D1 now
  const auto all = events();
  ASSERT_GE(all.size(), 2u);
  EXPECT_THAT(all[all.size() - 2].detail, HasSubstr("\"cohorts\":[],\"in_follow_up\":false"));
  EXPECT_THAT(all[all.size() - 1].detail, HasSubstr("\"cohorts\":[\"2025Q1\"],\"in_follow_up\":true"));
}

// An exception on the applying side (here the rejected-row callback) leaves the import at once:
// the reading thread, which may be waiting for room in the pipe, is stopped and joined, and the
// store can be used again.
TEST_F(ImportPipelineTest, AnErrorWhileApplyingStopsTheReader) {
  import({write("people.csv", "person_id,date_of_birth\nP1,2009-04-01\n")});
  std::string offences = "offence_id,person_id,offence_date\nO0,P404,2025-01-05\n";
  for (int row = 1; row < 20000; ++row) offences += "O" + std::to_string(row) + ",P1,2025-01-05\n";
  const fs::path file = write("offences.csv", offences);
  {
    CanonicalImporter importer(*store_, methodology_, today_, "import");
    importer.onRejected([](const tracking::RejectedRow&) { throw std::runtime_error("stop"); });
    EXPECT_THROW(importer.importFiles({file}), std::runtime_error);
  }
  EXPECT_EQ(store_->counts().offences, 0);  // the file's transaction was rolled back
  const auto summaries = import({file});
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].taken, 19999);
  EXPECT_THAT(rejected_lines_, ElementsAre(2));
}

}  // namespace
}  // namespace cohortwatch::connectors
