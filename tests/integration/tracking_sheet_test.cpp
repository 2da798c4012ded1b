// The tracking sheet through the real binary, as a round trip: `export tracking-sheet` as CSV and
// as XLSX, a manager's edits (a new action for one child, an existing action marked done; the CSV
// edited as text, the workbook with openpyxl, an independent reader and writer), `import actions`,
// and the action and its history recorded. openpyxl also checks the workbook itself: a frozen,
// filtered header row, dates as dates, a formula-like action neutralised as text. And the
// command's refusals. Children, names and addresses are synthetic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace cohortwatch::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

std::string python() {
  const char* configured = std::getenv("COHORTWATCH_TEST_PYTHON");
  return configured != nullptr && *configured != '\0' ? configured : "/usr/bin/python3";
}

constexpr const char* kHeader =
    "person_id,child,cohort,index_date,index_outcome,follow_up_start,follow_up_end,"
    "proven_reoffences,pending_offences,focus_groups,priority,reasons,action_id,action,"
    "action_owner,action_due,action_status,action_notes,reviewed_on";
constexpr const char* kHyperlink = "=HYPERLINK(\"http://x.test\",\"open\")";

// 2026Q2, as of 2026-11-30: Ann (P1) is looked after (focus group, priority 2); Ben (P2) has two
// open actions, one of them formula-like; Cat (P3) has none. A 2026Q3 child (P4) is running too.
class TrackingSheetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writeFile(config_, "database:\n  path: " + (dir_ / "cw.db").string() +
                           "\n"
                           "privacy:\n  identify_by: initials\n"
                           "focus_groups:\n"
                           "  - {id: lac, name: Looked after, when: looked_after, weight: 2}\n");
    writeFile(dir_ / "people.csv",
              "person_id,first_name,last_name,date_of_birth,looked_after,caseworker\n"
              "P1,Ann,Ash,2010-01-01,true,cw1@yot.example.org\n"
              "P2,Ben,Birch,2010-02-02,false,cw2@yot.example.org\n"
              "P3,Cat,Cedar,2010-03-03,false,cw1@yot.example.org\n"
              "P4,Dan,Dale,2010-04-04,false,cw2@yot.example.org\n");
    writeFile(dir_ / "offences.csv",
              "offence_id,person_id,offence_date,breach\n"
              "O1,P1,2026-04-20,false\nO2,P2,2026-04-22,false\nO3,P3,2026-04-24,false\n"
              "O4,P4,2026-07-01,false\n");
    writeFile(dir_ / "outcomes.csv",
              "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
              "X1,P1,O1,youth_caution,2026-05-10\nX2,P2,O2,youth_caution,2026-05-12\n"
              "X3,P3,O3,youth_caution,2026-05-14\nX4,P4,O4,youth_caution,2026-07-20\n");
    const auto imported = cw({"import", (dir_ / "people.csv").string(),
                              (dir_ / "offences.csv").string(), (dir_ / "outcomes.csv").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    addAction("P2", "Call school", "2026-12-15");
    addAction("P2", kHyperlink, "");
  }

  CliResult cw(std::vector<std::string> args, const CliOptions& options = {}) {
    args.push_back("--config");
    args.push_back(config_.string());
    return runCohortwatch(args, options);
  }

  void addAction(const std::string& person, const std::string& description,
                 const std::string& due) {
    std::vector<std::string> args = {
        "action",        "add",       "--person", person,
        "--description", description, "--owner",  "cw2@yot.example.org"};
    if (!due.empty()) args.insert(args.end(), {"--due", due});
    const auto added = cw(args);
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  // Exports the 2026Q2 sheet as of 2026-11-30 to dir/NAME and checks what the command says.
  std::filesystem::path exportSheet(const std::string& format, const std::string& name) {
    const auto file = dir_ / name;
    const auto exported = cw({"export", "tracking-sheet", "--cohort", "2026Q2", "--as-of",
                              "2026-11-30", "--format", format, "--out", file.string()});
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(exported.out, file.string() + "\n");
    struct stat info {};
    EXPECT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << "the sheet names children: private to its owner";
    return file;
  }

  void runPython(const std::string& script, const std::vector<std::string>& args) {
    writeFile(dir_ / "script.py", script);
    std::vector<std::string> argv = {(dir_ / "script.py").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto ran = runProgram(python(), argv);
    ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  }

  // `action list --status all` as JSON.
  nlohmann::json actions() {
    const auto listed = cw({"action", "list", "--status", "all", "--format", "json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return nlohmann::json::parse(listed.out);
  }

  // After importing the edited sheet: Cat's new action, Ben's "Call school" done (in its
  // history, by the manager), the formula-like action unchanged.
  void expectTheEditsRecorded(const std::filesystem::path& edited) {
    const auto imported = cw({"import", "actions", edited.string(), "--by", "manager"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_EQ(imported.out, edited.filename().string() +
                                ": 4 rows: 1 new, 1 changed, 1 unchanged, 0 reviews, 0 rejected\n");
    const auto listed = actions();
    ASSERT_THAT(listed, SizeIs(3));
    EXPECT_EQ(listed[0]["id"], 1);
    EXPECT_EQ(listed[0]["description"], "Call school");
    EXPECT_EQ(listed[0]["status"], "done");
    EXPECT_EQ(listed[1]["id"], 3);
    EXPECT_EQ(listed[1]["person_id"], "P3");
    EXPECT_EQ(listed[1]["description"], "Home visit");
    EXPECT_EQ(listed[1]["owner"], "cw1@yot.example.org");
    EXPECT_EQ(listed[1]["due_on"], "2026-12-20");
    EXPECT_EQ(listed[1]["status"], "open");
    EXPECT_EQ(listed[1]["recorded_by"], "manager");
    EXPECT_EQ(listed[2]["id"], 2);
    EXPECT_EQ(listed[2]["description"], kHyperlink);  // the neutralising ' taken off again
    EXPECT_EQ(listed[2]["status"], "open");

    const auto history = cw({"action", "history", "1", "--format", "json"});
    ASSERT_EQ(history.exit_code, 0) << history.err;
    const auto changes = nlohmann::json::parse(history.out);
    ASSERT_THAT(changes, SizeIs(2));  // created, status
    EXPECT_EQ(changes[1]["field"], "status");
    EXPECT_EQ(changes[1]["old_value"], "open");
    EXPECT_EQ(changes[1]["new_value"], "done");
    EXPECT_EQ(changes[1]["changed_by"], "manager");
  }

  // Runs in the test's folder, where the default file names land.
  CliOptions inDir() const {
    CliOptions options;
    options.working_dir = dir_.path();
    return options;
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_ / "cw.yaml";
};

TEST_F(TrackingSheetCliTest, CsvRoundTripRecordsTheManagersEdits) {
  const auto sheet = exportSheet("csv", "sheet.csv");
  const std::string csv = readFile(sheet);
  auto rows = lines(csv);
  ASSERT_THAT(rows, SizeIs(5));
  EXPECT_EQ(rows[0], std::string(kHeader) + "\r");
  // Ann first (the focus group), then Ben's two actions, then Cat with room for a new one.
  EXPECT_THAT(rows[1], StartsWith("P1,A.A. (P1),2026Q2,2026-05-10,youth_caution,2026-05-11,"
                                  "2027-05-10,0,0,Looked after,2.0,"));
  EXPECT_THAT(rows[2], HasSubstr(",1,Call school,cw2@yot.example.org,2026-12-15,open,,\r"));
  EXPECT_THAT(
      rows[3],
      HasSubstr(",2,\"'=HYPERLINK(\"\"http://x.test\"\",\"\"open\"\")\",cw2@yot.example.org,,"
                "open,,\r"));
  EXPECT_THAT(rows[4], StartsWith("P3,C.C. (P3),"));
  EXPECT_THAT(rows[4], HasSubstr(",,,,,,,\r"));  // empty action columns and reviewed_on

  // The manager's edits: a new action for Cat, "Call school" done.
  const auto replace = [](std::string& row, const std::string& from, const std::string& to) {
    const auto at = row.rfind(from);
    ASSERT_NE(at, std::string::npos) << row;
    row.replace(at, from.size(), to);
  };
  replace(rows[4], ",,,,,,,\r", ",,Home visit,cw1@yot.example.org,20/12/2026,,,\r");
  replace(rows[2], ",open,,\r", ",done,,\r");
  std::string edited;
  for (const auto& row : rows) edited += row + "\n";
  writeFile(dir_ / "edited.csv", edited);
  expectTheEditsRecorded(dir_ / "edited.csv");
}

TEST_F(TrackingSheetCliTest, XlsxRoundTripThroughOpenpyxl) {
  const auto sheet = exportSheet("xlsx", "sheet.xlsx");
  runPython(
      "import sys, datetime, openpyxl\n"
      "wb = openpyxl.load_workbook(sys.argv[1])\n"
      "ws = wb.active\n"
      "col = {c.value: c.column for c in ws[1]}\n"
      "for row in range(2, ws.max_row + 1):\n"
      "    person = ws.cell(row, col['person_id']).value\n"
      "    action = ws.cell(row, col['action']).value\n"
      "    if person == 'P3':\n"
      "        ws.cell(row, col['action']).value = 'Home visit'\n"
      "        ws.cell(row, col['action_owner']).value = 'cw1@yot.example.org'\n"
      "        ws.cell(row, col['action_due']).value = datetime.date(2026, 12, 20)\n"
      "        ws.cell(row, col['action_due']).number_format = 'yyyy-mm-dd'\n"
      "    if action == 'Call school':\n"
      "        ws.cell(row, col['action_status']).value = 'done'\n"
      "wb.save(sys.argv[2])\n",
      {sheet.string(), (dir_ / "edited.xlsx").string()});
  expectTheEditsRecorded(dir_ / "edited.xlsx");
}

TEST_F(TrackingSheetCliTest, WorkbookAsAnIndependentReaderSeesIt) {
  const auto sheet = exportSheet("xlsx", "sheet.xlsx");
  // Prints what a spreadsheet user would check, one fact a line.
  runPython(
      "import sys, openpyxl\n"
      "ws = openpyxl.load_workbook(sys.argv[1]).active\n"
      "out = open(sys.argv[2], 'w')\n"
      "col = {c.value: c.column for c in ws[1]}\n"
      "print('header', ','.join(c.value for c in ws[1]), file=out)\n"
      "print('bold', all(c.font.b for c in ws[1]), file=out)\n"
      "print('frozen', ws.freeze_panes, file=out)\n"
      "print('filter', ws.auto_filter.ref, file=out)\n"
      "print('rows', ws.max_row, file=out)\n"
      "for key in ('index_date', 'follow_up_end', 'action_due'):\n"
      "    c = ws.cell(3, col[key])\n"
      "    print(key, c.is_date, c.value.date().isoformat(), file=out)\n"
      "c = ws.cell(3, col['priority'])\n"
      "print('priority', c.data_type, c.value, file=out)\n"
      "c = ws.cell(4, col['action'])\n"
      "print('neutralised', c.data_type, c.value, file=out)\n"
      "print('widths', ws.column_dimensions['L'].width > ws.column_dimensions['C'].width, "
      "file=out)\n",
      {sheet.string(), (dir_ / "facts.txt").string()});
  const std::vector<std::string> expected = {std::string("header ") + kHeader,
                                             "bold True",
                                             "frozen A2",
                                             "filter A1:S5",
                                             "rows 5",
                                             "index_date True 2026-05-12",
                                             "follow_up_end True 2027-05-12",
                                             "action_due True 2026-12-15",
                                             "priority n 0",
                                             std::string("neutralised s '") + kHyperlink,
                                             "widths True"};
  EXPECT_EQ(lines(readFile(dir_ / "facts.txt")), expected);
}

TEST_F(TrackingSheetCliTest, RunningCohortsByDefaultNamedByCohortAndDay) {
  const auto exported =
      cw({"export", "tracking-sheet", "--as-of", "2026-11-30", "--format", "csv"}, inDir());
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, "tracking-sheet-running-2026-11-30.csv\n");
  const auto rows = lines(readFile(dir_ / "tracking-sheet-running-2026-11-30.csv"));
  ASSERT_THAT(rows, SizeIs(6));
  EXPECT_THAT(rows[5], StartsWith("P4,D.D. (P4),2026Q3,"));
}

TEST_F(TrackingSheetCliTest, RefusesAnUnknownCohortAndBadOptions) {
  const auto unknown = cw({"export", "tracking-sheet", "--cohort", "2031Q1", "--as-of",
                           "2026-11-30", "--format", "csv", "--out", (dir_ / "x.csv").string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no cohort 2031Q1 as of 2026-11-30 (cohorts in the data: "
                                     "2026Q2, 2026Q3)"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.csv"));

  const std::vector<std::vector<std::string>> bad = {
      {"export", "tracking-sheet", "--format", "pdf"},
      {"export", "tracking-sheet"},
      {"export", "tracking-sheet", "--format", "csv", "--cohort", "2026-Q2"},
      {"export", "tracking-sheet", "--format", "csv", "--as-of", "30/11/2026x"},
      {"export", "tracking-sheet", "--format", "xlsx", "--out", "-"},
      {"export", "sheet", "--format", "csv"},
      {"export", "tracking-sheet", "--format", "csv", "--owner", "x"},
  };
  for (const auto& args : bad) {
    const auto refused = cw(args, inDir());
    EXPECT_EQ(refused.exit_code, 2) << args[2] << ": " << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("Usage: cohortwatch export tracking-sheet"));
  }
  const auto stdout_xlsx = cw({"export", "tracking-sheet", "--format", "xlsx", "--out", "-"});
  EXPECT_THAT(stdout_xlsx.err, HasSubstr("not written to stdout"));
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), Not(StartsWith("tracking-sheet")));
  }
}

TEST_F(TrackingSheetCliTest, UnwritableOutIsAFailureNamingTheFile) {
  const auto file = dir_ / "missing" / "sheet.xlsx";
  const auto failed = cw({"export", "tracking-sheet", "--format", "xlsx", "--out", file.string()});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.err, HasSubstr((dir_ / "missing").string()));
}

}  // namespace
}  // namespace cohortwatch::integration
