// End to end on files: `generate`, `import`, `report`, checked as a user would check them, and
// against an independent, deliberately naive reading of DOMAIN.md's definitions written here
// from the CSV files (strings for dates, no shared code with the product).
#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace cohortwatch::integration {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// A naive CSV reader: quote-aware, BOM and CRLF tolerant; each row remembers the line it starts on.

struct CsvRow {
  long line = 0;
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;

  std::optional<std::size_t> column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    return std::nullopt;
  }
  // The row's value in the named column; empty when the file or the row has no such column.
  std::string get(const CsvRow& row, const std::string& name) const {
    const auto index = column(name);
    if (!index || *index >= row.fields.size()) return "";
    return row.fields[*index];
  }
};

CsvTable readCsv(const std::filesystem::path& file) {
  std::string text = readFile(file);
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::vector<CsvRow> records;
  CsvRow record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  long line = 1;
  record.line = 1;
  auto endField = [&] {
    record.fields.push_back(field);
    field.clear();
    field_started = false;
  };
  auto endRecord = [&] {
    endField();
    if (!(record.fields.size() == 1 && record.fields[0].empty())) records.push_back(record);
    record = CsvRow{};
    record.line = line;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      endField();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: the '\n' ends the record
    } else if (c == '\n') {
      ++line;
      endRecord();
    } else {
      field += c;
      field_started = true;
    }
  }
  if (!field.empty() || !record.fields.empty()) endRecord();
  CsvTable table;
  if (records.empty()) return table;
  table.header = records.front().fields;
  table.rows.assign(records.begin() + 1, records.end());
  return table;
}

// ---------------------------------------------------------------------------------------------
// Dates as "YYYY-MM-DD" strings, compared lexicographically.

struct Ymd {
  int y = 0, m = 0, d = 0;
};

bool isLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

std::optional<Ymd> parseDate(const std::string& text) {
  static const std::regex shape(R"(^(\d{4})-(\d{2})-(\d{2})$)");
  std::smatch match;
  if (!std::regex_match(text, match, shape)) return std::nullopt;
  Ymd date{std::stoi(match[1]), std::stoi(match[2]), std::stoi(match[3])};
  if (date.m < 1 || date.m > 12 || date.d < 1 || date.d > daysInMonth(date.y, date.m)) {
    return std::nullopt;
  }
  return date;
}

std::string format(const Ymd& date) {
  char buffer[40];  // room for any int, so -Wformat-truncation has nothing to say
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.y, date.m, date.d);
  return buffer;
}

// The same calendar day n months later, clamped to the end of a shorter month.
std::string addMonths(const std::string& text, int n) {
  Ymd date = *parseDate(text);
  const int months = date.y * 12 + (date.m - 1) + n;
  date.y = months / 12;
  date.m = months % 12 + 1;
  date.d = std::min(date.d, daysInMonth(date.y, date.m));
  return format(date);
}

int ageOn(const std::string& birth, const std::string& on) {
  const Ymd b = *parseDate(birth);
  const Ymd o = *parseDate(on);
  int age = o.y - b.y;
  if (o.m < b.m || (o.m == b.m && o.d < b.d)) --age;
  return age;
}

long daysBetween(const std::string& from, const std::string& to) {
  auto days = [](const std::string& text) {
    const Ymd date = *parseDate(text);
    return std::chrono::sys_days(std::chrono::year{date.y} /
                                 std::chrono::month{static_cast<unsigned>(date.m)} /
                                 std::chrono::day{static_cast<unsigned>(date.d)})
        .time_since_epoch()
        .count();
  };
  return static_cast<long>(days(to) - days(from));
}

std::string addDays(const std::string& text, int n) {
  Ymd date = *parseDate(text);
  for (; n > 0; --n) {
    if (++date.d > daysInMonth(date.y, date.m)) {
      date.d = 1;
      if (++date.m > 12) {
        date.m = 1;
        ++date.y;
      }
    }
  }
  return format(date);
}

std::string quarterOf(const std::string& date) {
  const Ymd ymd = *parseDate(date);
  return std::to_string(ymd.y) + "Q" + std::to_string((ymd.m - 1) / 3 + 1);
}

std::string quarterLastDay(const std::string& quarter) {
  const int year = std::stoi(quarter.substr(0, 4));
  const int number = quarter[5] - '0';
  return format(Ymd{year, number * 3, daysInMonth(year, number * 3)});
}

std::string quarterFirstDay(const std::string& quarter) {
  const int year = std::stoi(quarter.substr(0, 4));
  const int number = quarter[5] - '0';
  return format(Ymd{year, number * 3 - 2, 1});
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return format(Ymd{local.tm_year + 1900, local.tm_mon + 1, local.tm_mday});
}

// ---------------------------------------------------------------------------------------------
// DOMAIN.md's definitions, naively.

const std::set<std::string>& indexEventTypes() {
  static const std::set<std::string> types = {"youth_caution",
                                              "youth_conditional_caution",
                                              "absolute_discharge",
                                              "conditional_discharge",
                                              "fine",
                                              "compensation_order",
                                              "reparation_order",
                                              "referral_order",
                                              "youth_rehabilitation_order",
                                              "other_court",
                                              "release_from_custody"};
  return types;
}

const std::set<std::string>& provingTypes() {
  static const std::set<std::string> types = {"youth_caution",
                                              "youth_conditional_caution",
                                              "absolute_discharge",
                                              "conditional_discharge",
                                              "fine",
                                              "compensation_order",
                                              "reparation_order",
                                              "referral_order",
                                              "youth_rehabilitation_order",
                                              "other_court",
                                              "detention_training_order",
                                              "custodial_sentence"};
  return types;
}

const std::set<std::string>& allOutcomeTypes() {
  static const std::set<std::string> types = [] {
    std::set<std::string> all = indexEventTypes();
    all.insert(provingTypes().begin(), provingTypes().end());
    all.insert({"community_resolution", "outcome_22", "no_further_action", "triage"});
    return all;
  }();
  return types;
}

bool isTrue(const std::string& text) {
  return text == "true" || text == "TRUE" || text == "True" || text == "yes" || text == "y" ||
         text == "1";
}

struct RefPerson {
  std::string id, birth;
};
struct RefOffence {
  std::string id, person, date;
  bool breach = false;
};
struct RefOutcome {
  std::string id, person, offence, type, date;
};

struct RefData {
  std::vector<RefPerson> people;
  std::vector<RefOffence> offences;
  std::vector<RefOutcome> outcomes;
};

RefData readRefData(const std::filesystem::path& dir) {
  RefData data;
  const auto people = readCsv(dir / "people.csv");
  for (const auto& row : people.rows) {
    data.people.push_back({people.get(row, "person_id"), people.get(row, "date_of_birth")});
  }
  const auto offences = readCsv(dir / "offences.csv");
  for (const auto& row : offences.rows) {
    data.offences.push_back({offences.get(row, "offence_id"), offences.get(row, "person_id"),
                             offences.get(row, "offence_date"),
                             isTrue(offences.get(row, "breach"))});
  }
  const auto outcomes = readCsv(dir / "outcomes.csv");
  for (const auto& row : outcomes.rows) {
    data.outcomes.push_back({outcomes.get(row, "outcome_id"), outcomes.get(row, "person_id"),
                             outcomes.get(row, "offence_id"), outcomes.get(row, "outcome_type"),
                             outcomes.get(row, "outcome_date")});
  }
  return data;
}

struct RefMember {
  std::string index_date, index_offence, follow_up_end, proof_deadline, first_reoffence;
  int age = 0;
  long proven = 0, pending = 0;
  bool turns_18 = false;
};

struct RefCohort {
  long size = 0, reoffenders = 0, reoffences = 0;
  std::map<std::string, RefMember> members;  // by person_id
};

std::string refStatus(const std::string& quarter, const std::string& as_of) {
  if (as_of < quarterFirstDay(quarter)) return "not_started";
  if (as_of <= quarterLastDay(quarter)) return "recruiting";
  const std::string follow_up_end = addMonths(quarterLastDay(quarter), 12);
  if (as_of <= follow_up_end) return "following_up";
  if (as_of <= addMonths(follow_up_end, 6)) return "waiting";
  return "complete";
}

std::map<std::string, RefCohort> referenceCohorts(const RefData& data, const std::string& as_of) {
  std::map<std::string, RefCohort> cohorts;
  for (const auto& person : data.people) {
    // The earliest index event of each quarter, known as of the date.
    std::map<std::string, const RefOutcome*> index_of;
    for (const auto& outcome : data.outcomes) {
      if (outcome.person != person.id || outcome.date > as_of) continue;
      if (indexEventTypes().count(outcome.type) == 0) continue;
      const RefOutcome*& earliest = index_of[quarterOf(outcome.date)];
      if (earliest == nullptr || outcome.date < earliest->date) earliest = &outcome;
    }
    for (const auto& [quarter, index] : index_of) {
      const int age = ageOn(person.birth, index->date);
      if (age < 10 || age > 17) continue;
      RefMember member;
      member.index_date = index->date;
      member.index_offence = index->offence;
      member.age = age;
      member.follow_up_end = addMonths(index->date, 12);
      member.proof_deadline = addMonths(member.follow_up_end, 6);
      member.turns_18 = ageOn(person.birth, member.follow_up_end) >= 18;
      for (const auto& offence : data.offences) {
        if (offence.person != person.id) continue;
        if (offence.date <= member.index_date || offence.date > member.follow_up_end) continue;
        if (offence.date > as_of || offence.breach || offence.id == member.index_offence) continue;
        std::string proven_on;
        for (const auto& outcome : data.outcomes) {
          if (outcome.offence != offence.id || outcome.date > as_of) continue;
          if (provingTypes().count(outcome.type) == 0) continue;
          if (proven_on.empty() || outcome.date < proven_on) proven_on = outcome.date;
        }
        if (proven_on.empty()) {
          ++member.pending;
        } else if (proven_on <= member.proof_deadline) {
          ++member.proven;
          if (member.first_reoffence.empty() || offence.date < member.first_reoffence) {
            member.first_reoffence = offence.date;
          }
        }
      }
      RefCohort& cohort = cohorts[quarter];
      ++cohort.size;
      if (member.proven > 0) ++cohort.reoffenders;
      cohort.reoffences += member.proven;
      cohort.members[person.id] = member;
    }
  }
  return cohorts;
}

// ---------------------------------------------------------------------------------------------
// A naive validator of canonical rows: the line numbers of the rows that must be rejected.

struct InvalidLines {
  std::set<long> people, offences, outcomes;
};

InvalidLines invalidLines(const std::filesystem::path& dir) {
  InvalidLines invalid;
  const std::string now = today();
  auto goodDate = [&](const std::string& text) { return parseDate(text) && text <= now; };
  std::map<std::string, std::string> birth_of;
  const auto people = readCsv(dir / "people.csv");
  for (const auto& row : people.rows) {
    const std::string id = people.get(row, "person_id");
    const std::string birth = people.get(row, "date_of_birth");
    const std::string gender = people.get(row, "gender");
    const std::string looked_after = people.get(row, "looked_after");
    const std::string caseworker = people.get(row, "caseworker");
    const std::set<std::string> genders = {"", "male", "female", "other", "unknown"};
    const std::set<std::string> booleans = {"", "true", "false", "yes", "no", "y", "n", "1", "0"};
    const bool ok = row.fields.size() == people.header.size() && !id.empty() && goodDate(birth) &&
                    genders.count(gender) != 0 && booleans.count(looked_after) != 0 &&
                    (caseworker.empty() || (caseworker.find('@') != std::string::npos &&
                                            caseworker.find(' ') == std::string::npos));
    if (ok) {
      birth_of[id] = birth;
    } else {
      invalid.people.insert(row.line);
    }
  }
  std::map<std::string, std::pair<std::string, std::string>> offence_of;  // id -> person, date
  const auto offences = readCsv(dir / "offences.csv");
  for (const auto& row : offences.rows) {
    const std::string id = offences.get(row, "offence_id");
    const std::string person = offences.get(row, "person_id");
    const std::string date = offences.get(row, "offence_date");
    const std::string gravity = offences.get(row, "gravity");
    const std::string breach = offences.get(row, "breach");
    const std::set<std::string> gravities = {"", "1", "2", "3", "4", "5", "6", "7", "8"};
    const std::set<std::string> booleans = {"", "true", "false", "yes", "no", "y", "n", "1", "0"};
    const bool ok = row.fields.size() == offences.header.size() && !id.empty() &&
                    birth_of.count(person) != 0 && goodDate(date) && date >= birth_of[person] &&
                    gravities.count(gravity) != 0 && booleans.count(breach) != 0;
    if (ok) {
      offence_of[id] = {person, date};
    } else {
      invalid.offences.insert(row.line);
    }
  }
  const auto outcomes = readCsv(dir / "outcomes.csv");
  for (const auto& row : outcomes.rows) {
    const std::string id = outcomes.get(row, "outcome_id");
    const std::string person = outcomes.get(row, "person_id");
    const std::string offence = outcomes.get(row, "offence_id");
    const std::string type = outcomes.get(row, "outcome_type");
    const std::string date = outcomes.get(row, "outcome_date");
    bool ok = row.fields.size() == outcomes.header.size() && !id.empty() &&
              birth_of.count(person) != 0 && allOutcomeTypes().count(type) != 0 && goodDate(date);
    if (ok && offence.empty()) ok = type == "release_from_custody";
    if (ok && !offence.empty()) {
      const auto it = offence_of.find(offence);
      ok = it != offence_of.end() && it->second.first == person && date >= it->second.second;
    }
    if (!ok) invalid.outcomes.insert(row.line);
  }
  return invalid;
}

// ---------------------------------------------------------------------------------------------

struct Generated {
  long people = 0, offences = 0, outcomes = 0, invalid = 0;
};

struct Summary {
  long taken = 0, rejected = 0;
  bool operator==(const Summary&) const = default;
};

// "people.csv: 2000 taken, 0 rejected" lines, in the order printed.
std::vector<std::pair<std::string, Summary>> summaries(const std::string& out) {
  static const std::regex summary_line(R"(^(\S+\.csv): (\d+) taken, (\d+) rejected$)");
  std::vector<std::pair<std::string, Summary>> result;
  for (const auto& line : lines(out)) {
    std::smatch match;
    if (std::regex_match(line, match, summary_line)) {
      result.push_back({match[1], Summary{std::stol(match[2]), std::stol(match[3])}});
    }
  }
  return result;
}

long tableRows(const std::filesystem::path& db, const std::string& sql) {
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  return static_cast<long>(database.execAndGet(sql).getInt64());
}

class ImportReportTest : public ::testing::Test {
 protected:
  CliResult run(const std::vector<std::string>& args) {
    CliOptions options;
    options.working_dir = dir_.path();
    return runCohortwatch(args, options);
  }

  // Runs a command that must succeed and print JSON.
  json runJson(const std::vector<std::string>& args) {
    const auto result = run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    try {
      return json::parse(result.out);
    } catch (const json::exception& e) {
      ADD_FAILURE() << "not JSON (" << e.what() << "): " << result.out;
      return json::array();
    }
  }

  Generated generate(const std::filesystem::path& out, int seed,
                     const std::string& dirty_rate = "0") {
    const auto result =
        run({"generate", "--out", out.string(), "--children", "2000", "--from", "2022-01-01",
             "--to", "2025-06-30", "--seed", std::to_string(seed), "--dirty-rate", dirty_rate});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    static const std::regex wrote(
        R"(wrote (\d+) people, (\d+) offences, (\d+) outcomes \((\d+) invalid rows\))");
    std::smatch match;
    if (!std::regex_search(result.out, match, wrote)) {
      ADD_FAILURE() << "unexpected generate output: " << result.out;
      return {};
    }
    return {std::stol(match[1]), std::stol(match[2]), std::stol(match[3]), std::stol(match[4])};
  }

  CliResult importFiles(const std::filesystem::path& db,
                        const std::vector<std::filesystem::path>& files) {
    std::vector<std::string> args = {"import", "--db", db.string()};
    for (const auto& file : files) args.push_back(file.string());
    return run(args);
  }

  // Generated files imported into a fresh database, outcomes given first.
  std::filesystem::path generatedDatabase(const std::string& name, int seed) {
    const auto data = dir_ / name;
    generate(data, seed);
    const auto db = dir_ / (name + ".db");
    const auto result =
        importFiles(db, {data / "outcomes.csv", data / "people.csv", data / "offences.csv"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return db;
  }

  void checkAgainstReference(int seed, const std::string& as_of);

  TempDir dir_;
};

TEST_F(ImportReportTest, GeneratedFilesAreTakenWholeInDependencyOrderAndAgainChangeNothing) {
  const auto data = dir_ / "data";
  const auto generated = generate(data, 101);
  EXPECT_EQ(generated.people, 2000);
  EXPECT_EQ(generated.invalid, 0);
  const long people_rows = static_cast<long>(readCsv(data / "people.csv").rows.size());
  const long offence_rows = static_cast<long>(readCsv(data / "offences.csv").rows.size());
  const long outcome_rows = static_cast<long>(readCsv(data / "outcomes.csv").rows.size());
  EXPECT_EQ(people_rows, generated.people);
  EXPECT_EQ(offence_rows, generated.offences);
  EXPECT_EQ(outcome_rows, generated.outcomes);

  const auto db = dir_ / "cohortwatch.db";
  // Outcomes refer to offences and people, offences to people: given in the wrong order, they
  // are still imported people first.
  const std::vector<std::filesystem::path> files = {data / "outcomes.csv", data / "people.csv",
                                                    data / "offences.csv"};
  const std::vector<std::pair<std::string, Summary>> expected = {
      {"people.csv", {people_rows, 0}},
      {"offences.csv", {offence_rows, 0}},
      {"outcomes.csv", {outcome_rows, 0}}};
  const auto first = importFiles(db, files);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(summaries(first.out), expected) << first.out;
  EXPECT_THAT(first.out, HasSubstr("people.csv: 2000 taken, 0 rejected"));
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM people"), people_rows);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM offences"), offence_rows);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM outcomes"), outcome_rows);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM rejected_rows"), 0);
  const long changes = tableRows(db, "SELECT count(*) FROM person_changes");

  const auto second = importFiles(db, files);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(summaries(second.out), expected) << second.out;
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM people"), people_rows);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM offences"), offence_rows);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM outcomes"), outcome_rows);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM rejected_rows"), 0);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM person_changes"), changes);
}

void ImportReportTest::checkAgainstReference(int seed, const std::string& as_of) {
  const auto db = generatedDatabase("data", seed);
  const auto reference = referenceCohorts(readRefData(dir_ / "data"), as_of);
  ASSERT_FALSE(reference.empty());

  const json cohorts =
      runJson({"report", "cohorts", "--db", db.string(), "--as-of", as_of, "--format", "json"});
  ASSERT_TRUE(cohorts.is_array());
  std::set<std::string> reported;
  long compared = 0, reoffences_seen = 0, pending_seen = 0;
  for (const auto& cohort : cohorts) {
    const std::string quarter = cohort.at("cohort").get<std::string>();
    SCOPED_TRACE("cohort " + quarter + " as of " + as_of);
    reported.insert(quarter);
    const long size = cohort.at("cohort_size").get<long>();
    const long reoffenders = cohort.at("reoffenders").get<long>();
    const long reoffences = cohort.at("reoffences").get<long>();
    const std::string status = cohort.at("status").get<std::string>();
    EXPECT_EQ(cohort.at("as_of").get<std::string>(), as_of);
    EXPECT_EQ(status, refStatus(quarter, as_of));
    EXPECT_EQ(cohort.at("provisional").get<bool>(), status != "complete");
    ASSERT_GT(size, 0);
    EXPECT_NEAR(cohort.at("binary_rate").get<double>(),
                100.0 * static_cast<double>(reoffenders) / static_cast<double>(size), 1e-9);
    EXPECT_NEAR(cohort.at("frequency_rate").get<double>(),
                static_cast<double>(reoffences) / static_cast<double>(size), 1e-9);
    EXPECT_NEAR(
        cohort.at("reoffences_per_reoffender").get<double>(),
        reoffenders == 0 ? 0.0 : static_cast<double>(reoffences) / static_cast<double>(reoffenders),
        1e-9);

    // The members agree with their cohort.
    const json members = runJson({"report", "members", "--cohort", quarter, "--db", db.string(),
                                  "--as-of", as_of, "--format", "json"});
    ASSERT_TRUE(members.is_array());
    long proven_sum = 0, reoffended = 0;
    for (const auto& member : members) {
      proven_sum += member.at("proven_reoffences").get<long>();
      if (member.at("reoffended").get<bool>()) ++reoffended;
    }
    EXPECT_EQ(static_cast<long>(members.size()), size);
    EXPECT_EQ(proven_sum, reoffences);
    EXPECT_EQ(reoffended, reoffenders);

    // And with the reference implementation of DOMAIN.md.
    const auto it = reference.find(quarter);
    if (it == reference.end()) {
      ADD_FAILURE() << "cohort " << quarter << " has no members in the reference";
      continue;
    }
    const RefCohort& expected = it->second;
    EXPECT_EQ(size, expected.size);
    EXPECT_EQ(reoffenders, expected.reoffenders);
    EXPECT_EQ(reoffences, expected.reoffences);
    // Member by member; only the first few differences are shown.
    std::set<std::string> member_ids;
    long differing = 0;
    for (const auto& member : members) {
      const std::string id = member.at("person_id").get<std::string>();
      member_ids.insert(id);
      const auto ref = expected.members.find(id);
      if (ref == expected.members.end()) {
        ADD_FAILURE() << id << " is a member of " << quarter << " but not in the reference";
        continue;
      }
      const RefMember& m = ref->second;
      ++compared;
      reoffences_seen += m.proven;
      pending_seen += m.pending;
      const json want = {{"index_date", m.index_date},
                         {"age_at_index", m.age},
                         {"follow_up_start", addDays(m.index_date, 1)},
                         {"follow_up_end", m.follow_up_end},
                         {"proof_deadline", m.proof_deadline},
                         {"days_since_index", daysBetween(m.index_date, as_of)},
                         {"proven_reoffences", m.proven},
                         {"pending_offences", m.pending},
                         {"reoffended", m.proven > 0},
                         {"first_reoffence_date",
                          m.first_reoffence.empty() ? json(nullptr) : json(m.first_reoffence)},
                         {"turns_18_in_follow_up", m.turns_18}};
      std::string differences;
      for (const auto& [field, value] : want.items()) {
        if (!member.contains(field)) {
          differences += " " + field + ": missing;";
        } else if (member.at(field) != value) {
          differences +=
              " " + field + ": " + member.at(field).dump() + " (expected " + value.dump() + ");";
        }
      }
      if (!differences.empty() && ++differing <= 5) {
        ADD_FAILURE() << "member " << id << " of " << quarter << " as of " << as_of << ":"
                      << differences;
      }
    }
    EXPECT_EQ(differing, 0) << "members of " << quarter << " differing from the reference";
    for (const auto& [id, m] : expected.members) {
      EXPECT_EQ(member_ids.count(id), 1u)
          << id << " (index " << m.index_date << ") is missing from " << quarter;
    }
  }
  // The comparison is only worth something if the data has members, reoffences and pending ones.
  EXPECT_GT(compared, 500);
  EXPECT_GT(reoffences_seen, 100);
  EXPECT_GT(pending_seen, 0);
  for (const auto& [quarter, cohort] : reference) {
    EXPECT_EQ(reported.count(quarter), 1u)
        << "cohort " << quarter << " (" << cohort.size << " members in the reference) is missing";
  }
}

TEST_F(ImportReportTest, CohortsAndMembersMatchTheDefinitionsLongAfterTheData) {
  checkAgainstReference(202, "2026-12-31");
}

TEST_F(ImportReportTest, LiveProvisionalCohortsAndMembersMatchTheDefinitions) {
  checkAgainstReference(303, "2025-03-31");
}

TEST_F(ImportReportTest, RecruitingCohortMidQuarterMatchesTheDefinitions) {
  checkAgainstReference(707, "2024-11-15");
}

TEST_F(ImportReportTest, StatusFollowsTheCohortCalendar) {
  const auto db = generatedDatabase("data", 404);
  auto statusOf = [&](const std::string& as_of) {
    std::map<std::string, std::string> status;
    for (const auto& cohort : runJson(
             {"report", "cohorts", "--db", db.string(), "--as-of", as_of, "--format", "json"})) {
      status[cohort.at("cohort").get<std::string>()] = cohort.at("status").get<std::string>();
    }
    return status;
  };
  auto status = statusOf("2025-03-31");
  EXPECT_EQ(status["2025Q1"], "recruiting");
  EXPECT_EQ(status["2024Q4"], "following_up");
  EXPECT_EQ(status["2024Q1"], "following_up");  // follow-up of 2024-03-31 ends 2025-03-31
  EXPECT_EQ(status["2023Q4"], "waiting");       // follow-up ended 2024-12-31; waiting to 2025-06-30
  EXPECT_EQ(status["2023Q3"], "complete");      // waiting ended 2025-03-30
  EXPECT_EQ(statusOf("2025-03-30")["2023Q3"], "waiting");
  status = statusOf("2025-04-01");
  EXPECT_EQ(status["2025Q1"], "following_up");
  EXPECT_EQ(status["2024Q1"], "waiting");
  EXPECT_EQ(status["2023Q4"], "waiting");
  EXPECT_EQ(statusOf("2025-07-01")["2023Q4"], "complete");

  // A cohort's status is the same in the performance report.
  const json performance = runJson({"report", "performance", "--cohort", "2024Q1", "--db",
                                    db.string(), "--as-of", "2025-03-31", "--format", "json"});
  ASSERT_EQ(performance.size(), 1u);
  EXPECT_EQ(performance[0].at("status"), "following_up");
  EXPECT_EQ(performance[0].at("provisional"), true);

  // Figures of a complete cohort do not change with the as-of date.
  auto figures = [&](const std::string& as_of) {
    std::map<std::string, std::vector<long>> result;
    for (const auto& cohort : runJson(
             {"report", "cohorts", "--db", db.string(), "--as-of", as_of, "--format", "json"})) {
      if (cohort.at("status") != "complete") continue;
      result[cohort.at("cohort").get<std::string>()] = {cohort.at("cohort_size").get<long>(),
                                                        cohort.at("reoffenders").get<long>(),
                                                        cohort.at("reoffences").get<long>()};
    }
    return result;
  };
  const auto early = figures("2025-04-01");
  const auto late = figures("2026-12-31");
  ASSERT_FALSE(early.empty());
  for (const auto& [quarter, values] : early) {
    ASSERT_EQ(late.count(quarter), 1u) << quarter;
    EXPECT_EQ(late.at(quarter), values) << quarter;
  }
}

TEST_F(ImportReportTest, BadRowsAreRejectedByLineAndColumnAndTheRestIsTaken) {
  const auto data = dir_ / "dirty";
  const auto generated = generate(data, 505, "0.05");
  ASSERT_GT(generated.invalid, 0);
  const auto db = dir_ / "dirty.db";
  const std::vector<std::filesystem::path> files = {data / "people.csv", data / "offences.csv",
                                                    data / "outcomes.csv"};
  const auto result = importFiles(db, files);
  EXPECT_EQ(result.exit_code, 0) << result.err;

  const auto printed = summaries(result.out);
  ASSERT_EQ(printed.size(), 3u) << result.out;
  EXPECT_EQ(printed[0].first, "people.csv");
  EXPECT_EQ(printed[0].second.taken, generated.people);
  EXPECT_EQ(printed[1].first, "offences.csv");
  EXPECT_EQ(printed[1].second.taken, generated.offences);
  EXPECT_EQ(printed[2].first, "outcomes.csv");
  EXPECT_EQ(printed[2].second.taken, generated.outcomes);
  EXPECT_EQ(printed[0].second.rejected + printed[1].second.rejected + printed[2].second.rejected,
            generated.invalid);

  // One "FILE:LINE: column: reason" line per rejected row, naming a column of the file.
  static const std::regex rejected_line(
      R"(^(.*/)?(people|offences|outcomes)\.csv:(\d+): ([a-z_]+): .+$)");
  std::map<std::string, std::vector<std::string>> headers;
  for (const std::string kind : {"people", "offences", "outcomes"}) {
    headers[kind] = readCsv(data / (kind + ".csv")).header;
  }
  std::map<std::string, std::set<long>> rejected;
  long rejected_lines = 0;
  for (const auto& line : lines(result.out)) {
    std::smatch match;
    if (!std::regex_match(line, match, rejected_line)) continue;
    ++rejected_lines;
    const std::string kind = match[2];
    rejected[kind].insert(std::stol(match[3]));
    const auto& header = headers.at(kind);
    const std::string column = match[4];
    EXPECT_TRUE(column == "csv" || std::find(header.begin(), header.end(), column) != header.end())
        << line;
    EXPECT_THAT(line, HasSubstr((data / (kind + ".csv")).string() + ":")) << line;
  }
  EXPECT_EQ(rejected_lines, generated.invalid);
  EXPECT_EQ(static_cast<long>(rejected["people"].size()), printed[0].second.rejected);
  EXPECT_EQ(static_cast<long>(rejected["offences"].size()), printed[1].second.rejected);
  EXPECT_EQ(static_cast<long>(rejected["outcomes"].size()), printed[2].second.rejected);

  // Exactly the rows that break DOMAIN.md's rules are the ones rejected.
  const auto invalid = invalidLines(data);
  EXPECT_EQ(rejected["people"], invalid.people);
  EXPECT_EQ(rejected["offences"], invalid.offences);
  EXPECT_EQ(rejected["outcomes"], invalid.outcomes);

  // `report rejected` lists them.
  const json listed = runJson({"report", "rejected", "--db", db.string(), "--format", "json"});
  ASSERT_TRUE(listed.is_array());
  EXPECT_EQ(static_cast<long>(listed.size()), generated.invalid);
  std::map<std::string, std::set<long>> listed_lines;
  for (const auto& row : listed) {
    const std::string file =
        std::filesystem::path(row.at("file").get<std::string>()).stem().string();
    listed_lines[file].insert(row.at("line").get<long>());
    EXPECT_FALSE(row.at("reason").get<std::string>().empty());
  }
  EXPECT_EQ(listed_lines, rejected);

  // Importing again: the same counts, and the rejected rows are not stored twice.
  const long stored = tableRows(db, "SELECT count(*) FROM rejected_rows");
  EXPECT_EQ(stored, generated.invalid);
  const auto again = importFiles(db, files);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(summaries(again.out), printed) << again.out;
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM rejected_rows"), stored);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM people"), generated.people);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM offences"), generated.offences);
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM outcomes"), generated.outcomes);
  EXPECT_EQ(runJson({"report", "rejected", "--db", db.string(), "--format", "json"}).size(),
            listed.size());

  // The dirty rows come on top of the same valid rows: the figures are those of the clean files.
  const auto clean_db = generatedDatabase("clean", 505);
  const std::vector<std::string> report = {"report",   "cohorts", "--as-of", "2026-12-31",
                                           "--format", "json",    "--db"};
  auto dirty_args = report;
  dirty_args.push_back(db.string());
  auto clean_args = report;
  clean_args.push_back(clean_db.string());
  const json dirty_cohorts = runJson(dirty_args);
  EXPECT_FALSE(dirty_cohorts.empty());
  EXPECT_EQ(dirty_cohorts, runJson(clean_args));
}

TEST_F(ImportReportTest, HandWrittenFilesWithBomCrlfQuotesAndALateChild) {
  const auto people = dir_ / "people.csv";
  writeFile(people,
            "\xEF\xBB\xBFperson_id,first_name,last_name,date_of_birth,looked_after\r\n"
            "C1,Jo,\"O\"\"Neil, Smith\",2008-05-10,yes\r\n");
  const auto offences = dir_ / "offences.csv";
  writeFile(offences,
            "offence_id,person_id,offence_date,breach\n"
            "X1,C1,2024-01-01,false\n"
            "X2,C2,2024-02-02,false\n");
  const auto db = dir_ / "cohortwatch.db";
  const auto first = importFiles(db, {offences, people});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  const std::vector<std::pair<std::string, Summary>> expected = {{"people.csv", {1, 0}},
                                                                 {"offences.csv", {1, 1}}};
  EXPECT_EQ(summaries(first.out), expected) << first.out;
  EXPECT_THAT(first.out, HasSubstr("offences.csv:3: person_id: unknown child"));
  {
    SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(database,
                            "SELECT first_name, last_name, date_of_birth, looked_after FROM people "
                            "WHERE person_id = 'C1'");
    ASSERT_TRUE(query.executeStep());
    EXPECT_EQ(query.getColumn(0).getString(), "Jo");
    EXPECT_EQ(query.getColumn(1).getString(), "O\"Neil, Smith");
    EXPECT_EQ(query.getColumn(2).getString(), "2008-05-10");
    EXPECT_EQ(query.getColumn(3).getInt(), 1);
  }
  const json pending = runJson({"report", "rejected", "--db", db.string(), "--format", "json"});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].at("line"), 3);
  EXPECT_EQ(pending[0].at("kind"), "offences");
  EXPECT_THAT(pending[0].at("reason").get<std::string>(), HasSubstr("person_id"));

  // The missing child arrives; the rejected offence is taken when retried.
  const auto late = dir_ / "people-late.csv";
  writeFile(late, "person_id,date_of_birth\nC2,2009-09-09\n");
  const auto second = importFiles(db, {late});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("people-late.csv: 1 taken, 0 rejected"));
  const auto retry = run({"import", "--retry-rejected", "--db", db.string()});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("1 retried, 1 taken, 0 still rejected"));
  EXPECT_EQ(runJson({"report", "rejected", "--db", db.string(), "--format", "json"}),
            json::array());
  EXPECT_EQ(tableRows(db,
                      "SELECT count(*) FROM offences o JOIN people p ON p.id = o.person_ref "
                      "WHERE o.offence_id = 'X2' AND p.person_id = 'C2'"),
            1);
}

TEST_F(ImportReportTest, RejectedLineIsWhereAMultiLineRecordStarts) {
  const auto people = dir_ / "people.csv";
  writeFile(people,
            "person_id,first_name,date_of_birth\n"
            "C1,\"Two\nlines\",2010-01-01\n"  // lines 2-3
            "C2,x,2010-13-01\n"               // line 4
            "C3,\"a\"\"b\",\n");              // line 5
  const auto db = dir_ / "cohortwatch.db";
  const auto result = importFiles(db, {people});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("people.csv:4: date_of_birth: "));
  EXPECT_THAT(result.out, HasSubstr("people.csv:5: date_of_birth: required value is missing"));
  EXPECT_THAT(result.out, HasSubstr("people.csv: 1 taken, 2 rejected"));
}

TEST_F(ImportReportTest, PersonRowsFollowUpdatedAtAndChangesAreKept) {
  const auto db = dir_ / "cohortwatch.db";
  const auto first = dir_ / "first.csv";
  writeFile(first,
            "person_id,date_of_birth,looked_after,team,updated_at\n"
            "C9,2010-01-01,false,North,2025-01-01T10:00:00Z\n");
  const auto older = dir_ / "older.csv";
  writeFile(older,
            "person_id,date_of_birth,looked_after,updated_at\n"
            "C9,2010-01-01,true,2024-01-01T10:00:00Z\n");
  const auto newer = dir_ / "newer.csv";  // no team column: the stored team stays
  writeFile(newer,
            "person_id,date_of_birth,looked_after,updated_at\n"
            "C9,2010-01-01,true,2025-06-01T10:00:00Z\n");
  for (const auto& file : {first, older, newer}) {
    const auto result = importFiles(db, {file});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr(file.filename().string() + ": 1 taken, 0 rejected"));
  }
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  SQLite::Statement person(
      database, "SELECT looked_after, team, updated_at FROM people WHERE person_id = 'C9'");
  ASSERT_TRUE(person.executeStep());
  EXPECT_EQ(person.getColumn(0).getInt(), 1);
  EXPECT_EQ(person.getColumn(1).getString(), "North");
  EXPECT_EQ(person.getColumn(2).getString(), "2025-06-01T10:00:00Z");
  SQLite::Statement changes(database,
                            "SELECT field, old_value, new_value FROM person_changes ORDER BY id");
  std::vector<std::string> seen;
  while (changes.executeStep()) {
    seen.push_back(changes.getColumn(0).getString() + ": " + changes.getColumn(1).getString() +
                   " -> " + changes.getColumn(2).getString());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("looked_after: false -> true"));
}

// "Fix the rows at their source and import again" (the note of `report rejected`): a row taken
// after its fix leaves the list of rejected rows.
TEST_F(ImportReportTest, RowFixedAtItsSourceLeavesTheRejectedRows) {
  const auto people = dir_ / "people.csv";
  const auto db = dir_ / "cohortwatch.db";
  writeFile(people, "person_id,date_of_birth\nC1,2010-01-01\nC2,2010-13-01\n");
  const auto bad = importFiles(db, {people});
  EXPECT_THAT(bad.out, HasSubstr("people.csv: 1 taken, 1 rejected"));
  ASSERT_EQ(runJson({"report", "rejected", "--db", db.string(), "--format", "json"}).size(), 1u);

  writeFile(people, "person_id,date_of_birth\nC1,2010-01-01\nC2,2010-12-01\n");
  const auto fixed = importFiles(db, {people});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_THAT(fixed.out, HasSubstr("people.csv: 2 taken, 0 rejected"));
  EXPECT_EQ(tableRows(db, "SELECT count(*) FROM people"), 2);
  EXPECT_EQ(runJson({"report", "rejected", "--db", db.string(), "--format", "json"}), json::array())
      << "C2 was taken, yet its old rejected row is still listed";
}

// "Importing the same files again changes nothing", however the file is named on the command line.
TEST_F(ImportReportTest, SameFileByAnotherPathDoesNotRepeatItsRejectedRows) {
  const auto people = dir_ / "people.csv";
  const auto db = dir_ / "cohortwatch.db";
  writeFile(people, "person_id,date_of_birth\nC1,2010-01-01\nC2,2010-13-01\n");
  for (const auto& name : std::vector<std::string>{"people.csv", "./people.csv", people.string()}) {
    const auto result = run({"import", "--db", db.string(), name});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("people.csv: 1 taken, 1 rejected"));
  }
  EXPECT_EQ(runJson({"report", "rejected", "--db", db.string(), "--format", "json"}).size(), 1u);
}

TEST_F(ImportReportTest, PerformanceOfAYearComparesWithTheNationalAverage) {
  const auto db = generatedDatabase("data", 606);
  const auto config = dir_ / "national.yaml";
  writeFile(config, "national:\n  - {period: 2023/24, binary_rate: 30.0, source: test}\n");
  const json rows =
      runJson({"report", "performance", "--year", "2023/24", "--config", config.string(), "--db",
               db.string(), "--as-of", "2026-12-31", "--format", "json"});
  ASSERT_EQ(rows.size(), 5u) << rows.dump(2);
  const std::vector<std::string> periods = {"2023Q2", "2023Q3", "2023Q4", "2024Q1", "2023/24"};
  long size = 0, reoffenders = 0, reoffences = 0;
  const json cohorts = runJson(
      {"report", "cohorts", "--db", db.string(), "--as-of", "2026-12-31", "--format", "json"});
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& row = rows[i];
    EXPECT_EQ(row.at("period"), periods[i]);
    EXPECT_EQ(row.at("status"), "complete");
    EXPECT_EQ(row.at("provisional"), false);
    EXPECT_TRUE(row.at("national_binary_rate").is_null());
    EXPECT_TRUE(row.at("difference_pp").is_null());
    size += row.at("cohort_size").get<long>();
    reoffenders += row.at("reoffenders").get<long>();
    reoffences += row.at("reoffences").get<long>();
    // The same figures as `report cohorts`.
    bool found = false;
    for (const auto& cohort : cohorts) {
      if (cohort.at("cohort") != periods[i]) continue;
      found = true;
      EXPECT_EQ(cohort.at("cohort_size"), row.at("cohort_size"));
      EXPECT_EQ(cohort.at("reoffenders"), row.at("reoffenders"));
      EXPECT_EQ(cohort.at("reoffences"), row.at("reoffences"));
    }
    EXPECT_TRUE(found) << periods[i];
  }
  const auto& year = rows[4];
  EXPECT_EQ(year.at("period"), "2023/24");
  EXPECT_EQ(year.at("cohort_size").get<long>(), size);
  EXPECT_EQ(year.at("reoffenders").get<long>(), reoffenders);
  EXPECT_EQ(year.at("reoffences").get<long>(), reoffences);
  ASSERT_GT(size, 0);
  const double binary_rate = year.at("binary_rate").get<double>();
  EXPECT_NEAR(binary_rate, 100.0 * static_cast<double>(reoffenders) / static_cast<double>(size),
              1e-9);
  EXPECT_EQ(year.at("national_binary_rate").get<double>(), 30.0);
  EXPECT_NEAR(year.at("difference_pp").get<double>(), binary_rate - 30.0, 1e-9);
  EXPECT_EQ(year.at("national_source"), "test");
  EXPECT_EQ(year.at("status"), "complete");

  // As of 2025-03-31 the year is still running: provisional, with its least advanced status.
  const json live =
      runJson({"report", "performance", "--year", "2023/24", "--config", config.string(), "--db",
               db.string(), "--as-of", "2025-03-31", "--format", "json"});
  ASSERT_EQ(live.size(), 5u);
  EXPECT_EQ(live[0].at("status"), "complete");  // 2023Q2: complete since 2024-12-31
  EXPECT_EQ(live[0].at("provisional"), false);
  EXPECT_EQ(live[2].at("status"), "waiting");       // 2023Q4: waiting until 2025-06-30
  EXPECT_EQ(live[3].at("status"), "following_up");  // 2024Q1: following up until 2025-03-31
  EXPECT_EQ(live[4].at("status"), "following_up");
  EXPECT_EQ(live[4].at("provisional"), true);
}

TEST_F(ImportReportTest, WorkedExampleOfTheDomainReference) {
  const auto people = dir_ / "people.csv";
  writeFile(people, "person_id,date_of_birth\nA,2008-05-10\n");
  const auto offences = dir_ / "offences.csv";
  writeFile(offences,
            "offence_id,person_id,offence_date,breach\n"
            "O0,A,2025-01-10,false\n"   // before the index date; dealt with in 2025Q2
            "O1,A,2025-01-20,false\n"   // the index offence
            "O2,A,2025-02-03,false\n"   // committed on the index day
            "O3,A,2025-06-01,false\n"   // referral order 2025-09-15: proven
            "O4,A,2026-01-20,false\n"   // conviction 2026-07-30: proven within the waiting period
            "O5,A,2026-01-25,false\n"   // conviction 2026-08-10: proven too late
            "O6,A,2025-11-02,false\n"   // community resolution only: not proven
            "O7,A,2025-07-01,true\n");  // breach, fined: not counted
  const auto outcomes = dir_ / "outcomes.csv";
  writeFile(outcomes,
            "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
            "D1,A,O1,youth_caution,2025-02-03\n"
            "D2,A,O2,fine,2025-03-10\n"
            "D3,A,O3,referral_order,2025-09-15\n"
            "D4,A,O4,youth_rehabilitation_order,2026-07-30\n"
            "D5,A,O5,other_court,2026-08-10\n"
            "D6,A,O6,community_resolution,2025-12-01\n"
            "D7,A,O7,fine,2025-07-20\n"
            "D8,A,O0,referral_order,2025-04-10\n");
  const auto db = dir_ / "cohortwatch.db";
  const auto imported = importFiles(db, {people, offences, outcomes});
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  const std::vector<std::pair<std::string, Summary>> expected = {
      {"people.csv", {1, 0}}, {"offences.csv", {8, 0}}, {"outcomes.csv", {8, 0}}};
  EXPECT_EQ(summaries(imported.out), expected) << imported.out;

  const json members = runJson({"report", "members", "--cohort", "2025Q1", "--db", db.string(),
                                "--as-of", "2026-12-31", "--format", "json"});
  ASSERT_EQ(members.size(), 1u) << members.dump(2);
  const auto& a = members[0];
  EXPECT_EQ(a.at("person_id"), "A");
  EXPECT_EQ(a.at("index_date"), "2025-02-03");
  EXPECT_EQ(a.at("index_outcome_type"), "youth_caution");
  EXPECT_EQ(a.at("age_at_index"), 16);
  EXPECT_EQ(a.at("follow_up_start"), "2025-02-04");
  EXPECT_EQ(a.at("follow_up_end"), "2026-02-03");
  EXPECT_EQ(a.at("proof_deadline"), "2026-08-03");
  EXPECT_EQ(a.at("days_since_index"), 696);
  EXPECT_EQ(a.at("proven_reoffences"), 2);
  EXPECT_EQ(a.at("pending_offences"), 1);  // O6: dealt with only by a community resolution
  EXPECT_EQ(a.at("reoffended"), true);
  EXPECT_EQ(a.at("first_reoffence_date"), "2025-06-01");
  EXPECT_EQ(a.at("turns_18_in_follow_up"), false);  // 18 on 2026-05-10, after 2026-02-03

  // Live tracking: what is known on earlier dates.
  auto memberAsOf = [&](const std::string& as_of) {
    const json rows = runJson({"report", "members", "--cohort", "2025Q1", "--db", db.string(),
                               "--as-of", as_of, "--format", "json"});
    EXPECT_EQ(rows.size(), 1u) << as_of;
    return rows.empty() ? json::object() : rows[0];
  };
  const json january = memberAsOf("2026-01-31");  // O4 and O5 committed, not yet dealt with
  EXPECT_EQ(january.value("proven_reoffences", -1), 1);
  EXPECT_EQ(january.value("pending_offences", -1), 3);  // O4, O5, O6
  EXPECT_EQ(january.value("first_reoffence_date", ""), "2025-06-01");
  const json august = memberAsOf("2026-08-05");  // O4 proven on 2026-07-30, O5 not yet
  EXPECT_EQ(august.value("proven_reoffences", -1), 2);
  EXPECT_EQ(august.value("pending_offences", -1), 2);  // O5, O6
  const json before = memberAsOf("2025-05-31");        // nothing proven yet
  EXPECT_EQ(before.value("proven_reoffences", -1), 0);
  EXPECT_EQ(before.value("reoffended", true), false);
  EXPECT_TRUE(before.at("first_reoffence_date").is_null());

  // The referral order of 2025-04-10 puts A in 2025Q2 too, with its own follow-up.
  const json q2 = runJson({"report", "members", "--cohort", "2025Q2", "--db", db.string(),
                           "--as-of", "2026-12-31", "--format", "json"});
  ASSERT_EQ(q2.size(), 1u) << q2.dump(2);
  EXPECT_EQ(q2[0].at("index_date"), "2025-04-10");
  EXPECT_EQ(q2[0].at("follow_up_end"), "2026-04-10");
  EXPECT_EQ(q2[0].at("turns_18_in_follow_up"), false);

  const json cohorts = runJson(
      {"report", "cohorts", "--db", db.string(), "--as-of", "2026-12-31", "--format", "json"});
  bool found = false;
  for (const auto& cohort : cohorts) {
    if (cohort.at("cohort") != "2025Q1") continue;
    found = true;
    EXPECT_EQ(cohort.at("cohort_size"), 1);
    EXPECT_EQ(cohort.at("reoffenders"), 1);
    EXPECT_EQ(cohort.at("reoffences"), 2);
    EXPECT_EQ(cohort.at("binary_rate").get<double>(), 100.0);
    EXPECT_EQ(cohort.at("reoffences_per_reoffender").get<double>(), 2.0);
    EXPECT_EQ(cohort.at("status"), "complete");
    EXPECT_EQ(cohort.at("provisional"), false);
  }
  EXPECT_TRUE(found) << cohorts.dump(2);
}

}  // namespace
}  // namespace cohortwatch::integration
