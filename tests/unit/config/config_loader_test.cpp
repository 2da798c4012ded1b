// Tests of the strict configuration loader: every kind of mistake is reported with the file,
// line, column and key path a user needs to fix it, all mistakes at once, and a file that says
// nothing (or the shipped example) gives the defaults.
#include "config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace cohortwatch::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

LoadResult load(std::string_view yaml) { return loadConfigString(yaml, "test.yaml"); }

// The one error of a result that must have exactly one.
ConfigError onlyError(const LoadResult& result) {
  EXPECT_EQ(result.errors.size(), 1u);
  if (result.errors.size() != 1) {
    for (const ConfigError& error : result.errors) ADD_FAILURE() << "error: " << error.toString();
  }
  return result.errors.empty() ? ConfigError{} : result.errors.front();
}

void expectSameOutcomeTypes(const std::vector<OutcomeTypeRule>& actual,
                            const std::vector<OutcomeTypeRule>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE(expected[i].code);
    EXPECT_EQ(actual[i].code, expected[i].code);
    EXPECT_EQ(actual[i].group, expected[i].group);
    EXPECT_EQ(actual[i].proves, expected[i].proves);
    EXPECT_EQ(actual[i].index_event, expected[i].index_event);
  }
}

// Everything but config_file and national, which have no defaults to compare with.
void expectDefaultSettings(const Settings& settings) {
  const Settings defaults;
  EXPECT_EQ(settings.database.path, "/var/lib/cohortwatch/cohortwatch.db");
  EXPECT_EQ(settings.database.busy_timeout_ms, defaults.database.busy_timeout_ms);
  EXPECT_EQ(settings.logging.level, LogLevel::kInfo);
  EXPECT_EQ(settings.methodology.follow_up_months, 12);
  EXPECT_EQ(settings.methodology.waiting_months, 6);
  EXPECT_EQ(settings.methodology.min_age, 10);
  EXPECT_EQ(settings.methodology.max_age, 17);
  EXPECT_FALSE(settings.methodology.count_breaches);
  EXPECT_EQ(settings.methodology.unresolved_offence_months, 6);
  expectSameOutcomeTypes(settings.methodology.outcome_types, defaultOutcomeTypes());
  EXPECT_EQ(settings.privacy.identify_by, IdentifyBy::kInitials);
}

// ---- valid configurations

TEST(ConfigLoader, EmptyFileGivesDefaults) {
  const LoadResult result = load("");
  ASSERT_TRUE(result.ok());
  expectDefaultSettings(result.settings);
  EXPECT_TRUE(result.settings.national.empty());
  EXPECT_EQ(result.settings.config_file, "test.yaml");
}

TEST(ConfigLoader, OnlyCommentsGivesDefaults) {
  const LoadResult result = load("# nothing configured yet\n\n   # still nothing\n");
  ASSERT_TRUE(result.ok());
  expectDefaultSettings(result.settings);
}

TEST(ConfigLoader, EmptySectionsGiveDefaults) {
  const LoadResult result = load("database:\nlogging:\nmethodology: {}\nnational: []\nprivacy:\n");
  ASSERT_TRUE(result.ok()) << result.errors.front().toString();
  expectDefaultSettings(result.settings);
  EXPECT_TRUE(result.settings.national.empty());
}

TEST(ConfigLoader, ReadsEveryKey) {
  const LoadResult result = load(R"(database:
  path: /srv/cw/state.db
  busy_timeout_ms: 250
logging:
  level: debug
methodology:
  follow_up_months: 24
  waiting_months: 3
  min_age: 12
  max_age: 18
  count_breaches: true
  unresolved_offence_months: 9
national:
  - period: 2023Q2
    binary_rate: 31.6
    source: MoJ
  - period: 2018Q4
    binary_rate: 37
    reoffences_per_reoffender: 3.92
    source: "MoJ, table C1a"
privacy:
  identify_by: full_name
)");
  ASSERT_TRUE(result.ok()) << result.errors.front().toString();
  const Settings& s = result.settings;
  EXPECT_EQ(s.database.path, "/srv/cw/state.db");
  EXPECT_EQ(s.database.busy_timeout_ms, 250);
  EXPECT_EQ(s.logging.level, LogLevel::kDebug);
  EXPECT_EQ(s.methodology.follow_up_months, 24);
  EXPECT_EQ(s.methodology.waiting_months, 3);
  EXPECT_EQ(s.methodology.min_age, 12);
  EXPECT_EQ(s.methodology.max_age, 18);
  EXPECT_TRUE(s.methodology.count_breaches);
  EXPECT_EQ(s.methodology.unresolved_offence_months, 9);
  expectSameOutcomeTypes(s.methodology.outcome_types, defaultOutcomeTypes());
  ASSERT_EQ(s.national.size(), 2u);
  EXPECT_EQ(s.national[0].period, "2023Q2");
  EXPECT_DOUBLE_EQ(s.national[0].binary_rate, 31.6);
  EXPECT_FALSE(s.national[0].reoffences_per_reoffender.has_value());
  EXPECT_EQ(s.national[0].source, "MoJ");
  EXPECT_EQ(s.national[1].period, "2018Q4");
  EXPECT_DOUBLE_EQ(s.national[1].binary_rate, 37.0);
  EXPECT_EQ(s.national[1].reoffences_per_reoffender, 3.92);
  EXPECT_EQ(s.national[1].source, "MoJ, table C1a");
  EXPECT_EQ(s.privacy.identify_by, IdentifyBy::kFullName);
}

TEST(ConfigLoader, OutcomeTypesReplaceTheDefaultTable) {
  const LoadResult result = load(R"(methodology:
  outcome_types:
    - code: caution
      group: pre_court
      proves: true
      index_event: true
    - {code: nfa, group: non_substantive, proves: false, index_event: false}
)");
  ASSERT_TRUE(result.ok()) << result.errors.front().toString();
  const MethodologySettings& m = result.settings.methodology;
  expectSameOutcomeTypes(m.outcome_types, {{"caution", OutcomeGroup::kPreCourt, true, true},
                                           {"nfa", OutcomeGroup::kNonSubstantive, false, false}});
  EXPECT_EQ(m.findOutcomeType("youth_caution"), nullptr);
  EXPECT_EQ(m.findOutcomeType("fine"), nullptr);
}

TEST(ConfigLoader, FinancialYearPeriodAcrossACentury) {
  const LoadResult result = load(
      "national:\n  - {period: 2099/00, binary_rate: 0, source: s}\n"
      "  - {period: 2022/23, binary_rate: 100, source: s}\n");
  ASSERT_TRUE(result.ok()) << result.errors.front().toString();
  EXPECT_EQ(result.settings.national[0].period, "2099/00");
}

TEST(ConfigLoader, ExampleFileIsValidAndGivesTheDefaults) {
  const std::string path = std::string(COHORTWATCH_SOURCE_DIR) + "/config/cohortwatch.example.yaml";
  const LoadResult result = loadConfigFile(path);
  for (const ConfigError& error : result.errors) ADD_FAILURE() << error.toString();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.settings.config_file, path);
  expectDefaultSettings(result.settings);

  const std::vector<NationalAverage>& national = result.settings.national;
  ASSERT_EQ(national.size(), 3u);
  EXPECT_EQ(national[0].period, "2023Q2");
  EXPECT_DOUBLE_EQ(national[0].binary_rate, 31.6);
  EXPECT_FALSE(national[0].reoffences_per_reoffender.has_value());
  EXPECT_EQ(national[1].period, "2022/23");
  EXPECT_DOUBLE_EQ(national[1].binary_rate, 32.5);
  EXPECT_EQ(national[2].period, "2018Q4");
  EXPECT_DOUBLE_EQ(national[2].binary_rate, 37.3);
  EXPECT_EQ(national[2].reoffences_per_reoffender, 3.92);
  for (const NationalAverage& figure : national) {
    EXPECT_EQ(figure.source, "MoJ Proven reoffending statistics (example figure)");
  }
}

// ---- each kind of mistake, with where it is

TEST(ConfigLoader, UnknownKeySuggestsTheClosestKnownKey) {
  const ConfigError error = onlyError(load("methodology:\n  folow_up_months: 12\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
  EXPECT_EQ(error.key_path, "methodology.folow_up_months");
  EXPECT_EQ(error.message, "unknown key 'folow_up_months' (did you mean 'follow_up_months'?)");
  EXPECT_EQ(error.toString(),
            "test.yaml:2:3: methodology.folow_up_months: unknown key 'folow_up_months' (did you "
            "mean 'follow_up_months'?)");
}

TEST(ConfigLoader, UnknownKeyWithNothingCloseListsTheKnownKeys) {
  const ConfigError error = onlyError(load("database:\n  path: /x.db\ncolour: blue\n"));
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 1);
  EXPECT_EQ(error.key_path, "colour");
  EXPECT_THAT(error.message, HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(error.message, HasSubstr("database, logging, methodology, national, privacy"));
  EXPECT_THAT(error.message, Not(HasSubstr("did you mean")));
}

TEST(ConfigLoader, RepeatedKeyIsAnError) {
  const ConfigError error = onlyError(load("logging:\n  level: info\n  level: debug\n"));
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 3);
  EXPECT_EQ(error.key_path, "logging.level");
  EXPECT_EQ(error.message, "duplicate key 'level' (first given on line 2)");
}

TEST(ConfigLoader, StringWhereAnIntegerIsExpected) {
  const ConfigError error = onlyError(load("methodology:\n  follow_up_months: twelve\n"));
  EXPECT_EQ(error.toString(),
            "test.yaml:2:21: methodology.follow_up_months: expected an integer from 1 to 60, got "
            "\"twelve\"");
}

TEST(ConfigLoader, FractionWhereAnIntegerIsExpected) {
  const ConfigError error = onlyError(load("methodology:\n  waiting_months: 6.5\n"));
  EXPECT_EQ(error.key_path, "methodology.waiting_months");
  EXPECT_EQ(error.message, "expected an integer from 0 to 24, got \"6.5\"");
}

TEST(ConfigLoader, QuotedNumberIsAString) {
  const ConfigError error = onlyError(load("database:\n  busy_timeout_ms: \"5000\"\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 20);
  EXPECT_EQ(error.key_path, "database.busy_timeout_ms");
  EXPECT_THAT(error.message, HasSubstr("expected an integer from 0 to 600000"));
  EXPECT_THAT(error.message, HasSubstr("quoted"));
}

TEST(ConfigLoader, EmptyValuePointsAtItsKey) {
  const ConfigError error = onlyError(load("methodology:\n  min_age:\n  max_age: 17\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
  EXPECT_EQ(error.key_path, "methodology.min_age");
  EXPECT_EQ(error.message, "expected an integer from 0 to 25, got an empty value");
}

TEST(ConfigLoader, MapWhereAListIsExpected) {
  const ConfigError error = onlyError(load("national: {period: 2023Q2, binary_rate: 31.6}\n"));
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.column, 11);
  EXPECT_EQ(error.key_path, "national");
  EXPECT_EQ(error.message, "expected a list, got a map");
}

TEST(ConfigLoader, ListWhereAMapIsExpected) {
  const ConfigError error = onlyError(load("database:\n  - path: /x.db\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
  EXPECT_EQ(error.key_path, "database");
  EXPECT_EQ(error.message, "expected a map, got a list");
}

TEST(ConfigLoader, BooleanMustBeTrueOrFalse) {
  const ConfigError error = onlyError(load("methodology:\n  count_breaches: sometimes\n"));
  EXPECT_EQ(error.toString(),
            "test.yaml:2:19: methodology.count_breaches: expected true or false, got "
            "\"sometimes\"");
}

TEST(ConfigLoader, IntegerOutOfRange) {
  const ConfigError error = onlyError(load("database:\n  busy_timeout_ms: 700000\n"));
  EXPECT_EQ(error.toString(),
            "test.yaml:2:20: database.busy_timeout_ms: expected an integer from 0 to 600000, got "
            "\"700000\"");
}

TEST(ConfigLoader, NumberOutOfRange) {
  const LoadResult result = load(R"(national:
  - period: 2023Q2
    binary_rate: 131.6
    reoffences_per_reoffender: -1
    source: MoJ
)");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].toString(),
            "test.yaml:3:18: national[0].binary_rate: expected a number from 0 to 100, got "
            "\"131.6\"");
  EXPECT_EQ(result.errors[1].toString(),
            "test.yaml:4:32: national[0].reoffences_per_reoffender: expected a number >= 0, got "
            "\"-1\"");
}

TEST(ConfigLoader, PercentSignIsNotANumber) {
  const ConfigError error =
      onlyError(load("national:\n  - {period: 2023Q2, binary_rate: 31.6%, source: MoJ}\n"));
  EXPECT_EQ(error.key_path, "national[0].binary_rate");
  EXPECT_EQ(error.message, "expected a number from 0 to 100, got \"31.6%\"");
}

TEST(ConfigLoader, BadEnumValueListsTheChoicesAndSuggestsOne) {
  const ConfigError error = onlyError(load(R"(methodology:
  outcome_types:
    - {code: a, group: pre_court, proves: true, index_event: true}
    - {code: b, group: first_tier, proves: true, index_event: true}
    - {code: c, group: custody, proves: true, index_event: false}
    - code: d
      group: precourt
      proves: true
      index_event: true
)"));
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.column, 14);
  EXPECT_EQ(error.key_path, "methodology.outcome_types[3].group");
  EXPECT_EQ(error.message,
            "expected one of pre_court, first_tier, community, custody, custody_release, "
            "non_substantive, got \"precourt\" (did you mean 'pre_court'?)");
}

TEST(ConfigLoader, BadLogLevelAndIdentify) {
  const LoadResult result = load("logging:\n  level: verbose\nprivacy:\n  identify_by: name\n");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].toString(),
            "test.yaml:2:10: logging.level: expected one of trace, debug, info, warn, error, "
            "critical, off, got \"verbose\"");
  EXPECT_EQ(result.errors[1].toString(),
            "test.yaml:4:16: privacy.identify_by: expected one of id, initials, full_name, got "
            "\"name\"");
}

TEST(ConfigLoader, MaxAgeBelowMinAgeIsReportedOnMaxAge) {
  const ConfigError error = onlyError(load("methodology:\n  min_age: 15\n  max_age: 12\n"));
  EXPECT_EQ(error.toString(),
            "test.yaml:3:12: methodology.max_age: must be at least min_age (15), got 12");
}

TEST(ConfigLoader, MinAgeAboveDefaultMaxAgeIsReportedOnMinAge) {
  const ConfigError error = onlyError(load("methodology:\n  min_age: 18\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 12);
  EXPECT_EQ(error.key_path, "methodology.min_age");
  EXPECT_EQ(error.message, "must be at most max_age (17, the default), got 18");
}

TEST(ConfigLoader, EqualAgesAreValid) {
  const LoadResult result = load("methodology:\n  min_age: 14\n  max_age: 14\n");
  EXPECT_TRUE(result.ok());
}

TEST(ConfigLoader, BadPeriodFormats) {
  const LoadResult result = load(R"(national:
  - {period: 2023Q5, binary_rate: 30, source: s}
  - {period: 2022/24, binary_rate: 30, source: s}
  - {period: 23Q1, binary_rate: 30, source: s}
  - {period: 2022-23, binary_rate: 30, source: s}
)");
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_EQ(result.errors[0].toString(),
            "test.yaml:2:14: national[0].period: expected a quarter like 2023Q2 or a financial "
            "year like 2022/23, got \"2023Q5\"");
  EXPECT_EQ(result.errors[1].toString(),
            "test.yaml:3:14: national[1].period: expected a financial year YYYY/YY ending the "
            "year after it starts (2022/23), got \"2022/24\"");
  EXPECT_EQ(result.errors[2].key_path, "national[2].period");
  EXPECT_EQ(result.errors[2].line, 4);
  EXPECT_EQ(result.errors[3].key_path, "national[3].period");
  EXPECT_EQ(result.errors[3].line, 5);
}

TEST(ConfigLoader, DuplicateOutcomeCode) {
  const ConfigError error = onlyError(load(R"(methodology:
  outcome_types:
    - {code: fine, group: first_tier, proves: true, index_event: true}
    - {code: triage, group: non_substantive, proves: false, index_event: false}
    - {code: fine, group: first_tier, proves: true, index_event: true}
)"));
  EXPECT_EQ(error.toString(),
            "test.yaml:5:14: methodology.outcome_types[2].code: duplicate code \"fine\" (first "
            "given on line 3)");
}

TEST(ConfigLoader, OutcomeCodeMustBeLowerCaseIdentifier) {
  const ConfigError error = onlyError(load(R"(methodology:
  outcome_types:
    - {code: Youth Caution, group: pre_court, proves: true, index_event: true}
)"));
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 14);
  EXPECT_EQ(error.key_path, "methodology.outcome_types[0].code");
  EXPECT_THAT(error.message, HasSubstr("lower-case letters, digits and _"));
}

TEST(ConfigLoader, EmptyOutcomeTypesIsAnError) {
  const ConfigError error = onlyError(load("methodology:\n  outcome_types: []\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 18);
  EXPECT_EQ(error.key_path, "methodology.outcome_types");
  EXPECT_THAT(error.message, HasSubstr("at least one outcome type"));
}

TEST(ConfigLoader, DuplicatePeriod) {
  const ConfigError error = onlyError(load(R"(national:
  - period: 2023Q2
    binary_rate: 31.6
    source: MoJ
  - period: 2023Q2
    binary_rate: 30.0
    source: MoJ revised
)"));
  EXPECT_EQ(error.toString(),
            "test.yaml:5:13: national[1].period: duplicate period \"2023Q2\" (first given on "
            "line 2)");
}

TEST(ConfigLoader, MissingRequiredKeyInAListItem) {
  const LoadResult result = load(R"(national:
  - period: 2023Q2
    binary_rate: 31.6
    source: MoJ
  - period: 2022/23
    binary_rate: 32.5
methodology:
  outcome_types:
    - code: fine
      group: first_tier
      proves: true
)");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].toString(),
            "test.yaml:5:5: national[1]: missing required key 'source'");
  EXPECT_EQ(result.errors[1].toString(),
            "test.yaml:9:7: methodology.outcome_types[0]: missing required key 'index_event'");
}

TEST(ConfigLoader, YamlSyntaxErrorHasItsPosition) {
  const ConfigError error = onlyError(load("database:\n  path: a: b\n"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 10);
  EXPECT_EQ(error.key_path, "");
  EXPECT_THAT(error.message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(error.toString(), ::testing::StartsWith("test.yaml:2:10: YAML syntax error: "));
}

TEST(ConfigLoader, TopLevelMustBeAMap) {
  const ConfigError list = onlyError(load("- database\n- logging\n"));
  EXPECT_EQ(list.line, 1);
  EXPECT_EQ(list.column, 1);
  EXPECT_EQ(list.key_path, "");
  EXPECT_THAT(list.message, HasSubstr("expected a map of sections"));
  EXPECT_THAT(list.toString(), ::testing::StartsWith("test.yaml:1:1: expected a map"));
  EXPECT_THAT(list.message, HasSubstr("got a list"));

  const ConfigError scalar = onlyError(load("just some words\n"));
  EXPECT_EQ(scalar.line, 1);
  EXPECT_THAT(scalar.message, HasSubstr("got \"just some words\""));
}

TEST(ConfigLoader, OnlyOneDocument) {
  const ConfigError error = onlyError(load("logging: {level: info}\n---\nlogging: {level: off}\n"));
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.message, "expected one YAML document, found 2");
}

TEST(ConfigLoader, ReportsEveryMistakeInFileOrder) {
  const LoadResult result = load(R"(database:
  busy_timeout_ms: soon
logging:
  level: info
methodology:
  follow_up_months: 12
  waitng_months: 6
national:
  - period: 2023Q2
    binary_rate: 31.6
    source: ""
)");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].line, 2);
  EXPECT_EQ(result.errors[0].key_path, "database.busy_timeout_ms");
  EXPECT_EQ(result.errors[1].line, 7);
  EXPECT_EQ(result.errors[1].key_path, "methodology.waitng_months");
  EXPECT_THAT(result.errors[1].message, HasSubstr("did you mean 'waiting_months'?"));
  EXPECT_EQ(result.errors[2].line, 11);
  EXPECT_EQ(result.errors[2].key_path, "national[0].source");
  EXPECT_EQ(result.errors[2].message, "expected a non-empty string, got \"\"");
}

TEST(ConfigLoader, ErrorsInOneListItemDoNotStopTheNext) {
  const LoadResult result = load(R"(national:
  - {period: 2023Q9, binary_rate: 31.6, source: MoJ}
  - {period: 2022/23, binary_rate: high, source: MoJ}
  - {period: 2021/22, binary_rate: 33, source: MoJ, note: x}
)");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].key_path, "national[0].period");
  EXPECT_EQ(result.errors[1].key_path, "national[1].binary_rate");
  EXPECT_EQ(result.errors[2].key_path, "national[2].note");
}

TEST(ConfigLoader, EmptyListItemIsReportedOnce) {
  const ConfigError error = onlyError(load(R"(national:
  - {period: 2023Q2, binary_rate: 31.6, source: MoJ}
  -
privacy:
  identify_by: id
)"));
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
  EXPECT_EQ(error.key_path, "national[1]");
  EXPECT_EQ(error.message, "empty list item");
}

// ---- reading the file

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "cw-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFile, ReadsTheFileAndRecordsItsPath) {
  const std::string path = write("cw.yaml", "privacy:\n  identify_by: full_name\n");
  const LoadResult result = loadConfigFile(path);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.settings.config_file, path);
  EXPECT_EQ(result.settings.privacy.identify_by, IdentifyBy::kFullName);
}

TEST_F(ConfigFile, ErrorsNameTheFile) {
  const std::string path = write("cw.yaml", "privacy:\n  identify_by: everything\n");
  const ConfigError error = onlyError(loadConfigFile(path));
  EXPECT_EQ(error.file, path);
  EXPECT_THAT(error.toString(), ::testing::StartsWith(path + ":2:16: privacy.identify_by: "));
}

TEST_F(ConfigFile, MissingFileIsOneErrorNamingIt) {
  const std::string path = (dir_ / "absent.yaml").string();
  const LoadResult result = loadConfigFile(path);
  const ConfigError error = onlyError(result);
  EXPECT_EQ(error.file, path);
  EXPECT_EQ(error.line, 0);
  EXPECT_EQ(error.toString(), path + ": cannot read configuration file: No such file or directory");
  EXPECT_EQ(result.settings.config_file, path);
}

TEST_F(ConfigFile, DirectoryIsUnreadable) {
  const ConfigError error = onlyError(loadConfigFile(dir_.string()));
  EXPECT_EQ(error.toString(), dir_.string() + ": cannot read configuration file: Is a directory");
}

TEST(ConfigErrorText, OmitsWhatIsUnknown) {
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "a.b", "bad"}).toString(), "f.yaml:3:7: a.b: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "", "bad"}).toString(), "f.yaml:3:7: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "bad"}).toString(), "f.yaml: bad");
}

TEST(ParseLogLevel, AcceptsEachLevelName) {
  EXPECT_EQ(parseLogLevel("trace"), LogLevel::kTrace);
  EXPECT_EQ(parseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(parseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(parseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(parseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(parseLogLevel("critical"), LogLevel::kCritical);
  EXPECT_EQ(parseLogLevel("off"), LogLevel::kOff);
  EXPECT_EQ(parseLogLevel("warning"), std::nullopt);
  EXPECT_EQ(parseLogLevel("INFO"), std::nullopt);
  EXPECT_EQ(parseLogLevel(""), std::nullopt);
}

}  // namespace
}  // namespace cohortwatch::config
