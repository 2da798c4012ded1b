// `import actions`: the tracking sheet read back, as CSV and as XLSX written by openpyxl. New
// actions (owner defaulting to the caseworker), changed ones with their history, nothing the
// second time, reviews recorded once, neutralised cells restored, and bad rows rejected with their
// line and column while the good rows are taken.
#include "connectors/action_import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "xlsx_test_support.h"

namespace cohortwatch::connectors {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing::TempFolder;

tracking::Date d(const char* text) {
  return *tracking::Date::parse(text);
}

class ActionImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::DatabaseSettings settings;
    settings.path = (dir_ / "cw.db").string();
    store_ = tracking::openSqliteStore(settings);
    auto tx = store_->begin();
    for (const auto& [id, caseworker] :
         {std::pair{"P1", "cw1@yot.example.org"}, {"P2", "cw2@yot.example.org"}, {"P3", ""}}) {
      tracking::PersonRecord person;
      person.person_id = id;
      person.date_of_birth = d("2009-04-01");
      person.caseworker = caseworker;
      store_->applyPerson(person, d("2025-01-01"));
    }
    tx->commit();
  }

  ActionImportSummary import(const std::string& name, const std::string& csv,
                             bool dry_run = false) {
    testing::writeText(dir_ / name, csv);
    return importFile(dir_ / name, dry_run);
  }
  ActionImportSummary importFile(const std::filesystem::path& file, bool dry_run = false) {
    ActionImporter importer(*store_, "manager", d("2025-06-30"));
    return importer.importFile(file, dry_run);
  }
  long addAction(const char* person, const char* description, const char* owner) {
    tracking::Action action;
    action.person_id = person;
    action.description = description;
    action.owner = owner;
    action.due_on = d("2025-04-01");
    action.recorded_by = "earlier";
    auto tx = store_->begin();
    const long id = store_->casework().addAction(action);
    tx->commit();
    return id;
  }
  std::vector<tracking::Action> actions() { return store_->casework().actions({}); }

  TempFolder dir_;
  std::unique_ptr<tracking::Store> store_;
};

TEST(ActionValuesTest, DatesOwnersStatusesAndNeutralisedCells) {
  EXPECT_EQ(parseCaseworkDate("2025-03-01"), d("2025-03-01"));
  EXPECT_EQ(parseCaseworkDate("01/03/2025"), d("2025-03-01"));
  EXPECT_EQ(parseCaseworkDate("1/3/2025"), d("2025-03-01"));
  EXPECT_FALSE(parseCaseworkDate("31/02/2025"));
  EXPECT_FALSE(parseCaseworkDate("03/01/25"));
  EXPECT_FALSE(parseCaseworkDate("2025/03/01"));
  EXPECT_FALSE(parseCaseworkDate("01/-3/2025"));
  EXPECT_FALSE(parseCaseworkDate("tomorrow"));
  EXPECT_TRUE(looksLikeEmail("j.smith@yot.example.org"));
  EXPECT_FALSE(looksLikeEmail("J Smith"));
  EXPECT_FALSE(looksLikeEmail("j smith@yot.example.org"));
  EXPECT_FALSE(looksLikeEmail("@yot.example.org"));
  EXPECT_FALSE(looksLikeEmail("j@localhost"));
  EXPECT_FALSE(looksLikeEmail("j@a@b.org"));
  EXPECT_EQ(parseActionStatus(" Done "), "done");
  EXPECT_EQ(parseActionStatus("CANCELLED"), "cancelled");
  EXPECT_FALSE(parseActionStatus("closed"));
  EXPECT_EQ(restoreNeutralised("'=HYPERLINK(\"x\")"), "=HYPERLINK(\"x\")");
  EXPECT_EQ(restoreNeutralised("'+44 7700"), "+44 7700");
  EXPECT_EQ(restoreNeutralised("'-"), "-");
  EXPECT_EQ(restoreNeutralised("'@home"), "@home");
  EXPECT_EQ(restoreNeutralised("'quoted'"), "'quoted'");  // not a neutralised cell
  EXPECT_EQ(restoreNeutralised("'"), "'");
}

TEST_F(ActionImportTest, NewActionsTakeTheCaseworkerAsOwnerAndDefaults) {
  const auto summary = import("sheet.csv",
                              "child,person_id,action_id,action,action_owner,action_due,"
                              "action_status,action_notes,priority\n"
                              "A.B.,P1,,Home visit,,01/03/2025,,'=bring leaflet,3.5\n"
                              "C.D.,P2,,'-Call school,head@school.example.org,2025-03-02,DONE,,1\n"
                              "E.F.,P3,,,,,,,0\n");
  EXPECT_THAT(summary.rejections, IsEmpty());
  EXPECT_EQ(summary.rows, 3);
  EXPECT_EQ(summary.added, 2);
  EXPECT_EQ(summary.summaryLine(),
            "sheet.csv: 3 rows: 2 new, 0 changed, 0 unchanged, 0 reviews, 0 rejected");
  const auto all = actions();
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].person_id, "P1");
  EXPECT_EQ(all[0].description, "Home visit");
  EXPECT_EQ(all[0].owner, "cw1@yot.example.org");
  EXPECT_EQ(all[0].due_on, d("2025-03-01"));
  EXPECT_EQ(all[0].status, "open");
  EXPECT_EQ(all[0].notes, "=bring leaflet");
  EXPECT_EQ(all[0].recorded_by, "manager");
  EXPECT_EQ(all[1].description, "-Call school");
  EXPECT_EQ(all[1].owner, "head@school.example.org");
  EXPECT_EQ(all[1].status, "done");
}

TEST_F(ActionImportTest, ChangedFieldsAreUpdatedWithHistoryAndASecondImportRecordsNothing) {
  const long id = addAction("P1", "Home visit", "cw1@yot.example.org");
  const std::string sheet =
      "person_id,action_id,action,action_owner,action_due,action_status,action_notes\n"
      "P1," +
      std::to_string(id) +
      ",Home visit,cw1@yot.example.org,15/04/2025,Done,went well\n"
      "P2,,Call school,,,,\n";
  auto first = import("sheet.csv", sheet);
  EXPECT_THAT(first.rejections, IsEmpty());
  EXPECT_EQ(first.changed, 1);
  EXPECT_EQ(first.added, 1);
  const auto history = store_->casework().actionHistory(id);
  ASSERT_THAT(history, SizeIs(3));
  EXPECT_EQ(history[0].field, "due_on");
  EXPECT_EQ(history[0].old_value, "2025-04-01");
  EXPECT_EQ(history[0].new_value, "2025-04-15");
  EXPECT_EQ(history[1].field, "notes");
  EXPECT_EQ(history[2].field, "status");
  EXPECT_EQ(history[2].new_value, "done");
  EXPECT_EQ(history[2].changed_by, "manager");

  // The same sheet again: the changed action is as the sheet says; the new one (still without an
  // action_id in the sheet) is recognised by its text; nothing is recorded.
  auto second = import("sheet.csv", sheet);
  EXPECT_EQ(second.summaryLine(),
            "sheet.csv: 2 rows: 0 new, 0 changed, 2 unchanged, 0 reviews, 0 rejected");
  EXPECT_THAT(actions(), SizeIs(2));
  EXPECT_THAT(store_->casework().actionHistory(id), SizeIs(3));

  // An empty due date clears it; an empty owner or status leaves them alone.
  auto third = import("sheet.csv",
                      "person_id,action_id,action,action_owner,action_due,action_status\n"
                      "P1," +
                          std::to_string(id) + ",Home visit,,,\n");
  EXPECT_EQ(third.changed, 1);
  const auto action = store_->casework().action(id);
  EXPECT_FALSE(action->due_on);
  EXPECT_EQ(action->owner, "cw1@yot.example.org");
  EXPECT_EQ(action->status, "done");
}

TEST_F(ActionImportTest, BadRowsAreRejectedWithLineAndColumnAndTheRestIsTaken) {
  const long mine = addAction("P1", "Home visit", "cw1@yot.example.org");
  const long theirs = addAction("P2", "Call school", "cw2@yot.example.org");
  const auto summary =
      import("sheet.csv",
             "person_id,action_id,action,action_owner,action_due,action_status,reviewed_on\n"
             "P1,,Good one,,,,\n"            // 2: taken
             "P1,,Bad date,,31/02/2025,,\n"  // 3
             "P1,,Bad status,,,finished,\n"  // 4
             "P1,999,Home visit,,,,\n"       // 5
             "P1," +
                 std::to_string(theirs) +
                 ",Call school,,,,\n"          // 6
                 "P404,,Ghost,,,,\n"           // 7
                 "P3,,No owner,,,,\n"          // 8
                 "P1,,Bad owner,J Smith,,,\n"  // 9
                 "P1,x1,Home visit,,,,\n"      // 10
                 "P1," +
                 std::to_string(mine) +
                 ",,,,,\n"                            // 11
                 "P1,,Future review,,,,2099-01-01\n"  // 12
                 ",,Whose?,,,,\n"                     // 13
                 "\"P2\",,\"multi\nline\",,,,\n"      // 14-15: taken
                 "P2,,bad \"quote,,,,\n");            // 16
  EXPECT_THAT(
      summary.rejections,
      ElementsAre(
          "sheet.csv:3: action_due: '31/02/2025' is not a date (YYYY-MM-DD or dd/mm/yyyy)",
          "sheet.csv:4: action_status: 'finished' is not a status (open, done or cancelled)",
          "sheet.csv:5: action_id: no action 999",
          "sheet.csv:6: action_id: action " + std::to_string(theirs) + " belongs to another child",
          "sheet.csv:7: person_id: no child with person_id 'P404'",
          "sheet.csv:8: action_owner: empty, and the child has no caseworker",
          "sheet.csv:9: action_owner: 'J Smith' is not an e-mail address",
          "sheet.csv:10: action_id: 'x1' is not an action id (a whole number)",
          "sheet.csv:11: action: empty; to drop an action set its action_status to cancelled",
          "sheet.csv:12: reviewed_on: 2099-01-01 is in the future",
          "sheet.csv:13: person_id: empty", "sheet.csv:16: row: quote inside unquoted field"));
  EXPECT_EQ(summary.rejected, 12);
  EXPECT_EQ(summary.added, 2);
  // Nothing of a rejected row was recorded; the action of another child is untouched.
  EXPECT_THAT(actions(), SizeIs(4));
  EXPECT_EQ(store_->casework().action(theirs)->person_id, "P2");
  EXPECT_THAT(store_->casework().actionHistory(theirs), IsEmpty());
  EXPECT_THAT(store_->casework().reviews(""), IsEmpty());
}

TEST_F(ActionImportTest, ReviewsAreRecordedOnceADay) {
  const std::string sheet =
      "person_id,action_id,action,reviewed_on\n"
      "P1,,,2025-06-02\n"
      "P2,,Call school,02/06/2025\n";
  auto first = import("sheet.csv", sheet);
  EXPECT_EQ(first.reviews, 2);
  EXPECT_EQ(first.added, 1);
  auto second = import("sheet.csv", sheet);
  EXPECT_EQ(second.reviews, 0);
  EXPECT_EQ(second.added, 0);
  const auto reviews = store_->casework().reviews("");
  ASSERT_THAT(reviews, SizeIs(2));
  EXPECT_EQ(reviews[0].reviewed_on, d("2025-06-02"));
  EXPECT_EQ(reviews[0].recorded_by, "manager");
  EXPECT_EQ(reviews[0].note, "recorded from sheet.csv");
}

TEST_F(ActionImportTest, DryRunCountsButRecordsNothing) {
  const auto summary =
      import("sheet.csv", "person_id,action,reviewed_on\nP1,Home visit,2025-06-01\n", true);
  EXPECT_EQ(summary.added, 1);
  EXPECT_EQ(summary.reviews, 1);
  EXPECT_THAT(actions(), IsEmpty());
  EXPECT_THAT(store_->casework().reviews(""), IsEmpty());
}

TEST_F(ActionImportTest, HeaderBelowATitleAndFilesThatCannotBeRead) {
  auto titled = import("titled.csv", "Tracking sheet 2025Q1,,\n\nPerson_ID , Action\nP1,Call\n");
  EXPECT_EQ(titled.error, "");
  EXPECT_EQ(titled.added, 1);

  auto no_person = import("nope.csv", "child,action\nA,Call\n");
  EXPECT_EQ(no_person.error,
            (dir_ / "nope.csv").string() + ": no header row with a person_id column");
  auto twice = import("twice.csv", "person_id,action,action\nP1,a,b\n");
  EXPECT_THAT(twice.error, HasSubstr("twice.csv:1: duplicate column"));
  auto absent = importFile(dir_ / "absent.csv");
  EXPECT_THAT(absent.error, HasSubstr("absent.csv"));
  EXPECT_THAT(actions(), SizeIs(1));
}

// The XLSX form of the sheet, written by openpyxl: dates as real dates (serials), ids as numbers,
// a neutralised formula text, gaps, and the row numbers a spreadsheet shows in rejections.
TEST_F(ActionImportTest, XlsxWrittenByOpenpyxlIsImported) {
  const long id = addAction("P1", "Home visit", "cw1@yot.example.org");
  const auto file = dir_ / "Tracking Sheet.xlsx";
  testing::runPython(
      dir_.path(),
      "import sys, datetime, openpyxl\n"
      "wb = openpyxl.Workbook()\n"
      "ws = wb.active\n"
      "ws.append(['Child', 'person_id', 'action_id', 'action', 'action_owner', 'action_due',\n"
      "           'action_status', 'action_notes', 'reviewed_on'])\n"
      "ws.append(['A.B.', 'P1', " +
          std::to_string(id) +
          ", 'Home visit', 'cw1@yot.example.org',\n"
          "           datetime.date(2025, 5, 20), 'open', \"'=1+1\", datetime.datetime(2025, 6, 3, "
          "14, 30)])\n"
          "ws.append(['C.D.', 'P2', None, 'Call school', None, '21/05/2025'])\n"
          "ws['B5'] = 'P2'\n"
          "ws['D5'] = 'Bad date'\n"
          "ws['F5'] = 'soon'\n"
          "wb.save(sys.argv[1])\n",
      (dir_ / "Tracking\\ Sheet.xlsx").string());
  auto summary = importFile(file);
  ASSERT_EQ(summary.error, "");
  EXPECT_THAT(summary.rejections,
              ElementsAre("Tracking Sheet.xlsx:5: action_due: 'soon' is not a date (YYYY-MM-DD or "
                          "dd/mm/yyyy)"));
  EXPECT_EQ(summary.changed, 1);
  EXPECT_EQ(summary.added, 1);
  EXPECT_EQ(summary.reviews, 1);
  const auto changed = store_->casework().action(id);
  EXPECT_EQ(changed->due_on, d("2025-05-20"));
  EXPECT_EQ(changed->notes, "=1+1");
  const auto added = store_->casework().actions({});
  ASSERT_THAT(added, SizeIs(2));
  EXPECT_EQ(added[1].description, "Call school");
  EXPECT_EQ(added[1].due_on, d("2025-05-21"));
  EXPECT_EQ(added[1].owner, "cw2@yot.example.org");
  EXPECT_EQ(store_->casework().reviews("P1").at(0).reviewed_on, d("2025-06-03"));

  auto again = importFile(file);
  EXPECT_EQ(again.summaryLine(),
            "Tracking Sheet.xlsx: 3 rows: 0 new, 0 changed, 2 unchanged, 0 reviews, 1 rejected");
}

TEST_F(ActionImportTest, BrokenXlsxIsAnErrorAndRecordsNothing) {
  testing::writeText(dir_ / "broken.xlsx", "PK\3\4 this is not really a zip");
  auto summary = importFile(dir_ / "broken.xlsx");
  EXPECT_THAT(summary.error, HasSubstr("broken.xlsx: not a readable XLSX workbook (zip)"));
  // A zip without the .xlsx name is still read as a workbook (by its magic).
  testing::writeZip(
      dir_, dir_ / "export.dat",
      testing::workbookParts(R"(<row r="1"><c t="inlineStr"><is><t>person_id</t></is></c></row>)"
                             R"(<row r="2"><c><v>1</v></c></row>)"));
  auto by_magic = importFile(dir_ / "export.dat");
  EXPECT_EQ(by_magic.error, "");
  EXPECT_EQ(by_magic.rows, 1);
  EXPECT_THAT(actions(), IsEmpty());
}

}  // namespace
}  // namespace cohortwatch::connectors
