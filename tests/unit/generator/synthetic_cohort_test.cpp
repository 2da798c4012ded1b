// The synthetic data generator as a user of its files sees it: canonical headers and quoting,
// byte-identical output per seed, consistent references, no date after `to`, a realistic cohort
// shape, and invalid rows of every kind when asked for (and only then).
#include "generator/synthetic_cohort.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tracking/civil_date.h"

namespace cohortwatch::generator {
namespace {

namespace fs = std::filesystem;
using tracking::Date;

using Row = std::vector<std::string>;

Date date(std::string_view text) {
  return *Date::parse(text);
}

const std::set<std::string, std::less<>> kProvingCodes = {"youth_caution",
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
const std::set<std::string, std::less<>> kNonSubstantiveCodes = {
    "community_resolution", "outcome_22", "no_further_action", "triage"};

bool isKnownCode(std::string_view code) {
  return kProvingCodes.contains(code) || kNonSubstantiveCodes.contains(code) ||
         code == "release_from_custody";
}
bool canBeIndexEvent(std::string_view code) {
  return code == "release_from_custody" ||
         (kProvingCodes.contains(code) && code != "detention_training_order" &&
          code != "custodial_sentence");
}

// A fresh directory under the system temp directory, removed afterwards.
class TempDir {
 public:
  explicit TempDir(std::string_view name)
      : path_(fs::temp_directory_path() / (std::string("cohortwatch-gen-") + std::string(name) +
                                           "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string readBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// RFC 4180 reader for one line without embedded line breaks (the generator never writes any).
Row parseLine(std::string_view line) {
  Row fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::vector<std::string> splitLines(const std::string& bytes) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < bytes.size()) {
    const std::size_t end = bytes.find('\n', start);
    lines.push_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

struct CsvFile {
  std::string bytes;
  std::vector<std::string> lines;  // header first
  Row header;
  std::vector<Row> rows;
};

CsvFile readCsv(const fs::path& path) {
  CsvFile file;
  file.bytes = readBytes(path);
  file.lines = splitLines(file.bytes);
  if (file.lines.empty()) return file;
  file.header = parseLine(file.lines.front());
  for (std::size_t i = 1; i < file.lines.size(); ++i) file.rows.push_back(parseLine(file.lines[i]));
  return file;
}

struct Dataset {
  GeneratorOptions options;
  GeneratorSummary summary;
  CsvFile people;
  CsvFile offences;
  CsvFile outcomes;
};

Dataset generate(const fs::path& dir, std::int64_t children, std::uint64_t seed,
                 double dirtyRate = 0.0) {
  Dataset data;
  data.options.out_dir = dir.string();
  data.options.children = children;
  data.options.from = date("2019-01-01");
  data.options.to = date("2025-12-31");
  data.options.seed = seed;
  data.options.dirty_rate = dirtyRate;
  data.summary = generateCohortFiles(data.options);
  data.people = readCsv(dir / "people.csv");
  data.offences = readCsv(dir / "offences.csv");
  data.outcomes = readCsv(dir / "outcomes.csv");
  return data;
}

// Column positions in the canonical files.
enum PeopleColumn { kPersonId, kFirstName, kLastName, kBirth, kGender, kEthnicity, kLookedAfter };
enum OffenceColumn {
  kOffenceId,
  kOffencePerson,
  kOffenceDate,
  kOffenceCode,
  kDescription,
  kGravity,
  kBreach
};
enum OutcomeColumn { kOutcomeId, kOutcomePerson, kOutcomeOffence, kOutcomeType, kOutcomeDate };

// One clean 20,000-child data set shared by the shape tests (generating it per test is wasteful).
class GeneratedCohortTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("shared");
    data_ = new Dataset(generate(dir_->path(), 20'000, 2025));
  }
  static void TearDownTestSuite() {
    delete data_;
    delete dir_;
  }
  static const Dataset& data() { return *data_; }

 private:
  static TempDir* dir_;
  static Dataset* data_;
};
TempDir* GeneratedCohortTest::dir_ = nullptr;
Dataset* GeneratedCohortTest::data_ = nullptr;

TEST_F(GeneratedCohortTest, HeadersAreExactlyTheCanonicalColumns) {
  EXPECT_EQ(data().people.lines.front(),
            "person_id,first_name,last_name,date_of_birth,gender,ethnicity,looked_after,"
            "caseworker,team,updated_at");
  EXPECT_EQ(data().offences.lines.front(),
            "offence_id,person_id,offence_date,offence_code,description,gravity,breach");
  EXPECT_EQ(data().outcomes.lines.front(),
            "outcome_id,person_id,offence_id,outcome_type,outcome_date");
}

TEST_F(GeneratedCohortTest, FilesAreUtf8WithoutBomLfOnlyAndEveryRowHasTheHeaderFieldCount) {
  for (const CsvFile* file : {&data().people, &data().offences, &data().outcomes}) {
    ASSERT_FALSE(file->bytes.empty());
    EXPECT_NE(file->bytes.substr(0, 3), "\xEF\xBB\xBF");
    EXPECT_EQ(file->bytes.back(), '\n');
    EXPECT_EQ(file->bytes.find('\r'), std::string::npos);
    for (const auto& row : file->rows) ASSERT_EQ(row.size(), file->header.size()) << row[0];
  }
  EXPECT_EQ(static_cast<std::int64_t>(data().people.rows.size()), data().summary.people);
  EXPECT_EQ(static_cast<std::int64_t>(data().offences.rows.size()), data().summary.offences);
  EXPECT_EQ(static_cast<std::int64_t>(data().outcomes.rows.size()), data().summary.outcomes);
  EXPECT_EQ(data().summary.people, 20'000);
  EXPECT_EQ(data().summary.dirty_rows, 0);
}

TEST_F(GeneratedCohortTest, NamesAndDescriptionsNeedingQuotesOrNonAsciiRoundTrip) {
  // A nickname in double quotes must be written quoted with the quotes doubled.
  EXPECT_THAT(data().people.bytes, ::testing::HasSubstr("\"\"Alex\"\"\""));
  EXPECT_THAT(data().people.bytes, ::testing::HasSubstr("Zoë"));
  EXPECT_THAT(data().people.bytes, ::testing::HasSubstr("O'Brien"));
  EXPECT_THAT(data().offences.bytes,
              ::testing::HasSubstr("\"Criminal damage, value under £5,000\""));
  bool sawQuoteInName = false;
  for (const auto& row : data().people.rows) {
    sawQuoteInName = sawQuoteInName || row[kFirstName].find('"') != std::string::npos;
  }
  EXPECT_TRUE(sawQuoteInName);
}

TEST_F(GeneratedCohortTest, IdsAreZeroPaddedAndUnique) {
  EXPECT_EQ(data().people.rows.front()[kPersonId], "P0000001");
  EXPECT_EQ(data().offences.rows.front()[kOffenceId], "O0000001");
  EXPECT_EQ(data().outcomes.rows.front()[kOutcomeId], "D0000001");
  for (const auto* file : {&data().people, &data().offences, &data().outcomes}) {
    std::set<std::string> ids;
    for (const auto& row : file->rows) ASSERT_TRUE(ids.insert(row[0]).second) << row[0];
  }
}

TEST_F(GeneratedCohortTest, NoDateAfterToAndNoneBefore1990) {
  const Date earliest = date("1990-01-01");
  const Date to = data().options.to;
  const auto check = [&](const std::string& text) {
    const auto parsed = Date::parse(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_LE(*parsed, to) << text;
    EXPECT_GE(*parsed, earliest) << text;
  };
  for (const auto& row : data().people.rows) {
    check(row[kBirth]);
    ASSERT_EQ(row[9].size(), 20u) << row[9];  // YYYY-MM-DDTHH:MM:SSZ
    EXPECT_EQ(row[9][10], 'T');
    EXPECT_EQ(row[9].back(), 'Z');
    check(row[9].substr(0, 10));
  }
  for (const auto& row : data().offences.rows) check(row[kOffenceDate]);
  for (const auto& row : data().outcomes.rows) check(row[kOutcomeDate]);
}

TEST_F(GeneratedCohortTest, ValuesAreCanonical) {
  for (const auto& row : data().people.rows) {
    EXPECT_THAT(row[kGender], ::testing::AnyOf("male", "female", "other", "unknown"));
    EXPECT_THAT(row[kLookedAfter], ::testing::AnyOf("true", "false"));
    EXPECT_THAT(row[7], ::testing::MatchesRegex("caseworker[0-9]+@yot\\.example\\.org"));
    EXPECT_THAT(row[8], ::testing::AnyOf("North", "South", "East", "West", "Central"));
  }
  for (const auto& row : data().offences.rows) {
    const int gravity = std::stoi(row[kGravity]);
    EXPECT_GE(gravity, 1);
    EXPECT_LE(gravity, 8);
    EXPECT_THAT(row[kBreach], ::testing::AnyOf("true", "false"));
    EXPECT_THAT(row[kOffenceCode], ::testing::MatchesRegex("HO [0-9]+/[0-9]+"));
  }
  for (const auto& row : data().outcomes.rows) EXPECT_TRUE(isKnownCode(row[kOutcomeType]));
}

TEST_F(GeneratedCohortTest, EveryReferenceResolvesToTheSameChild) {
  std::set<std::string> people;
  for (const auto& row : data().people.rows) people.insert(row[kPersonId]);
  std::map<std::string, std::string> offenceOwner;
  std::map<std::string, Date> offenceDate;
  for (const auto& row : data().offences.rows) {
    EXPECT_TRUE(people.contains(row[kOffencePerson])) << row[kOffenceId];
    offenceOwner[row[kOffenceId]] = row[kOffencePerson];
    offenceDate[row[kOffenceId]] = date(row[kOffenceDate]);
  }
  int releases = 0;
  for (const auto& row : data().outcomes.rows) {
    EXPECT_TRUE(people.contains(row[kOutcomePerson])) << row[kOutcomeId];
    if (row[kOutcomeType] == "release_from_custody") {
      EXPECT_EQ(row[kOutcomeOffence], "") << row[kOutcomeId];
      ++releases;
      continue;
    }
    const auto owner = offenceOwner.find(row[kOutcomeOffence]);
    ASSERT_NE(owner, offenceOwner.end()) << row[kOutcomeId];
    EXPECT_EQ(owner->second, row[kOutcomePerson]) << row[kOutcomeId];
    // An offence is dealt with on or after the day it was committed.
    EXPECT_GE(date(row[kOutcomeDate]), offenceDate[row[kOutcomeOffence]]) << row[kOutcomeId];
  }
  EXPECT_GT(releases, 0);
}

// Each child's first index event (an outcome that can be one, or a release from custody).
std::map<std::string, Date> firstIndexEvents(const Dataset& data) {
  std::map<std::string, Date> first;
  for (const auto& row : data.outcomes.rows) {
    if (!canBeIndexEvent(row[kOutcomeType])) continue;
    const Date when = date(row[kOutcomeDate]);
    const auto [it, inserted] = first.emplace(row[kOutcomePerson], when);
    if (!inserted) it->second = std::min(it->second, when);
  }
  return first;
}

TEST_F(GeneratedCohortTest, AgeAtFirstIndexEventIsTenToSeventeenSkewedOld) {
  std::map<std::string, Date> births;
  for (const auto& row : data().people.rows) births[row[kPersonId]] = date(row[kBirth]);
  const auto first = firstIndexEvents(data());
  // Most children enter the cohort; those with only a non-substantive outcome, or still in
  // custody, do not.
  EXPECT_GT(first.size(), 18'000u);
  std::size_t inRange = 0;
  std::size_t older = 0;
  for (const auto& [person, when] : first) {
    const int age = tracking::ageOn(births.at(person), when);
    inRange += age >= 10 && age <= 17 ? 1 : 0;
    older += age >= 15 && age <= 17 ? 1 : 0;
  }
  EXPECT_GE(static_cast<double>(inRange), 0.99 * static_cast<double>(first.size()));
  EXPECT_GT(static_cast<double>(older), 0.6 * static_cast<double>(first.size()));
}

TEST_F(GeneratedCohortTest, SharesOfLookedAfterAndBoysAreRealistic) {
  double lookedAfter = 0;
  double male = 0;
  int leapDayBirths = 0;
  for (const auto& row : data().people.rows) {
    lookedAfter += row[kLookedAfter] == "true" ? 1 : 0;
    male += row[kGender] == "male" ? 1 : 0;
    leapDayBirths += row[kBirth].ends_with("-02-29") ? 1 : 0;
  }
  const auto n = static_cast<double>(data().people.rows.size());
  EXPECT_GE(lookedAfter / n, 0.08);
  EXPECT_LE(lookedAfter / n, 0.16);
  EXPECT_GE(male / n, 0.70);
  EXPECT_LE(male / n, 0.90);
  EXPECT_GT(leapDayBirths, 0);
}

TEST_F(GeneratedCohortTest, SomeFurtherOffencesAreBreachesAndSomeArePending) {
  std::set<std::string> dealtWith;
  for (const auto& row : data().outcomes.rows) dealtWith.insert(row[kOutcomeOffence]);
  double breaches = 0;
  double pending = 0;
  for (const auto& row : data().offences.rows) {
    breaches += row[kBreach] == "true" ? 1 : 0;
    pending += dealtWith.contains(row[kOffenceId]) ? 0 : 1;
  }
  const auto n = static_cast<double>(data().offences.rows.size());
  EXPECT_GT(breaches / n, 0.01);
  EXPECT_LT(breaches / n, 0.06);
  EXPECT_GT(pending, 0);
  EXPECT_LT(pending / n, 0.10);
}

// Rough proven binary rate over the quarterly cohorts complete as of `to` (a simplified reading of
// DOMAIN.md, enough to check the shape; the engine is the real authority).
struct RateEstimate {
  double all = 0;
  double lookedAfter = 0;
  double notLookedAfter = 0;
};

RateEstimate estimateBinaryRates(const Dataset& data) {
  const Date to = data.options.to;
  std::map<std::string, std::pair<Date, bool>> people;  // birth, looked after
  for (const auto& row : data.people.rows) {
    people[row[kPersonId]] = {date(row[kBirth]), row[kLookedAfter] == "true"};
  }
  std::map<std::string, Date> provenOn;
  std::map<std::string, std::vector<Date>> indexDates;
  for (const auto& row : data.outcomes.rows) {
    const Date when = date(row[kOutcomeDate]);
    if (canBeIndexEvent(row[kOutcomeType])) indexDates[row[kOutcomePerson]].push_back(when);
    if (kProvingCodes.contains(row[kOutcomeType])) {
      const auto [it, inserted] = provenOn.emplace(row[kOutcomeOffence], when);
      if (!inserted) it->second = std::min(it->second, when);
    }
  }
  struct Offence {
    Date committed;
    bool breach;
    std::optional<Date> proven;
  };
  std::map<std::string, std::vector<Offence>> offences;
  for (const auto& row : data.offences.rows) {
    const auto proven = provenOn.find(row[kOffenceId]);
    offences[row[kOffencePerson]].push_back(
        {date(row[kOffenceDate]), row[kBreach] == "true",
         proven == provenOn.end() ? std::nullopt : std::optional<Date>(proven->second)});
  }
  std::array<double, 3> members{};
  std::array<double, 3> reoffenders{};
  for (auto& [person, dates] : indexDates) {
    std::sort(dates.begin(), dates.end());
    std::set<int> quartersSeen;
    for (const Date index : dates) {
      const int quarter = index.year() * 4 + static_cast<int>((index.month() - 1) / 3);
      if (!quartersSeen.insert(quarter).second) continue;  // earliest in the quarter only
      const Date quarterEnd =
          Date::fromYmd(index.year(), (index.month() - 1) / 3 * 3 + 1, 1)->addMonths(3).addDays(-1);
      if (quarterEnd.addMonths(18) > to) continue;  // not complete yet
      const auto& [birth, lookedAfter] = people.at(person);
      const int age = tracking::ageOn(birth, index);
      if (age < 10 || age > 17) continue;
      const Date followUpEnd = index.addMonths(12);
      const Date proofBy = followUpEnd.addMonths(6);
      bool reoffended = false;
      for (const auto& offence : offences[person]) {
        reoffended =
            reoffended || (offence.committed > index && offence.committed <= followUpEnd &&
                           !offence.breach && offence.proven && *offence.proven <= proofBy);
      }
      for (const std::size_t group : {std::size_t{0}, std::size_t{lookedAfter ? 1u : 2u}}) {
        members[group] += 1;
        reoffenders[group] += reoffended ? 1 : 0;
      }
    }
  }
  return {100 * reoffenders[0] / members[0], 100 * reoffenders[1] / members[1],
          100 * reoffenders[2] / members[2]};
}

TEST_F(GeneratedCohortTest, RoughBinaryRateIsNearTheNationalAverage) {
  const RateEstimate rates = estimateBinaryRates(data());
  EXPECT_GE(rates.all, 26.0);
  EXPECT_LE(rates.all, 38.0);
  EXPECT_GT(rates.lookedAfter, rates.notLookedAfter + 5.0);
}

TEST(GeneratorTest, SameSeedGivesIdenticalBytesAndAnotherSeedDifferentOnes) {
  TempDir a("seed-a");
  TempDir b("seed-b");
  TempDir c("seed-c");
  const Dataset first = generate(a.path(), 1500, 99, 0.05);
  const Dataset again = generate(b.path(), 1500, 99, 0.05);
  const Dataset other = generate(c.path(), 1500, 100, 0.05);
  EXPECT_EQ(first.people.bytes, again.people.bytes);
  EXPECT_EQ(first.offences.bytes, again.offences.bytes);
  EXPECT_EQ(first.outcomes.bytes, again.outcomes.bytes);
  EXPECT_NE(first.people.bytes, other.people.bytes);
  EXPECT_NE(first.offences.bytes, other.offences.bytes);
  EXPECT_NE(first.outcomes.bytes, other.outcomes.bytes);
}

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = 0xCBF29CE484222325ULL) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

TEST(GeneratorTest, OutputForAFixedSeedIsPinned) {
  // Byte-identical output across compilers and platforms is the contract; this digest catches a
  // platform that differs. Update it only when the generator is changed on purpose.
  TempDir dir("pinned");
  const Dataset data = generate(dir.path(), 300, 7, 0.05);
  const std::uint64_t digest =
      fnv1a(data.outcomes.bytes, fnv1a(data.offences.bytes, fnv1a(data.people.bytes)));
  EXPECT_EQ(digest, 0x0D74DCF84C15B77BULL) << std::hex << digest;
}

TEST(GeneratorTest, NoChildrenGivesHeadersOnly) {
  TempDir dir("empty");
  const Dataset data = generate(dir.path(), 0, 1, 0.5);
  EXPECT_EQ(data.people.lines.size(), 1u);
  EXPECT_EQ(data.offences.lines.size(), 1u);
  EXPECT_EQ(data.outcomes.lines.size(), 1u);
  EXPECT_EQ(data.summary.dirty_rows, 0);
}

TEST(GeneratorTest, CreatesMissingDirectoriesAndNamesThePathOnFailure) {
  TempDir dir("io");
  const Dataset nested = generate(dir.path() / "a" / "b", 10, 1);
  EXPECT_EQ(nested.people.rows.size(), 10u);

  const fs::path blocker = dir.path() / "not-a-directory";
  std::ofstream(blocker) << "x";
  GeneratorOptions options;
  options.out_dir = (blocker / "out").string();
  options.from = date("2024-01-01");
  options.to = date("2024-12-31");
  try {
    generateCohortFiles(options);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr(options.out_dir));
  }
}

TEST(GeneratorTest, RejectsBadOptions) {
  GeneratorOptions options;
  options.out_dir = (fs::temp_directory_path() / "cohortwatch-gen-never-written").string();
  options.from = date("2025-01-01");
  options.to = date("2024-01-01");
  EXPECT_THROW(generateCohortFiles(options), std::invalid_argument);
  options.to = date("2025-12-31");
  options.children = -1;
  EXPECT_THROW(generateCohortFiles(options), std::invalid_argument);
  options.children = 1;
  options.dirty_rate = 1.0;
  EXPECT_THROW(generateCohortFiles(options), std::invalid_argument);
  options.dirty_rate = -0.1;
  EXPECT_THROW(generateCohortFiles(options), std::invalid_argument);
  options.dirty_rate = 0.0;
  options.out_dir.clear();
  EXPECT_THROW(generateCohortFiles(options), std::invalid_argument);
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "cohortwatch-gen-never-written"));
}

// Dirty rows, classified by the rules of DOMAIN.md (what an importer must reject).
bool isBoolean(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "true" || lower == "false" || lower == "yes" || lower == "no" || lower == "y" ||
         lower == "n" || lower == "1" || lower == "0";
}

std::set<std::string> dateDefects(const std::string& text, Date to) {
  const auto parsed = Date::parse(text);
  if (!parsed) return {"bad date"};
  if (*parsed > to) return {"future date"};
  return {};
}

std::set<std::string> personDefects(const Row& row, Date to) {
  if (row[kPersonId].empty() || row[kBirth].empty()) return {"missing value"};
  auto defects = dateDefects(row[kBirth], to);
  if (!row[kLookedAfter].empty() && !isBoolean(row[kLookedAfter])) defects.insert("bad boolean");
  return defects;
}

std::set<std::string> offenceDefects(const Row& row, Date to, const std::set<std::string>& people) {
  if (row[kOffenceId].empty() || row[kOffencePerson].empty() || row[kOffenceDate].empty()) {
    return {"missing value"};
  }
  auto defects = dateDefects(row[kOffenceDate], to);
  if (!people.contains(row[kOffencePerson])) defects.insert("unknown child");
  if (!row[kGravity].empty()) {
    const int gravity = std::stoi(row[kGravity]);
    if (gravity < 1 || gravity > 8) defects.insert("gravity out of range");
  }
  return defects;
}

std::set<std::string> outcomeDefects(const Row& row, Date to, const std::set<std::string>& people,
                                     const std::set<std::string>& offences) {
  if (row[kOutcomeId].empty() || row[kOutcomePerson].empty() || row[kOutcomeType].empty() ||
      row[kOutcomeDate].empty()) {
    return {"missing value"};
  }
  auto defects = dateDefects(row[kOutcomeDate], to);
  if (!isKnownCode(row[kOutcomeType])) defects.insert("unknown code");
  if (!people.contains(row[kOutcomePerson])) defects.insert("unknown child");
  if (!row[kOutcomeOffence].empty() && !offences.contains(row[kOutcomeOffence])) {
    defects.insert("unknown offence");
  }
  return defects;
}

TEST(GeneratorTest, DirtyRowsOfEveryKindAreAddedAndTheValidRowsStayTheSame) {
  TempDir cleanDir("clean");
  TempDir dirtyDir("dirty");
  constexpr double kRate = 0.05;
  const Dataset clean = generate(cleanDir.path(), 3000, 17);
  const Dataset dirty = generate(dirtyDir.path(), 3000, 17, kRate);
  const Date to = dirty.options.to;

  std::set<std::string> people;
  std::set<std::string> offences;
  std::map<std::string, int> peopleKinds;
  std::map<std::string, int> offenceKinds;
  std::map<std::string, int> outcomeKinds;
  std::int64_t dirtyRows = 0;
  // Valid lines of each dirty file, to compare with the clean file.
  std::array<std::vector<std::string>, 3> validLines;
  const auto classify = [&](const CsvFile& file, std::size_t which, auto defectsOf,
                            std::map<std::string, int>& kinds, std::set<std::string>* ids) {
    validLines[which].push_back(file.lines.front());
    int dirtyInFile = 0;
    for (std::size_t i = 0; i < file.rows.size(); ++i) {
      const Row& row = file.rows[i];
      ASSERT_EQ(row.size(), file.header.size()) << file.lines[i + 1];
      const std::set<std::string> defects = defectsOf(row);
      if (defects.empty()) {
        validLines[which].push_back(file.lines[i + 1]);
        if (ids != nullptr) ids->insert(row[0]);
        continue;
      }
      EXPECT_EQ(defects.size(), 1u) << "one defect per dirty row: " << file.lines[i + 1];
      ++kinds[*defects.begin()];
      ++dirtyInFile;
    }
    dirtyRows += dirtyInFile;
    const double share = dirtyInFile / static_cast<double>(file.rows.size());
    EXPECT_GT(share, kRate / 2);
    EXPECT_LT(share, kRate * 2);
  };
  classify(
      dirty.people, 0, [&](const Row& row) { return personDefects(row, to); }, peopleKinds,
      &people);
  classify(
      dirty.offences, 1, [&](const Row& row) { return offenceDefects(row, to, people); },
      offenceKinds, &offences);
  classify(
      dirty.outcomes, 2, [&](const Row& row) { return outcomeDefects(row, to, people, offences); },
      outcomeKinds, nullptr);

  EXPECT_EQ(dirtyRows, dirty.summary.dirty_rows);
  using ::testing::Key;
  using ::testing::UnorderedElementsAre;
  EXPECT_THAT(peopleKinds, UnorderedElementsAre(Key("missing value"), Key("bad date"),
                                                Key("future date"), Key("bad boolean")));
  EXPECT_THAT(offenceKinds,
              UnorderedElementsAre(Key("missing value"), Key("bad date"), Key("future date"),
                                   Key("unknown child"), Key("gravity out of range")));
  EXPECT_THAT(outcomeKinds, UnorderedElementsAre(Key("missing value"), Key("bad date"),
                                                 Key("future date"), Key("unknown code"),
                                                 Key("unknown child"), Key("unknown offence")));

  // Dirt is only added: without it the files are the clean ones, byte for byte.
  EXPECT_EQ(validLines[0], clean.people.lines);
  EXPECT_EQ(validLines[1], clean.offences.lines);
  EXPECT_EQ(validLines[2], clean.outcomes.lines);
  EXPECT_EQ(dirty.summary.people, clean.summary.people);
  EXPECT_EQ(dirty.summary.offences, clean.summary.offences);
  EXPECT_EQ(dirty.summary.outcomes, clean.summary.outcomes);
}

}  // namespace
}  // namespace cohortwatch::generator
