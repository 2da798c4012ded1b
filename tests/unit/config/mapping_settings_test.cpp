// Mapping profiles in the configuration: read inline or from their own files, every mistake
// reported with file, line, column and key path (in the profile's own file when it has one), and
// the small date-format language and file-name globs they use.
#include "config/mapping_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"

namespace cohortwatch::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

LoadResult load(std::string_view yaml) {
  return loadConfigString(yaml, "test.yaml");
}

ConfigError onlyError(const LoadResult& result) {
  EXPECT_EQ(result.errors.size(), 1u);
  if (result.errors.size() != 1) {
    for (const ConfigError& error : result.errors) ADD_FAILURE() << "error: " << error.toString();
  }
  return result.errors.empty() ? ConfigError{} : result.errors.front();
}

// A profile named p of one people file, with `extra` lines added to its file entry.
std::string peopleProfile(const std::string& extra = "") {
  return "mappings:\n"
         "  p:\n"
         "    files:\n"
         "      - layout: people\n"
         "        columns: {person_id: Ref, date_of_birth: DOB}\n" +
         extra;
}

// ---- what a valid profile gives

TEST(MappingSettings, ReadsAnInlineProfileWithEveryKey) {
  const LoadResult result = load(R"(mappings:
  north:
    encoding: windows-1252
    date_format: dd/mm/yyyy
    datetime_format: dd/mm/yyyy HH:MM
    files:
      - match: ["*clients*.csv", "people_*.csv"]
        layout: people
        columns:
          person_id: "  Client Ref "
          date_of_birth: DOB
          gender: Sex
          looked_after: LAC
        values:
          gender: {M: male, f: female, " U ": unknown}
          looked_after: {Y: true, N: false}
        strict_values: [gender]
        constants: {team: North}
      - match: "*cases*.csv"
        layout: wide
        date_format: d-mon-yyyy
        columns:
          offence_id: Offence
          person_id: Client Ref
          offence_date: Committed
          outcome_id: {from: offence_id, prefix: "X-", suffix: "-D"}
          outcome_type: Disposal
          outcome_date: Disposed
)");
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
  ASSERT_EQ(result.settings.mappings.size(), 1u);
  const MappingProfile& profile = result.settings.mappings.at("north");
  EXPECT_EQ(profile.name, "north");
  EXPECT_EQ(profile.defined_in, "test.yaml");
  EXPECT_EQ(profile.encoding, TextEncoding::kWindows1252);
  ASSERT_EQ(profile.files.size(), 2u);

  const FileMapping& people = profile.files[0];
  EXPECT_THAT(people.match, ElementsAre("*clients*.csv", "people_*.csv"));
  EXPECT_EQ(people.layout, ExportLayout::kPeople);
  EXPECT_EQ(people.line, 7);
  EXPECT_EQ(people.date_format.text(), "dd/mm/yyyy");
  ASSERT_TRUE(people.datetime_format.has_value());
  EXPECT_EQ(people.datetime_format->text(), "dd/mm/yyyy HH:MM");
  ASSERT_NE(people.source("person_id"), nullptr);
  EXPECT_EQ(people.source("person_id")->kind, FieldSource::Kind::kColumn);
  EXPECT_EQ(people.source("person_id")->column, "Client Ref");
  EXPECT_EQ(people.source("team")->kind, FieldSource::Kind::kConstant);
  EXPECT_EQ(people.source("team")->value, "North");
  EXPECT_EQ(people.source("ethnicity"), nullptr);
  const ValueMap& gender = people.values.at("gender");
  EXPECT_TRUE(gender.strict);
  EXPECT_EQ(gender.codes.at("m"), "male");
  EXPECT_EQ(gender.codes.at("f"), "female");
  EXPECT_EQ(gender.codes.at("u"), "unknown");  // codes are kept trimmed and lower-cased
  EXPECT_FALSE(people.values.at("looked_after").strict);
  EXPECT_EQ(people.values.at("looked_after").codes.at("y"), "true");
  EXPECT_THAT(people.kinds(), ElementsAre(CanonicalKind::kPeople));

  const FileMapping& wide = profile.files[1];
  EXPECT_THAT(wide.match, ElementsAre("*cases*.csv"));
  EXPECT_EQ(wide.date_format.text(), "d-mon-yyyy");  // the file's own format wins
  const FieldSource* outcome_id = wide.source("outcome_id");
  ASSERT_NE(outcome_id, nullptr);
  EXPECT_EQ(outcome_id->kind, FieldSource::Kind::kCopy);
  EXPECT_EQ(outcome_id->from, "offence_id");
  EXPECT_EQ(outcome_id->prefix, "X-");
  EXPECT_EQ(outcome_id->suffix, "-D");
  EXPECT_THAT(wide.kinds(), ElementsAre(CanonicalKind::kOffences, CanonicalKind::kOutcomes));
}

TEST(MappingSettings, DefaultsAreUtf8AndIsoDates) {
  const LoadResult result = load(peopleProfile());
  ASSERT_TRUE(result.ok()) << result.errors.front().toString();
  const MappingProfile& profile = result.settings.mappings.at("p");
  EXPECT_EQ(profile.encoding, TextEncoding::kUtf8);
  EXPECT_EQ(profile.files[0].date_format.text(), "yyyy-mm-dd");
  EXPECT_FALSE(profile.files[0].datetime_format.has_value());
  EXPECT_TRUE(profile.files[0].match.empty());
}

TEST(MappingSettings, AWideFileMappingPersonColumnsAlsoGivesPeople) {
  const LoadResult result = load(R"(mappings:
  flat:
    files:
      - layout: wide
        columns: {person_id: Ref, date_of_birth: DOB, offence_id: O, offence_date: OD,
                  outcome_id: D, outcome_type: T, outcome_date: TD}
)");
  ASSERT_TRUE(result.ok()) << result.errors.front().toString();
  EXPECT_THAT(
      result.settings.mappings.at("flat").files[0].kinds(),
      ElementsAre(CanonicalKind::kPeople, CanonicalKind::kOffences, CanonicalKind::kOutcomes));
}

TEST(MappingSettings, SourcesMayNameAProfileOrCanonical) {
  const LoadResult result = load(peopleProfile() + R"(sources:
  - {name: a, kind: directory, directory: {path: /srv/a}, mapping: p}
  - {name: b, kind: directory, directory: {path: /srv/b}, mapping: canonical}
  - {name: c, kind: directory, directory: {path: /srv/c}}
)");
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
  EXPECT_EQ(result.settings.sources[0].mapping, "p");
}

class ProfileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-mappings-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "mappings");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  fs::path dir_;
};

TEST_F(ProfileFiles, RelativePathsResolveAgainstTheConfigurationFolder) {
  write("mappings/north.yaml",
        "encoding: windows-1252\nfiles:\n  - layout: people\n"
        "    columns: {person_id: Ref, date_of_birth: DOB}\n");
  const std::string config =
      write("cohortwatch.yaml", "mappings:\n  north: {file: mappings/north.yaml}\n");
  const LoadResult result = loadConfigFile(config);
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
  const MappingProfile& profile = result.settings.mappings.at("north");
  EXPECT_EQ(profile.encoding, TextEncoding::kWindows1252);
  EXPECT_EQ(profile.defined_in, (dir_ / "mappings/north.yaml").string());
  EXPECT_EQ(profile.files.size(), 1u);
}

TEST_F(ProfileFiles, AnErrorInAProfileFileNamesThatFileAndLine) {
  const std::string profile = write("mappings/north.yaml",
                                    "files:\n"
                                    "  - layout: people\n"
                                    "    columns:\n"
                                    "      person_id: Ref\n"
                                    "      date_of_birth: DOB\n"
                                    "      gendr: Sex\n");
  const std::string config = write("cohortwatch.yaml",
                                   "logging: {level: loud}\n"
                                   "mappings:\n  north:\n    file: mappings/north.yaml\n");
  const LoadResult result = loadConfigFile(config);
  ASSERT_EQ(result.errors.size(), 2u);
  // The configuration file's own errors come first, then the profile file's.
  EXPECT_EQ(result.errors[0].file, config);
  EXPECT_EQ(result.errors[1].file, profile);
  EXPECT_EQ(result.errors[1].line, 6);
  EXPECT_EQ(result.errors[1].column, 7);
  EXPECT_EQ(result.errors[1].key_path, "files[0].columns.gendr");
  EXPECT_EQ(result.errors[1].toString(),
            profile +
                ":6:7: files[0].columns.gendr: unknown canonical field 'gendr' (did you mean "
                "'gender'?)");
}

TEST_F(ProfileFiles, SyntaxErrorInAProfileFileNamesThatFile) {
  const std::string profile = write("mappings/broken.yaml", "files: [\n  - layout: people\n");
  const std::string config =
      write("cohortwatch.yaml", "mappings:\n  broken: {file: mappings/broken.yaml}\n");
  const ConfigError error = onlyError(loadConfigFile(config));
  EXPECT_EQ(error.file, profile);
  EXPECT_THAT(error.message, HasSubstr("YAML syntax error"));
}

TEST_F(ProfileFiles, AMissingProfileFileIsReportedWhereItIsNamed) {
  const std::string config =
      write("cohortwatch.yaml", "mappings:\n  north:\n    file: mappings/none.yaml\n");
  const ConfigError error = onlyError(loadConfigFile(config));
  EXPECT_EQ(error.file, config);
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 11);
  EXPECT_EQ(error.key_path, "mappings.north.file");
  EXPECT_THAT(error.message, HasSubstr("cannot read mapping profile"));
  EXPECT_THAT(error.message, HasSubstr("none.yaml: no such file"));
}

TEST_F(ProfileFiles, AFileEntryTakesNoOtherKeys) {
  write("mappings/north.yaml",
        "files:\n  - {layout: people, columns: {person_id: R, date_of_birth: D}}\n");
  const std::string config =
      write("cohortwatch.yaml",
            "mappings:\n  north:\n    file: mappings/north.yaml\n    encoding: utf-8\n");
  const ConfigError error = onlyError(loadConfigFile(config));
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.key_path, "mappings.north.encoding");
  EXPECT_THAT(error.message, HasSubstr("takes no other keys"));
}

TEST(MappingSettings, TheExampleConfigurationLoadsBothShippedProfiles) {
  const std::string path = std::string(COHORTWATCH_SOURCE_DIR) + "/config/cohortwatch.example.yaml";
  const LoadResult result = loadConfigFile(path);
  for (const ConfigError& error : result.errors) ADD_FAILURE() << error.toString();
  ASSERT_EQ(result.settings.mappings.size(), 2u);
  const MappingProfile& childview = result.settings.mappings.at("childview_style_example");
  EXPECT_EQ(childview.encoding, TextEncoding::kWindows1252);
  EXPECT_EQ(childview.files.size(), 3u);
  EXPECT_THAT(childview.defined_in, HasSubstr("config/mappings/childview_style_example.yaml"));
  const MappingProfile& wide = result.settings.mappings.at("wide_style_example");
  ASSERT_EQ(wide.files.size(), 2u);
  EXPECT_EQ(wide.files[1].layout, ExportLayout::kWide);
}

// ---- each kind of mistake, with where it is

TEST(MappingSettings, UnknownCanonicalFieldSuggestsTheClosest) {
  const ConfigError error = onlyError(load(peopleProfile("        constants: {teem: North}\n")));
  EXPECT_EQ(error.line, 6);
  EXPECT_EQ(error.column, 21);
  EXPECT_EQ(error.key_path, "mappings.p.files[0].constants.teem");
  EXPECT_EQ(error.message, "unknown canonical field 'teem' (did you mean 'team'?)");
}

TEST(MappingSettings, FieldOfAnotherLayoutIsNamedAsSuch) {
  const ConfigError error =
      onlyError(load(peopleProfile("        values: {outcome_type: {A: fine}}\n")));
  EXPECT_EQ(error.key_path, "mappings.p.files[0].values.outcome_type");
  EXPECT_THAT(error.message, HasSubstr("'outcome_type' is not a field of the people layout"));
  EXPECT_THAT(error.message, HasSubstr("person_id, first_name"));
}

TEST(MappingSettings, RequiredFieldWithNeitherColumnNorConstantIsAnError) {
  const ConfigError error = onlyError(load(R"(mappings:
  p:
    files:
      - layout: outcomes
        columns:
          outcome_id: Ref
          person_id: Client
)"));
  EXPECT_EQ(error.line, 6);
  EXPECT_EQ(error.key_path, "mappings.p.files[0].columns");
  EXPECT_EQ(error.message,
            "no column or constant for required fields outcome_type, outcome_date of the outcomes "
            "layout");
}

TEST(MappingSettings, AWideFileWithPersonColumnsNeedsTheDateOfBirth) {
  const ConfigError error = onlyError(load(R"(mappings:
  p:
    files:
      - layout: wide
        columns: {person_id: Ref, first_name: Name, offence_id: O, offence_date: OD,
                  outcome_id: D, outcome_type: T, outcome_date: TD}
)"));
  EXPECT_THAT(error.message, HasSubstr("required field date_of_birth of the wide layout"));
  EXPECT_THAT(error.message, HasSubstr("gives person records too"));
}

TEST(MappingSettings, AConstantCanStandForARequiredField) {
  const LoadResult result = load(R"(mappings:
  p:
    files:
      - layout: outcomes
        columns: {outcome_id: Ref, person_id: Client, outcome_date: Date}
        constants: {outcome_type: release_from_custody}
)");
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
}

struct BadFormat {
  const char* format;
  const char* message;
};

class BadDateFormat : public ::testing::TestWithParam<BadFormat> {};

TEST_P(BadDateFormat, IsAnErrorAtTheFormat) {
  const LoadResult result =
      load(std::string("mappings:\n  p:\n    date_format: \"") + GetParam().format + "\"\n" +
           "    files: [{layout: people, columns: {person_id: R, "
           "date_of_birth: D}}]\n");
  const ConfigError error = onlyError(result);
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 18);
  EXPECT_EQ(error.key_path, "mappings.p.date_format");
  EXPECT_THAT(error.message, HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(Formats, BadDateFormat,
                         ::testing::Values(BadFormat{"dd/mm/yyyq", "unknown token 'yyyq'"},
                                           BadFormat{"ddq/mm/yyyy", "unknown token 'q'"},
                                           BadFormat{"dd/mm/yy",
                                                     "two-digit years (yy) are not supported"},
                                           BadFormat{"dd/mm", "lacks the year"},
                                           BadFormat{"dd/mm/yyyy/dd", "repeats the day"},
                                           BadFormat{"dd/mm/yyyy HH:MM", "has time parts"},
                                           BadFormat{"dmyyyy", "need a separator"},
                                           BadFormat{"DD/MM/YYYY", "unknown token 'DD'"}));

TEST(MappingSettings, DateTimeFormatNeedsHoursAndMinutes) {
  const ConfigError error =
      onlyError(load("mappings:\n  p:\n    datetime_format: dd/mm/yyyy\n"
                     "    files: [{layout: people, columns: {person_id: R, date_of_birth: D}}]\n"));
  EXPECT_EQ(error.key_path, "mappings.p.datetime_format");
  EXPECT_THAT(error.message, HasSubstr("lacks the hour"));
}

TEST(MappingSettings, UnknownLayoutSuggestsTheClosest) {
  const ConfigError error = onlyError(load(
      "mappings:\n  p:\n    files:\n      - layout: peeple\n        columns: {person_id: R}\n"));
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.column, 17);
  EXPECT_EQ(error.key_path, "mappings.p.files[0].layout");
  EXPECT_EQ(error.message,
            "expected one of people, offences, outcomes, wide, got \"peeple\" (did you mean "
            "'people'?)");
}

TEST(MappingSettings, UnknownMappingNameOnASourceListsTheKnownOnes) {
  const ConfigError error = onlyError(load(peopleProfile() + R"(sources:
  - name: north
    kind: directory
    directory: {path: /srv/north}
    mapping: q
)"));
  EXPECT_EQ(error.line, 10);
  EXPECT_EQ(error.column, 14);
  EXPECT_EQ(error.key_path, "sources[0].mapping");
  EXPECT_EQ(error.message, "unknown mapping 'q' (known: canonical, p)");
}

TEST(MappingSettings, MisspeltMappingNameOnASourceIsSuggested) {
  const ConfigError error = onlyError(
      load("sources:\n  - {name: a, kind: directory, directory: {path: /x}, mapping: canonicl}\n"));
  EXPECT_EQ(error.key_path, "sources[0].mapping");
  EXPECT_THAT(error.message, HasSubstr("did you mean 'canonical'?"));
}

TEST(MappingSettings, ValueMapTargetsMustBeCanonicalValues) {
  const LoadResult result = load(R"(mappings:
  p:
    files:
      - layout: people
        columns: {person_id: R, date_of_birth: D, gender: S, looked_after: L}
        values:
          gender: {M: mal, F: female}
          looked_after: {Y: yes, N: nope}
      - layout: outcomes
        columns: {outcome_id: I, person_id: R, outcome_type: T, outcome_date: D}
        values: {outcome_type: {YRO: youth_rehab_order}}
)");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].key_path, "mappings.p.files[0].values.gender.M");
  EXPECT_EQ(result.errors[0].message, "\"mal\" is not a gender (male, female, other, unknown)");
  EXPECT_EQ(result.errors[1].key_path, "mappings.p.files[0].values.looked_after.N");
  EXPECT_EQ(result.errors[2].key_path, "mappings.p.files[1].values.outcome_type.YRO");
  EXPECT_THAT(result.errors[2].message, HasSubstr("not an outcome type of methodology"));
}

TEST(MappingSettings, OutcomeCodesFollowTheConfiguredOutcomeTypes) {
  const LoadResult result = load(R"(methodology:
  outcome_types:
    - {code: caution, group: pre_court, proves: true, index_event: true}
mappings:
  p:
    files:
      - layout: outcomes
        columns: {outcome_id: I, person_id: R, outcome_type: T, outcome_date: D}
        values: {outcome_type: {C: caution, YC: youth_caution}}
)");
  const ConfigError error = onlyError(result);
  EXPECT_EQ(error.key_path, "mappings.p.files[0].values.outcome_type.YC");
}

TEST(MappingSettings, CodesAreUniqueIgnoringCase) {
  const ConfigError error =
      onlyError(load(peopleProfile("        values: {date_of_birth: {N/A: \"\", n/a: \"\"}}\n")));
  EXPECT_EQ(error.key_path, "mappings.p.files[0].values.date_of_birth.n/a");
  EXPECT_THAT(error.message, HasSubstr("duplicate key 'n/a'"));
  EXPECT_THAT(error.message, HasSubstr("ignoring case"));
}

TEST(MappingSettings, ColumnAndConstantForTheSameFieldIsAnError) {
  const ConfigError error = onlyError(load(peopleProfile("        constants: {person_id: X}\n")));
  EXPECT_EQ(error.key_path, "mappings.p.files[0].constants.person_id");
  EXPECT_THAT(error.message, HasSubstr("both under columns and under constants"));
}

TEST(MappingSettings, StrictValuesNeedAValueMap) {
  const ConfigError error = onlyError(load(peopleProfile("        strict_values: [gender]\n")));
  EXPECT_EQ(error.key_path, "mappings.p.files[0].strict_values[0]");
  EXPECT_EQ(error.message, "no value map for 'gender' under values");
}

TEST(MappingSettings, ACopyMustComeFromAColumnOfTheFile) {
  const ConfigError error = onlyError(load(R"(mappings:
  p:
    files:
      - layout: wide
        columns: {person_id: R, offence_id: O, offence_date: OD, outcome_type: T,
                  outcome_date: TD, outcome_id: {from: outcome_code}}
)"));
  EXPECT_EQ(error.key_path, "mappings.p.files[0].columns.outcome_id.from");
  EXPECT_EQ(error.message, "unknown canonical field 'outcome_code'");
}

TEST(MappingSettings, ACopyCannotComeFromAConstant) {
  const ConfigError error = onlyError(load(R"(mappings:
  p:
    files:
      - layout: people
        columns: {person_id: R, date_of_birth: D, caseworker: {from: team, suffix: "@yot.example.org"}}
        constants: {team: north}
)"));
  EXPECT_EQ(error.key_path, "mappings.p.files[0].columns.caseworker.from");
  EXPECT_EQ(error.message, "'team' must come from a column of this file to be copied");
}

TEST(MappingSettings, ProfileNamesAreCheckedAndCanonicalIsReserved) {
  const LoadResult result = load(R"(mappings:
  canonical:
    files: [{layout: people, columns: {person_id: R, date_of_birth: D}}]
  "north team":
    files: [{layout: people, columns: {person_id: R, date_of_birth: D}}]
)");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_THAT(result.errors[0].message, HasSubstr("'canonical' is the built-in mapping"));
  EXPECT_THAT(result.errors[1].message, HasSubstr("expected a profile name"));
}

TEST(MappingSettings, AProfileNeedsFilesAndAFileEntryALayout) {
  const LoadResult result = load(
      "mappings:\n  p: {encoding: utf-8}\n  q:\n    files:\n"
      "      - columns: {person_id: R}\n");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].key_path, "mappings.p");
  EXPECT_EQ(result.errors[0].message, "missing required key 'files'");
  EXPECT_EQ(result.errors[1].key_path, "mappings.q.files[0]");
  EXPECT_EQ(result.errors[1].message, "missing required key 'layout'");
}

TEST(MappingSettings, UnknownEncodingAndProfileKeys) {
  const LoadResult result = load(
      "mappings:\n  p:\n    encoding: latin-1\n    date_fromat: dd/mm/yyyy\n"
      "    files: [{layout: people, columns: {person_id: R, date_of_birth: D}}]\n");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].message, "expected one of utf-8, windows-1252, got \"latin-1\"");
  EXPECT_EQ(result.errors[1].message, "unknown key 'date_fromat' (did you mean 'date_format'?)");
}

// ---- the date-format language and globs

struct DateCase {
  const char* format;
  const char* value;
  const char* expected;  // "" when the value must not match
};

class DatePatterns : public ::testing::TestWithParam<DateCase> {};

TEST_P(DatePatterns, MatchExactlyTheirForm) {
  std::string problem;
  const bool with_time = std::string_view(GetParam().format).find('H') != std::string_view::npos;
  auto pattern = DatePattern::compile(GetParam().format, with_time, problem);
  ASSERT_TRUE(pattern) << problem;
  auto parts = pattern->match(GetParam().value);
  if (std::string_view(GetParam().expected).empty()) {
    EXPECT_FALSE(parts) << GetParam().value;
    return;
  }
  ASSERT_TRUE(parts) << GetParam().value;
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d", parts->year, parts->month,
                parts->day, parts->hour, parts->minute, parts->second);
  EXPECT_EQ(std::string(text), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DatePatterns,
    ::testing::Values(DateCase{"yyyy-mm-dd", "2025-03-04", "2025-03-04 00:00:00"},
                      DateCase{"yyyy-mm-dd", "2025-3-4", ""},
                      DateCase{"dd/mm/yyyy", "04/03/2025", "2025-03-04 00:00:00"},
                      DateCase{"dd/mm/yyyy", "4/3/2025", ""},
                      DateCase{"dd/mm/yyyy", "31/02/2025", ""},
                      DateCase{"dd/mm/yyyy", "29/02/2024", "2024-02-29 00:00:00"},
                      DateCase{"dd/mm/yyyy", "04/03/2025 ", ""},
                      DateCase{"d/m/yyyy", "4/3/2025", "2025-03-04 00:00:00"},
                      DateCase{"d/m/yyyy", "14/11/2025", "2025-11-14 00:00:00"},
                      DateCase{"d/m/yyyy", "141/1/2025", ""},
                      DateCase{"dd-mm-yyyy", "04-03-2025", "2025-03-04 00:00:00"},
                      DateCase{"dd.mm.yyyy", "04.03.2025", "2025-03-04 00:00:00"},
                      DateCase{"mm/dd/yyyy", "03/04/2025", "2025-03-04 00:00:00"},
                      DateCase{"mm/dd/yyyy", "13/04/2025", ""},
                      DateCase{"yyyymmdd", "20250304", "2025-03-04 00:00:00"},
                      DateCase{"d-mon-yyyy", "4-MAR-2025", "2025-03-04 00:00:00"},
                      DateCase{"d mon yyyy", "14 sep 2025", "2025-09-14 00:00:00"},
                      DateCase{"d-mon-yyyy", "4-Mrz-2025", ""},
                      DateCase{"dd/mm/yyyy HH:MM", "04/03/2025 09:05", "2025-03-04 09:05:00"},
                      DateCase{"dd/mm/yyyy HH:MM", "04/03/2025 24:00", ""},
                      DateCase{"d/m/yyyy H:MM:SS", "4/3/2025 9:05:59", "2025-03-04 09:05:59"}));

TEST(Globs, StarAndQuestionMarkIgnoringCase) {
  EXPECT_TRUE(globMatches("*clients*.csv", "CV_Clients_20250301.CSV"));
  EXPECT_TRUE(globMatches("*.csv", ".csv"));
  EXPECT_TRUE(globMatches("people_????.csv", "people_2025.csv"));
  EXPECT_FALSE(globMatches("people_????.csv", "people_25.csv"));
  EXPECT_FALSE(globMatches("*clients*.csv", "offences.csv"));
  EXPECT_TRUE(globMatches("a*b*c", "axxbyybc"));
  EXPECT_FALSE(globMatches("a*b*c", "axxbyyb"));
  EXPECT_TRUE(globMatches("exact.csv", "exact.csv"));
  EXPECT_FALSE(globMatches("exact.csv", "exact.csv.bak"));
}

TEST(CanonicalFieldTable, FollowsDomainOrder) {
  std::vector<std::string_view> outcomes;
  for (const auto& field : canonicalFields(CanonicalKind::kOutcomes))
    outcomes.push_back(field.name);
  EXPECT_THAT(outcomes,
              ElementsAre("outcome_id", "person_id", "offence_id", "outcome_type", "outcome_date"));
  EXPECT_EQ(canonicalFields(CanonicalKind::kPeople).size(), 10u);
  EXPECT_TRUE(canonicalFields(CanonicalKind::kPeople)[3].required);     // date_of_birth
  EXPECT_FALSE(canonicalFields(CanonicalKind::kOffences)[6].required);  // breach
}

}  // namespace
}  // namespace cohortwatch::config
