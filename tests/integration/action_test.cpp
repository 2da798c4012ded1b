// Casework through the real binary: `action add|update|done|cancel|list|history`, `review
// record|list`, every mistake on their command lines refused with the option named and nothing
// recorded, and `import actions` on a CSV sheet and on an XLSX workbook written by openpyxl
// (an independent writer), with its summary, rejected lines and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace cohortwatch::integration {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

std::string python() {
  const char* configured = std::getenv("COHORTWATCH_TEST_PYTHON");
  return configured != nullptr && *configured != '\0' ? configured : "/usr/bin/python3";
}

// Three children; P3 has no caseworker.
class CaseworkCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writeFile(dir_ / "people.csv",
              "person_id,date_of_birth,caseworker\n"
              "P1,2009-01-01,cw1@yot.example.org\n"
              "P2,2008-05-05,cw2@yot.example.org\n"
              "P3,2008-07-07,\n");
    const auto imported = cw({"import", (dir_ / "people.csv").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  CliResult cw(std::vector<std::string> args, const CliOptions& options = {}) {
    args.push_back("--db");
    args.push_back(db_.string());
    return runCohortwatch(args, options);
  }

  // `action list` as JSON (every status).
  nlohmann::json actions(std::vector<std::string> filters = {"--status", "all"}) {
    std::vector<std::string> args = {"action", "list", "--format", "json"};
    args.insert(args.end(), filters.begin(), filters.end());
    const auto listed = cw(args);
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return nlohmann::json::parse(listed.out);
  }

  nlohmann::json history(const std::string& id) {
    const auto shown = cw({"action", "history", id, "--format", "json"});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    return nlohmann::json::parse(shown.out);
  }

  std::string add(const std::string& person, const std::string& description,
                  const std::string& owner, const std::string& due = "") {
    std::vector<std::string> args = {"action",    "add",     "--person", person, "--description",
                                     description, "--owner", owner,      "--by", "manager"};
    if (!due.empty()) {
      args.push_back("--due");
      args.push_back(due);
    }
    const auto added = cw(args);
    EXPECT_EQ(added.exit_code, 0) << added.err;
    return lines(added.out).empty() ? "" : lines(added.out).front();
  }

  TempDir dir_;
  std::filesystem::path db_ = dir_ / "cw.db";
};

TEST_F(CaseworkCliTest, ActionIsAddedUpdatedClosedAndItsHistoryShown) {
  const std::string id = add("P1", "Home visit", "cw1@yot.example.org", "01/03/2025");
  EXPECT_EQ(id, "1");
  auto listed = actions();
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0]["person_id"], "P1");
  EXPECT_EQ(listed[0]["description"], "Home visit");
  EXPECT_EQ(listed[0]["owner"], "cw1@yot.example.org");
  EXPECT_EQ(listed[0]["due_on"], "2025-03-01");
  EXPECT_EQ(listed[0]["status"], "open");
  EXPECT_EQ(listed[0]["recorded_by"], "manager");

  const auto updated = cw({"action", "update", id, "--due", "2025-04-01", "--notes", "call first",
                           "--owner", "cw2@yot.example.org", "--by", "deputy"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_THAT(updated.out, HasSubstr("action 1: due_on: 2025-03-01 -> 2025-04-01\n"));
  EXPECT_THAT(updated.out,
              HasSubstr("action 1: owner: cw1@yot.example.org -> cw2@yot.example.org\n"));
  const auto same = cw({"action", "update", id, "--due", "01/04/2025"});
  EXPECT_EQ(same.out, "action 1: nothing changed\n");

  const auto done = cw({"action", "done", id, "--note", "went well", "--by", "cw2"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_THAT(done.out, HasSubstr("action 1: status: open -> done\n"));
  listed = actions();
  EXPECT_EQ(listed[0]["status"], "done");
  EXPECT_EQ(listed[0]["notes"], "call first; went well");
  EXPECT_THAT(actions({}), IsEmpty());  // the default lists open actions only

  const auto changes = history(id);
  ASSERT_THAT(changes, SizeIs(6));  // created, owner, due_on, notes, notes, status
  EXPECT_EQ(changes[0]["field"], "created");
  EXPECT_EQ(changes[0]["changed_by"], "manager");
  EXPECT_EQ(changes[1]["field"], "owner");
  EXPECT_EQ(changes[1]["changed_by"], "deputy");
  EXPECT_EQ(changes[2]["field"], "due_on");
  EXPECT_EQ(changes[2]["old_value"], "2025-03-01");
  EXPECT_EQ(changes[2]["new_value"], "2025-04-01");
  EXPECT_EQ(changes[5]["field"], "status");
  EXPECT_EQ(changes[5]["changed_by"], "cw2");

  const auto cleared = cw({"action", "update", id, "--due", "none", "--status", "open"});
  EXPECT_THAT(cleared.out, HasSubstr("action 1: due_on: 2025-04-01 -> (none)\n"));
  EXPECT_TRUE(actions()[0]["due_on"].is_null());

  const auto cancelled = cw({"action", "cancel", id});
  EXPECT_THAT(cancelled.out, HasSubstr("status: open -> cancelled"));
}

TEST_F(CaseworkCliTest, ListFiltersByOwnerChildAndOverdue) {
  add("P1", "Visit", "cw1@yot.example.org", "2025-02-01");
  add("P2", "Call", "cw2@yot.example.org", "2025-03-01");
  add("P2", "Letter", "CW1@yot.example.org");
  cw({"action", "done", "1"});
  auto ids = [](const nlohmann::json& rows) {
    std::vector<long> out;
    for (const auto& row : rows) out.push_back(row["id"].get<long>());
    return out;
  };
  EXPECT_EQ(ids(actions({"--owner", "cw1@yot.example.org", "--status", "all"})),
            (std::vector<long>{1, 3}));
  EXPECT_EQ(ids(actions({"--person", "P2"})), (std::vector<long>{2, 3}));
  EXPECT_EQ(ids(actions({"--overdue", "--as-of", "2025-03-02"})), (std::vector<long>{2}));
  EXPECT_EQ(ids(actions({"--overdue", "--as-of", "01/03/2025"})), (std::vector<long>{}));
  const auto overdue = actions({"--as-of", "2025-03-02"});
  EXPECT_EQ(overdue[0]["overdue"], true);
  EXPECT_EQ(overdue[1]["overdue"], false);

  const auto csv = cw({"action", "list", "--format", "csv", "--person", "P1", "--status", "done"});
  EXPECT_THAT(csv.out, HasSubstr("id,person_id,description,owner,due_on,status,overdue,notes,"));
  EXPECT_THAT(csv.out, HasSubstr("\n1,P1,Visit,cw1@yot.example.org,2025-02-01,done,false,"));
  const auto table = cw({"action", "list", "--owner", "nobody@yot.example.org"});
  EXPECT_THAT(table.out, HasSubstr("no actions match"));
}

TEST_F(CaseworkCliTest, ReviewsAreRecordedTodayOrOnTheDayGivenAndListed) {
  const auto today = cw({"review", "record", "--person", "P1", "--note", "discussed", "--by", "m"});
  ASSERT_EQ(today.exit_code, 0) << today.err;
  EXPECT_EQ(today.out, "1\n");
  ASSERT_EQ(cw({"review", "record", "--person", "P2", "--on", "15/01/2025"}).exit_code, 0);
  const auto listed = cw({"review", "list", "--format", "json"});
  const auto reviews = nlohmann::json::parse(listed.out);
  ASSERT_THAT(reviews, SizeIs(2));
  EXPECT_EQ(reviews[0]["person_id"], "P1");
  EXPECT_EQ(reviews[0]["note"], "discussed");
  EXPECT_EQ(reviews[0]["recorded_by"], "m");
  // Today, as the machine's calendar says (the same as SystemClock's).
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char day[11];
  std::strftime(day, sizeof day, "%Y-%m-%d", &local);
  EXPECT_EQ(reviews[0]["reviewed_on"], day);
  EXPECT_EQ(reviews[1]["reviewed_on"], "2025-01-15");
  const auto p2 =
      nlohmann::json::parse(cw({"review", "list", "--person", "P2", "--format", "json"}).out);
  ASSERT_THAT(p2, SizeIs(1));
  EXPECT_EQ(p2[0]["person_id"], "P2");
}

TEST_F(CaseworkCliTest, WhoRecordsDefaultsToTheUserBehindSudoThenTheUser) {
  CliOptions sudo;
  sudo.environment = {{"SUDO_USER", "alice"}, {"USER", "root"}};
  CliOptions plain;
  plain.environment = {{"SUDO_USER", ""}, {"USER", "bob"}};
  CliOptions nobody;
  nobody.environment = {{"SUDO_USER", ""}, {"USER", ""}};
  ASSERT_EQ(
      cw({"action", "add", "--person", "P1", "--description", "a", "--owner", "x@y.org"}, sudo)
          .exit_code,
      0);
  ASSERT_EQ(
      cw({"action", "add", "--person", "P1", "--description", "b", "--owner", "x@y.org"}, plain)
          .exit_code,
      0);
  ASSERT_EQ(
      cw({"action", "add", "--person", "P1", "--description", "c", "--owner", "x@y.org"}, nobody)
          .exit_code,
      0);
  const auto listed = actions();
  EXPECT_EQ(listed[0]["recorded_by"], "alice");
  EXPECT_EQ(listed[1]["recorded_by"], "bob");
  EXPECT_EQ(listed[2]["recorded_by"], "cli");
}

// Every mistake is refused before anything is recorded, with the option (or argument) named.
TEST_F(CaseworkCliTest, MistakesOnTheCommandLineAreRefusedAndRecordNothing) {
  add("P1", "Visit", "cw1@yot.example.org");
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"action"}, 2, "say add, update ID, done ID, cancel ID, list or history ID"},
      {{"action", "remove", "1"}, 2, "unknown subcommand 'remove'"},
      {{"action", "add", "--description", "x", "--owner", "a@b.org"}, 2, "--person is required"},
      {{"action", "add", "--person", "P1", "--owner", "a@b.org"}, 2, "--description is required"},
      {{"action", "add", "--person", "P1", "--description", " ", "--owner", "a@b.org"},
       2,
       "--description: empty"},
      {{"action", "add", "--person", "P1", "--description", "x"}, 2, "--owner is required"},
      {{"action", "add", "--person", "P1", "--description", "x", "--owner", "Jo Smith"},
       2,
       "--owner: expected the owner's e-mail address, got 'Jo Smith'"},
      {{"action", "add", "--person", "P1", "--description", "x", "--owner", "a@b.org", "--due",
        "31/02/2025"},
       2,
       "--due: expected a date YYYY-MM-DD or dd/mm/yyyy, got '31/02/2025'"},
      {{"action", "add", "--person", "P9", "--description", "x", "--owner", "a@b.org"},
       2,
       "--person: no child with person_id 'P9'"},
      {{"action", "add", "--person", "P1", "--description", "x", "--owner", "a@b.org", "--status",
        "done"},
       2,
       "--status is not an option of 'action add'"},
      {{"action", "add", "--person", "P1", "--description", "x", "--owner", "a@b.org", "extra"},
       2,
       "unexpected argument 'extra'"},
      {{"action", "add", "--person", "P1", "--description", "x", "--owner", "a@b.org", "--by", ""},
       2,
       "--by: give who records this"},
      {{"action", "add", "--person", "P1", "--description", "x", "--owner", "a@b.org", "--colour",
        "red"},
       2,
       "unknown option --colour for 'action'"},
      {{"action", "update"}, 2, "give the action id, e.g. action update 12"},
      {{"action", "update", "one", "--status", "done"},
       2,
       "expected an action id (a whole number), got 'one'"},
      {{"action", "update", "1"},
       2,
       "say what to change: --description, --owner, --due, --notes or --status"},
      {{"action", "update", "1", "--status", "closed"},
       2,
       "--status: expected open, done or cancelled, got 'closed'"},
      {{"action", "update", "1", "--due", "soon"}, 2, "--due: expected a date"},
      {{"action", "update", "1", "--owner", "nobody"},
       2,
       "--owner: expected the owner's e-mail address"},
      {{"action", "update", "1", "--note", "x"}, 2, "--note is not an option of 'action update'"},
      {{"action", "update", "99", "--status", "done"}, 1, "no action 99"},
      {{"action", "done", "1", "--status", "open"},
       2,
       "--status is not an option of 'action done'"},
      {{"action", "cancel", "1", "2"}, 2, "unexpected argument '2'"},
      {{"action", "cancel", "0"}, 2, "expected an action id (a whole number), got '0'"},
      {{"action", "done", "42"}, 1, "no action 42"},
      {{"action", "list", "--status", "finished"},
       2,
       "--status: expected open, done or cancelled, got 'finished'"},
      {{"action", "list", "--status", "done", "--overdue"},
       2,
       "--overdue lists open actions; it cannot be combined with --status done"},
      {{"action", "list", "--as-of", "2025-13-01"}, 2, "--as-of: expected a date"},
      {{"action", "list", "--format", "xml"}, 2, "--format: expected table, json or csv"},
      {{"action", "list", "--person", "P9"}, 2, "--person: no child with person_id 'P9'"},
      {{"action", "list", "--by", "x"}, 2, "--by is not an option of 'action list'"},
      {{"action", "history"}, 2, "give the action id, e.g. action history 12"},
      {{"action", "history", "7"}, 1, "no action 7"},
      {{"review"}, 2, "say record or list"},
      {{"review", "delete"}, 2, "unknown subcommand 'delete': say record or list"},
      {{"review", "record"}, 2, "--person is required"},
      {{"review", "record", "--person", "P9"}, 2, "--person: no child with person_id 'P9'"},
      {{"review", "record", "--person", "P1", "--on", "2999-01-01"},
       2,
       "--on: 2999-01-01 is in the future"},
      {{"review", "record", "--person", "P1", "--on", "yesterday"},
       2,
       "--on: expected a date YYYY-MM-DD or dd/mm/yyyy"},
      {{"review", "record", "--person", "P1", "--format", "json"},
       2,
       "--format is not an option of 'review record'"},
      {{"review", "list", "--person", "P9"}, 2, "--person: no child with person_id 'P9'"},
      {{"import", "actions"}, 2, "name the tracking sheet to import"},
      {{"import", "actions", "a.csv", "b.csv"}, 2, "import actions takes one FILE"},
      {{"import", "actions", "a.csv", "--kind", "people"},
       2,
       "--kind is not an option of 'import actions'"},
      {{"import", "--by", "x", "people.csv"}, 2, "--by is for 'import actions FILE' only"},
      {{"import", "--dry-run", "people.csv"}, 2, "--dry-run is for 'import actions FILE' only"},
  };
  for (const auto& c : cases) {
    const auto result = cw(c.args);
    std::string joined;
    for (const auto& arg : c.args) joined += arg + " ";
    EXPECT_EQ(result.exit_code, c.exit_code) << joined << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << joined;
    if (c.exit_code == 2) {
      EXPECT_THAT(result.err, HasSubstr("Usage: cohortwatch ")) << joined;
    }
  }
  // Nothing but the one action added first was recorded, and it is unchanged.
  const auto listed = actions();
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0]["status"], "open");
  EXPECT_THAT(history("1"), SizeIs(1));
  EXPECT_THAT(nlohmann::json::parse(cw({"review", "list", "--format", "json"}).out), IsEmpty());
}

TEST_F(CaseworkCliTest, ImportActionsFromCsvReportsRejectedRowsAndExitsThree) {
  add("P1", "Home visit", "cw1@yot.example.org", "2025-03-01");
  add("P2", "Call school", "cw2@yot.example.org");
  const auto sheet = dir_ / "tracking.csv";
  writeFile(sheet,
            "child,person_id,action_id,action,action_owner,action_due,action_status,action_notes,"
            "reviewed_on\n"
            "A.B.,P1,1,Home visit,cw1@yot.example.org,15/03/2025,done,'@mum,2025-03-10\n"
            "C.D.,P2,1,Home visit,,,,,\n"
            "E.F.,P3,,Referral,,,,,\n"
            "G.H.,P3,,Referral,lead@yot.example.org,2025-04-31,,,\n"
            "I.J.,P2,,New plan,,,Open,,\n");
  const auto imported = cw({"import", "actions", sheet.string(), "--by", "meeting"});
  EXPECT_EQ(imported.exit_code, 3) << imported.err;
  EXPECT_EQ(imported.out,
            "tracking.csv: 5 rows: 1 new, 1 changed, 0 unchanged, 1 review, 3 rejected\n");
  EXPECT_THAT(imported.err,
              HasSubstr("tracking.csv:3: action_id: action 1 belongs to another child\n"));
  EXPECT_THAT(imported.err,
              HasSubstr("tracking.csv:4: action_owner: empty, and the child has no caseworker\n"));
  EXPECT_THAT(imported.err, HasSubstr("tracking.csv:5: action_due: '2025-04-31' is not a date"));
  // Logs carry counts, never the children's ids or the sheet's text.
  EXPECT_THAT(imported.err, AllOf(Not(HasSubstr("mum")), Not(HasSubstr("Home visit"))));

  const auto listed = actions();
  ASSERT_THAT(listed, SizeIs(3));
  EXPECT_EQ(listed[0]["status"], "done");
  EXPECT_EQ(listed[0]["due_on"], "2025-03-15");
  EXPECT_EQ(listed[0]["notes"], "@mum");
  EXPECT_EQ(listed[2]["description"], "New plan");
  EXPECT_EQ(listed[2]["owner"], "cw2@yot.example.org");
  EXPECT_EQ(listed[2]["recorded_by"], "meeting");
  const auto changes = history("1");
  ASSERT_THAT(changes, SizeIs(4));  // created, due_on, notes, status
  EXPECT_EQ(changes[1]["changed_by"], "meeting");

  // The same sheet again records nothing; a dry run of a fixed sheet records nothing either.
  const auto again = cw({"import", "actions", sheet.string()});
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_EQ(again.out,
            "tracking.csv: 5 rows: 0 new, 0 changed, 2 unchanged, 0 reviews, 3 rejected\n");
  writeFile(sheet, "person_id,action,action_owner\nP3,Referral,lead@yot.example.org\n");
  const auto dry = cw({"import", "actions", sheet.string(), "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "tracking.csv: 1 rows: 1 new, 0 changed, 0 unchanged, 0 reviews, 0 rejected "
            "(dry run: nothing recorded)\n");
  EXPECT_THAT(actions(), SizeIs(3));
  EXPECT_EQ(cw({"import", "actions", sheet.string()}).exit_code, 0);
  EXPECT_THAT(actions(), SizeIs(4));

  const auto missing = cw({"import", "actions", (dir_ / "absent.csv").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("absent.csv"));
}

TEST_F(CaseworkCliTest, ImportActionsFromAWorkbookWrittenByOpenpyxl) {
  add("P1", "Home visit", "cw1@yot.example.org", "2025-03-01");
  const auto book = dir_ / "sheet.xlsx";
  writeFile(
      dir_ / "write.py",
      "import sys, datetime, openpyxl\n"
      "wb = openpyxl.Workbook()\n"
      "ws = wb.active\n"
      "ws.title = 'Tracking sheet'\n"
      "ws.append(['Live tracking 2025Q1'])\n"
      "ws.append([])\n"
      "ws.append(['Child', 'Person_ID', 'action_id', 'Action', 'action_owner', 'action_due',\n"
      "           'action_status', 'action_notes', 'reviewed_on', 'priority'])\n"
      "ws.append(['A.B.', 'P1', 1, 'Home visit', 'cw1@yot.example.org', datetime.date(2025, 3, "
      "20),\n"
      "           'Open', \"'=HYPERLINK(\\\"http://x\\\")\", datetime.date(2025, 3, 18), 3.5])\n"
      "ws.append(['C.D.', 'P2', None, \"'-Refer to CAMHS\", None, '25/03/2025', None, None, None, "
      "1])\n"
      "ws.append(['E.F.', 'P2', 7, 'Ghost', None, None, None, None, None, 0])\n"
      "ws.append(['G.H.', 'P3', None, 'Bad status', 'lead@yot.example.org', None, 'closed'])\n"
      "wb.save(sys.argv[1])\n");
  const auto written = runProgram(python(), {(dir_ / "write.py").string(), book.string()});
  ASSERT_EQ(written.exit_code, 0) << written.err;

  const auto imported = cw({"import", "actions", book.string(), "--by", "meeting"});
  EXPECT_EQ(imported.exit_code, 3) << imported.err;
  EXPECT_EQ(imported.out,
            "sheet.xlsx: 4 rows: 1 new, 1 changed, 0 unchanged, 1 review, 2 rejected\n");
  // Sheet rows as the spreadsheet numbers them (the header is on row 3).
  EXPECT_THAT(imported.err, HasSubstr("sheet.xlsx:6: action_id: no action 7\n"));
  EXPECT_THAT(imported.err, HasSubstr("sheet.xlsx:7: action_status: 'closed' is not a status"));
  const auto listed = actions();
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_EQ(listed[0]["due_on"], "2025-03-20");
  EXPECT_EQ(listed[0]["notes"], "=HYPERLINK(\"http://x\")");
  EXPECT_EQ(listed[1]["person_id"], "P2");
  EXPECT_EQ(listed[1]["description"], "-Refer to CAMHS");
  EXPECT_EQ(listed[1]["due_on"], "2025-03-25");
  EXPECT_EQ(listed[1]["owner"], "cw2@yot.example.org");
  const auto reviews = nlohmann::json::parse(cw({"review", "list", "--format", "json"}).out);
  ASSERT_THAT(reviews, SizeIs(1));
  EXPECT_EQ(reviews[0]["person_id"], "P1");
  EXPECT_EQ(reviews[0]["reviewed_on"], "2025-03-18");
  EXPECT_EQ(reviews[0]["recorded_by"], "meeting");

  const auto again = cw({"import", "actions", book.string()});
  EXPECT_EQ(again.out,
            "sheet.xlsx: 4 rows: 0 new, 0 changed, 2 unchanged, 0 reviews, 2 rejected\n");
  EXPECT_THAT(actions(), SizeIs(2));
}

TEST_F(CaseworkCliTest, MalformedWorkbooksAreClearErrorsNotCrashes) {
  const auto book = dir_ / "sheet.xlsx";
  writeFile(dir_ / "write.py",
            "import sys, openpyxl\n"
            "wb = openpyxl.Workbook()\n"
            "wb.active.append(['person_id', 'action'])\n"
            "wb.active.append(['P1', 'Visit'])\n"
            "wb.save(sys.argv[1])\n");
  ASSERT_EQ(runProgram(python(), {(dir_ / "write.py").string(), book.string()}).exit_code, 0);
  const std::string good = readFile(book);

  writeFile(book, good.substr(0, good.size() / 2));  // truncated
  auto result = cw({"import", "actions", book.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(book.string() + ": not a readable XLSX workbook (zip)"));

  // The sheet's XML broken, then the sheet missing, rewritten with Python's zipfile.
  writeFile(book, good);
  writeFile(dir_ / "break.py",
            "import sys, zipfile\n"
            "src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]\n"
            "with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w') as zout:\n"
            "    for item in zin.infolist():\n"
            "        data = zin.read(item.filename)\n"
            "        if item.filename == 'xl/worksheets/sheet1.xml':\n"
            "            if mode == 'missing':\n"
            "                continue\n"
            "            data = data.replace(b'</sheetData>', b'<row>')\n"
            "        zout.writestr(item, data)\n");
  const auto broken = dir_ / "broken.xlsx";
  ASSERT_EQ(
      runProgram(python(), {(dir_ / "break.py").string(), book.string(), broken.string(), "xml"})
          .exit_code,
      0);
  result = cw({"import", "actions", broken.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(broken.string() + ": xl/worksheets/sheet1.xml: line "));
  ASSERT_EQ(runProgram(python(),
                       {(dir_ / "break.py").string(), book.string(), broken.string(), "missing"})
                .exit_code,
            0);
  result = cw({"import", "actions", broken.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err,
              HasSubstr(broken.string() + ": xl/worksheets/sheet1.xml: missing from the workbook"));
  EXPECT_THAT(actions(), IsEmpty());

  // The intact workbook is taken.
  result = cw({"import", "actions", book.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(actions(), SizeIs(1));
}

}  // namespace
}  // namespace cohortwatch::integration
