// Mapping exports to canonical records: every feature of a profile (column names, each date
// format, date-times, value maps loose and strict, constants, derived ids, the wide layout, text
// encoding, choosing the file entry) on small synthetic exports, with the errors a user sees: the
// file rejected whole, or one row rejected naming the export's own column and line.
#include "connectors/export_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config/config_loader.h"

namespace cohortwatch::connectors {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A profile named p, given as the YAML under `mappings: p:` (indented by four spaces).
config::MappingProfile profile(const std::string& body) {
  const config::LoadResult result =
      config::loadConfigString("mappings:\n  p:\n" + body, "test.yaml");
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
  if (!result.ok()) return {};
  return result.settings.mappings.at("p");
}

struct Read {
  std::string error;
  std::vector<RecordKind> kinds;
  std::vector<MappedRow> rows;
};

Read readAll(const std::string& text, const std::string& file_name,
             const config::MappingProfile* mapping, std::optional<RecordKind> kind = std::nullopt) {
  std::istringstream in(text);
  ExportReader reader(in, file_name, mapping, kind);
  Read read;
  read.error = reader.error();
  read.kinds = reader.kinds();
  MappedRow row;
  while (reader.next(row)) read.rows.push_back(row);
  return read;
}

// The one record of a row that must have exactly one.
std::vector<std::string> onlyRecord(const MappedRow& row) {
  EXPECT_EQ(row.error, "");
  EXPECT_EQ(row.records.size(), 1u);
  return row.records.empty() ? std::vector<std::string>{} : row.records.front().fields;
}

const char* const kPeopleProfile = R"(    date_format: dd/mm/yyyy
    files:
      - match: "*clients*.csv"
        layout: people
        columns:
          person_id: Client Ref
          date_of_birth: DOB
          first_name: Forename
          gender: Sex
          looked_after: LAC
)";

// ---- canonical files (no profile)

TEST(CanonicalExport, KindFromTheHeaderAndColumnsInDomainOrder) {
  std::istringstream in(
      "team,date_of_birth,person_id,favourite_colour\n"
      "North, 2009-04-01 ,P1,blue\n");
  ExportReader reader(in, "whatever.csv", nullptr);
  EXPECT_EQ(reader.error(), "");
  EXPECT_THAT(reader.kinds(), ElementsAre(RecordKind::kPeople));
  EXPECT_THAT(reader.providedColumns(RecordKind::kPeople),
              ElementsAre("person_id", "date_of_birth", "team"));
  EXPECT_THAT(reader.providedColumns(RecordKind::kOffences), IsEmpty());
  EXPECT_EQ(reader.header(), "team,date_of_birth,person_id,favourite_colour");
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.line, 2u);
  EXPECT_EQ(row.raw, "North, 2009-04-01 ,P1,blue");
  EXPECT_THAT(onlyRecord(row), ElementsAre("P1", "2009-04-01", "North"));
  EXPECT_EQ(row.records[0].kind, RecordKind::kPeople);
  EXPECT_FALSE(reader.next(row));
}

TEST(CanonicalExport, ValuesPassThroughForCanonicalValidationToJudge) {
  const Read read = readAll(
      "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
      "D1,P1,,Release_From_Custody,04/03/2025\n",
      "outcomes.csv", nullptr);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_THAT(onlyRecord(read.rows[0]),
              ElementsAre("D1", "P1", "", "Release_From_Custody", "04/03/2025"));
}

TEST(CanonicalExport, KindCanBeForcedAndMissingRequiredColumnsRejectTheFile) {
  EXPECT_EQ(readAll("person_id,offence_id\nP1,O1\n", "x.csv", nullptr, RecordKind::kOffences).error,
            "missing required column(s) for offences: offence_date");
  EXPECT_THAT(readAll("a,b\n1,2\n", "x.csv", nullptr).error,
              HasSubstr("cannot tell the kind of file from its header"));
}

TEST(CanonicalExport, ColumnNamesAreCanonicalInSourceColumn) {
  std::istringstream in("person_id,date_of_birth\n");
  ExportReader reader(in, "people.csv", nullptr);
  EXPECT_EQ(reader.sourceColumn(RecordKind::kPeople, "date_of_birth"), "date_of_birth");
}

// ---- column names, dates, codes, constants

TEST(ExportMapping, RenamesColumnsTrimsValuesAndIgnoresUnmappedColumns) {
  const auto mapping = profile(kPeopleProfile);
  std::istringstream in(
      "Postcode Area,LAC, client ref ,Forename,DOB,Sex\n"
      "XX1,,  C-001 , Amara ,04/03/2011,\n");
  ExportReader reader(in, "CV_Clients_2025.CSV", &mapping);
  ASSERT_EQ(reader.error(), "");
  EXPECT_THAT(reader.kinds(), ElementsAre(RecordKind::kPeople));
  EXPECT_THAT(reader.providedColumns(RecordKind::kPeople),
              ElementsAre("person_id", "first_name", "date_of_birth", "gender", "looked_after"));
  EXPECT_EQ(reader.sourceColumn(RecordKind::kPeople, "person_id"), "client ref");
  EXPECT_EQ(reader.sourceColumn(RecordKind::kPeople, "team"), "team");
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_THAT(onlyRecord(row), ElementsAre("C-001", "Amara", "2011-03-04", "", ""));
}

struct DateCase {
  const char* format;
  const char* written;
  const char* iso;
};

class EachDateFormat : public ::testing::TestWithParam<DateCase> {};

TEST_P(EachDateFormat, ConvertsToIso) {
  const auto mapping = profile(std::string("    date_format: \"") + GetParam().format + "\"\n" +
                               R"(    files:
      - layout: offences
        columns: {offence_id: Ref, person_id: Client, offence_date: Committed}
)");
  const Read read = readAll(std::string("Ref,Client,Committed\nO1,P1,") + GetParam().written + "\n",
                            "any.csv", &mapping);
  ASSERT_EQ(read.error, "");
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_THAT(onlyRecord(read.rows[0]), ElementsAre("O1", "P1", GetParam().iso));
}

INSTANTIATE_TEST_SUITE_P(Formats, EachDateFormat,
                         ::testing::Values(DateCase{"yyyy-mm-dd", "2025-03-04", "2025-03-04"},
                                           DateCase{"dd/mm/yyyy", "04/03/2025", "2025-03-04"},
                                           DateCase{"d/m/yyyy", "4/3/2025", "2025-03-04"},
                                           DateCase{"d/m/yyyy", "14/12/2025", "2025-12-14"},
                                           DateCase{"dd-mm-yyyy", "04-03-2025", "2025-03-04"},
                                           DateCase{"dd.mm.yyyy", "04.03.2025", "2025-03-04"},
                                           DateCase{"mm/dd/yyyy", "03/04/2025", "2025-03-04"},
                                           DateCase{"d-mon-yyyy", "4-Mar-2025", "2025-03-04"},
                                           DateCase{"yyyymmdd", "20250304", "2025-03-04"}));

TEST(ExportMapping, ADateNotInTheFormatRejectsTheRowNamingTheSourceColumnAndLine) {
  const auto mapping = profile(kPeopleProfile);
  const Read read = readAll(
      "Client Ref,DOB,Forename,Sex,LAC\n"
      "C1,2011-03-04,A,,\n"
      "C2,\"31/02\n/2011\",B,,\n"
      "C3,31/02/2011,C,,\n"
      "C4,4/3/2011,D,,\n"
      "C5,04/03/2011,E,,\n",
      "clients.csv", &mapping);
  ASSERT_EQ(read.error, "");
  ASSERT_EQ(read.rows.size(), 5u);
  EXPECT_EQ(read.rows[0].line, 2u);
  EXPECT_EQ(read.rows[0].error, "DOB: not a date in the form dd/mm/yyyy");
  EXPECT_THAT(read.rows[0].records, IsEmpty());
  EXPECT_EQ(read.rows[1].line, 3u);
  EXPECT_EQ(read.rows[1].error, "DOB: not a date in the form dd/mm/yyyy");
  EXPECT_EQ(read.rows[2].line, 5u);  // after a value spanning two lines
  EXPECT_EQ(read.rows[2].error, "DOB: not a date in the form dd/mm/yyyy");  // no 31 February
  EXPECT_EQ(read.rows[3].error, "DOB: not a date in the form dd/mm/yyyy");  // dd is two digits
  EXPECT_EQ(read.rows[4].line, 7u);
  EXPECT_EQ(read.rows[4].error, "");
}

TEST(ExportMapping, AnEmptyDateStaysEmptyForCanonicalValidation) {
  const auto mapping = profile(kPeopleProfile);
  const Read read =
      readAll("Client Ref,DOB,Forename,Sex,LAC\nC1,  ,A,,\n", "clients.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_THAT(onlyRecord(read.rows[0]), ElementsAre("C1", "A", "", "", ""));
}

TEST(ExportMapping, DateTimeFormatGivesIsoDateTimesAndAcceptsPlainDates) {
  const auto mapping = profile(R"(    date_format: dd/mm/yyyy
    datetime_format: dd/mm/yyyy HH:MM
    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB, updated_at: Last Updated}
)");
  const Read read = readAll(
      "Ref,DOB,Last Updated\n"
      "C1,01/02/2010,04/03/2025 09:15\n"
      "C2,01/02/2010,04/03/2025\n"
      "C3,01/02/2010,2025-03-04T09:15:00Z\n"
      "C4,01/02/2010,\n",
      "people.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 4u);
  EXPECT_THAT(onlyRecord(read.rows[0]), ElementsAre("C1", "2010-02-01", "2025-03-04T09:15:00Z"));
  EXPECT_THAT(onlyRecord(read.rows[1]), ElementsAre("C2", "2010-02-01", "2025-03-04T00:00:00Z"));
  EXPECT_EQ(read.rows[2].error,
            "Last Updated: not a date-time in the form dd/mm/yyyy HH:MM (or a date dd/mm/yyyy)");
  EXPECT_THAT(onlyRecord(read.rows[3]), ElementsAre("C4", "2010-02-01", ""));
}

TEST(ExportMapping, WithoutADateTimeFormatUpdatedAtPassesThrough) {
  const auto mapping = profile(R"(    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB, updated_at: Modified}
)");
  const Read read =
      readAll("Ref,DOB,Modified\nC1,2010-02-01,2025-03-04T10:00+01:00\n", "p.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_THAT(onlyRecord(read.rows[0]), ElementsAre("C1", "2010-02-01", "2025-03-04T10:00+01:00"));
}

TEST(ExportMapping, ValueMapsIgnoreCaseAndSpacesAndUnknownCodesPassThrough) {
  const auto mapping = profile(std::string(kPeopleProfile) + R"(        values:
          gender: {M: male, F: female, "Not known": unknown}
          looked_after: {Y: true, N: false}
)");
  const Read read = readAll(
      "Client Ref,DOB,Forename,Sex,LAC\n"
      "C1,01/02/2010,A,m, y \n"
      "C2,01/02/2010,B, NOT KNOWN ,N\n"
      "C3,01/02/2010,C,X,maybe\n",
      "clients.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 3u);
  EXPECT_THAT(onlyRecord(read.rows[0]), ElementsAre("C1", "A", "2010-02-01", "male", "true"));
  EXPECT_THAT(onlyRecord(read.rows[1]), ElementsAre("C2", "B", "2010-02-01", "unknown", "false"));
  // Not in the maps: unchanged, for canonical validation to reject.
  EXPECT_THAT(onlyRecord(read.rows[2]), ElementsAre("C3", "C", "2010-02-01", "X", "maybe"));
}

TEST(ExportMapping, AStrictMapRejectsAnUnknownCodeNamingTheColumnButNotAnEmptyValue) {
  const auto mapping = profile(R"(    files:
      - layout: outcomes
        columns: {outcome_id: Ref, person_id: Client, offence_id: Offence, outcome_type: Code,
                  outcome_date: Date}
        values:
          outcome_type: {YRO: youth_rehabilitation_order, RO: referral_order, REL: release_from_custody}
        strict_values: [outcome_type]
)");
  const Read read = readAll(
      "Ref,Client,Offence,Code,Date\n"
      "D1,P1,O1,yro,2025-03-04\n"
      "D2,P1,O1,SUP,2025-03-04\n"
      "D3,P1,O1,,2025-03-04\n",
      "disposals.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 3u);
  EXPECT_THAT(onlyRecord(read.rows[0]),
              ElementsAre("D1", "P1", "O1", "youth_rehabilitation_order", "2025-03-04"));
  EXPECT_EQ(read.rows[1].error,
            "Code: not one of the codes of the outcome_type map (rel, ro, yro)");
  EXPECT_EQ(read.rows[1].line, 3u);
  EXPECT_THAT(onlyRecord(read.rows[2]), ElementsAre("D3", "P1", "O1", "", "2025-03-04"));
}

TEST(ExportMapping, AMappedValueOfADateFieldIsTakenAsItStands) {
  const auto mapping = profile(std::string(kPeopleProfile) + R"(        values:
          date_of_birth: {"Not recorded": ""}
)");
  const Read read =
      readAll("Client Ref,DOB,Forename,Sex,LAC\nC1,not recorded,A,,\n", "clients.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_THAT(onlyRecord(read.rows[0]), ElementsAre("C1", "A", "", "", ""));
}

TEST(ExportMapping, ConstantsFillFieldsTheFileDoesNotHave) {
  const auto mapping = profile(R"(    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB}
        constants: {team: North, looked_after: "false"}
)");
  std::istringstream in("Ref,DOB\nC1,2010-02-01\n");
  ExportReader reader(in, "p.csv", &mapping);
  EXPECT_THAT(reader.providedColumns(RecordKind::kPeople),
              ElementsAre("person_id", "date_of_birth", "looked_after", "team"));
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_THAT(onlyRecord(row), ElementsAre("C1", "2010-02-01", "false", "North"));
}

TEST(ExportMapping, SeveralErrorsInOneRowAreAllNamed) {
  const auto mapping = profile(std::string(kPeopleProfile) + R"(        values: {gender: {M: male}}
        strict_values: [gender]
)");
  const Read read =
      readAll("Client Ref,DOB,Forename,Sex,LAC\nC1,1/2/2010,A,Q,\n", "clients.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_EQ(read.rows[0].error,
            "DOB: not a date in the form dd/mm/yyyy; Sex: not one of the codes of the gender map "
            "(m)");
}

// ---- the wide layout

const char* const kWideProfile = R"(    date_format: dd-mm-yyyy
    files:
      - layout: wide
        columns:
          person_id: Client
          offence_id: Offence No
          offence_date: Committed
          breach: Breach
          outcome_type: Outcome
          outcome_date: Outcome Date
          outcome_id: {from: offence_id, suffix: "-D"}
        values:
          outcome_type: {RO: referral_order, REL: release_from_custody}
          breach: {Y: true, N: false}
)";

TEST(WideLayout, SplitsEachRowIntoAnOffenceAndItsOutcome) {
  const auto mapping = profile(kWideProfile);
  std::istringstream in(
      "Client,Offence No,Committed,Breach,Outcome,Outcome Date\n"
      "P1,O1,01-02-2025,N,RO,04-03-2025\n"  // an offence and its outcome
      "P1,O2,05-03-2025,Y,,\n"              // no outcome yet
      "P1,,,,REL,06-06-2025\n");            // an outcome of its own: a release
  ExportReader reader(in, "cases.csv", &mapping);
  ASSERT_EQ(reader.error(), "");
  EXPECT_THAT(reader.kinds(), ElementsAre(RecordKind::kOffences, RecordKind::kOutcomes));
  EXPECT_THAT(reader.providedColumns(RecordKind::kOffences),
              ElementsAre("offence_id", "person_id", "offence_date", "breach"));
  EXPECT_THAT(reader.providedColumns(RecordKind::kOutcomes),
              ElementsAre("outcome_id", "person_id", "offence_id", "outcome_type", "outcome_date"));

  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.error, "");
  ASSERT_EQ(row.records.size(), 2u);
  EXPECT_EQ(row.records[0].kind, RecordKind::kOffences);
  EXPECT_THAT(row.records[0].fields, ElementsAre("O1", "P1", "2025-02-01", "false"));
  EXPECT_EQ(row.records[1].kind, RecordKind::kOutcomes);
  EXPECT_THAT(row.records[1].fields,
              ElementsAre("O1-D", "P1", "O1", "referral_order", "2025-03-04"));

  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row.line, 3u);
  ASSERT_EQ(row.records.size(), 1u);
  EXPECT_EQ(row.records[0].kind, RecordKind::kOffences);
  EXPECT_THAT(row.records[0].fields, ElementsAre("O2", "P1", "2025-03-05", "true"));

  ASSERT_TRUE(reader.next(row));
  ASSERT_EQ(row.records.size(), 1u);
  EXPECT_EQ(row.records[0].kind, RecordKind::kOutcomes);
  // The derived id of a row without an offence is empty: canonical validation reports it.
  EXPECT_THAT(row.records[0].fields,
              ElementsAre("", "P1", "", "release_from_custody", "2025-06-06"));
  EXPECT_FALSE(reader.next(row));
}

TEST(WideLayout, AnOffenceRowMissingItsIdStillGivesTheOffenceForValidationToReject) {
  const auto mapping = profile(kWideProfile);
  const Read read = readAll(
      "Client,Offence No,Committed,Breach,Outcome,Outcome Date\n"
      "P1,,01-02-2025,N,RO,04-03-2025\n"
      ",,,,,\n",
      "cases.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 2u);
  ASSERT_EQ(read.rows[0].records.size(), 2u);
  EXPECT_THAT(read.rows[0].records[0].fields, ElementsAre("", "P1", "2025-02-01", "false"));
  ASSERT_EQ(read.rows[1].records.size(), 1u);  // an empty row is an (invalid) offence
  EXPECT_EQ(read.rows[1].records[0].kind, RecordKind::kOffences);
}

TEST(WideLayout, PersonColumnsGiveAPersonRecordFirst) {
  const auto mapping = profile(R"(    files:
      - layout: wide
        columns: {person_id: Ref, date_of_birth: DOB, first_name: Name, offence_id: O,
                  offence_date: OD, outcome_id: D, outcome_type: T, outcome_date: TD}
)");
  std::istringstream in(
      "Ref,DOB,Name,O,OD,D,T,TD\nP1,2010-01-01,Jo,O1,2025-01-01,D1,fine,2025-02-01\n");
  ExportReader reader(in, "flat.csv", &mapping);
  EXPECT_THAT(reader.kinds(),
              ElementsAre(RecordKind::kPeople, RecordKind::kOffences, RecordKind::kOutcomes));
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  ASSERT_EQ(row.records.size(), 3u);
  EXPECT_THAT(row.records[0].fields, ElementsAre("P1", "Jo", "2010-01-01"));
  EXPECT_THAT(row.records[1].fields, ElementsAre("O1", "P1", "2025-01-01"));
  EXPECT_THAT(row.records[2].fields, ElementsAre("D1", "P1", "O1", "fine", "2025-02-01"));
}

// ---- text encoding

TEST(ExportEncoding, Windows1252IsConvertedOnRead) {
  const auto mapping = profile(std::string("    encoding: windows-1252\n") + R"(    files:
      - layout: offences
        columns: {offence_id: Ref, person_id: Client, offence_date: Date, description: Détails}
)");
  // Header and rows in windows-1252 bytes: é, £, ü, € (0x80) and curly quotes (0x93, 0x94).
  const std::string bytes =
      "Ref,Client,Date,D\xE9tails\r\n"
      "O1,P-M\xFCller,2025-03-04,\"Criminal damage, value under \xA3"
      "5,000\"\r\n"
      "O2,P-Jos\xE9,2025-03-04,\x93Stole \x80"
      "20\x94\r\n";
  std::istringstream in(bytes);
  ExportReader reader(in, "offences.csv", &mapping);
  ASSERT_EQ(reader.error(), "");
  EXPECT_EQ(reader.header(), "Ref,Client,Date,Détails");
  EXPECT_EQ(reader.sourceColumn(RecordKind::kOffences, "description"), "Détails");
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_THAT(onlyRecord(row),
              ElementsAre("O1", "P-Müller", "2025-03-04", "Criminal damage, value under £5,000"));
  EXPECT_EQ(row.raw, "O1,P-Müller,2025-03-04,\"Criminal damage, value under £5,000\"");
  ASSERT_TRUE(reader.next(row));
  EXPECT_THAT(onlyRecord(row), ElementsAre("O2", "P-José", "2025-03-04", "“Stole €20”"));
  EXPECT_EQ(reader.replacedBytes(), 0u);
  EXPECT_FALSE(reader.next(row));
}

TEST(ExportEncoding, AStoredRowIsReadAgainAsUtf8) {
  const auto mapping = profile(std::string("    encoding: windows-1252\n") + R"(    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB, first_name: Name}
)");
  std::istringstream in("Ref,DOB,Name\nP1,2010-01-01,Zoë\n");  // header and raw row as stored
  ExportReader reader(in, "people.csv", &mapping, std::nullopt, ExportReader::Input::kUtf8);
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_THAT(onlyRecord(row), ElementsAre("P1", "Zoë", "2010-01-01"));
}

TEST(ExportEncoding, UndefinedWindows1252BytesAreCounted) {
  const auto mapping = profile(std::string("    encoding: windows-1252\n") + R"(    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB, first_name: Name}
)");
  std::istringstream in("Ref,DOB,Name\nP1,2010-01-01,A\x81\x9D\n");
  ExportReader reader(in, "people.csv", &mapping);
  MappedRow row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_THAT(onlyRecord(row), ElementsAre("P1", "A\uFFFD\uFFFD", "2010-01-01"));
  EXPECT_EQ(reader.replacedBytes(), 2u);
}

TEST(ExportEncoding, Windows1252BytesInAUtf8ExportRejectTheRowWithAHint) {
  const auto mapping = profile(R"(    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB, first_name: Name}
)");
  const Read read = readAll("Ref,DOB,Name\nP1,2010-01-01,Zo\xEB\n", "people.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 1u);
  EXPECT_THAT(read.rows[0].error, HasSubstr("csv: line 2, field 3: invalid UTF-8"));
  EXPECT_THAT(read.rows[0].error, HasSubstr("say encoding: windows-1252"));
}

// ---- choosing the file entry, and files rejected whole

const char* const kTwoFileProfile = R"(    files:
      - match: ["*clients*.csv", "*young_people*.csv"]
        layout: people
        columns: {person_id: Ref, date_of_birth: DOB}
      - match: "*disposals*.csv"
        layout: outcomes
        columns: {outcome_id: Ref, person_id: Client, outcome_type: Code, outcome_date: Date}
)";

TEST(FileSelection, TheFileNameChoosesTheEntryIgnoringCaseAndFolders) {
  const auto mapping = profile(kTwoFileProfile);
  EXPECT_THAT(readAll("Ref,Client,Code,Date\n", "/srv/in/2025/DISPOSALS_march.csv", &mapping).kinds,
              ElementsAre(RecordKind::kOutcomes));
  EXPECT_THAT(readAll("Ref,DOB\n", "young_people.csv", &mapping).kinds,
              ElementsAre(RecordKind::kPeople));
}

TEST(FileSelection, NoMatchingEntryRejectsTheFileListingThePatterns) {
  const auto mapping = profile(kTwoFileProfile);
  const Read read = readAll("Ref,DOB\nP1,2010-01-01\n", "offences.csv", &mapping);
  EXPECT_EQ(read.error,
            "no file entry of mapping 'p' fits this file: its name matches none of "
            "'*clients*.csv', '*young_people*.csv', '*disposals*.csv'");
  EXPECT_THAT(read.rows, IsEmpty());
  EXPECT_THAT(read.kinds, IsEmpty());
}

TEST(FileSelection, AnEntryWithoutMatchIsChosenByItsHeader) {
  const auto mapping = profile(R"(    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: DOB}
      - layout: offences
        columns: {offence_id: Offence, person_id: Ref, offence_date: Committed}
)");
  EXPECT_THAT(readAll("Offence,Ref,Committed\n", "export1.csv", &mapping).kinds,
              ElementsAre(RecordKind::kOffences));
  EXPECT_THAT(readAll("ref,dob,other\n", "export2.csv", &mapping).kinds,
              ElementsAre(RecordKind::kPeople));
  EXPECT_EQ(readAll("Ref,Other\n", "export3.csv", &mapping).error,
            "no file entry of mapping 'p' fits this file: its header lacks columns every entry "
            "needs");
}

TEST(FileSelection, AMissingSourceColumnRejectsTheFileWhole) {
  const auto mapping = profile(kPeopleProfile);
  const Read read = readAll("Client Ref,Forename,Sex\nC1,A,M\n", "clients.csv", &mapping);
  EXPECT_EQ(read.error,
            "missing columns 'DOB', 'LAC' (mapping 'p', people file entry defined on line 5 of "
            "test.yaml)");
  EXPECT_THAT(read.rows, IsEmpty());
}

TEST(FileSelection, HeaderOnlyAndEmptyFilesAreFine) {
  const auto mapping = profile(kPeopleProfile);
  const Read header_only = readAll("Client Ref,DOB,Forename,Sex,LAC\r\n", "clients.csv", &mapping);
  EXPECT_EQ(header_only.error, "");
  EXPECT_THAT(header_only.kinds, ElementsAre(RecordKind::kPeople));
  EXPECT_THAT(header_only.rows, IsEmpty());

  const Read empty = readAll("", "clients.csv", &mapping);
  EXPECT_EQ(empty.error, "");
  EXPECT_THAT(empty.rows, IsEmpty());
  const Read empty_unknown = readAll("", "other.csv", &mapping);
  EXPECT_EQ(empty_unknown.error, "");
  const Read empty_canonical = readAll("", "people.csv", nullptr);
  EXPECT_EQ(empty_canonical.error, "");
  EXPECT_THAT(empty_canonical.rows, IsEmpty());
}

TEST(FileSelection, ADuplicateOrMalformedHeaderRejectsTheFile) {
  const auto mapping = profile(kPeopleProfile);
  EXPECT_THAT(readAll("Client Ref,DOB,dob\n", "clients.csv", &mapping).error,
              HasSubstr("header row: duplicate column"));
  EXPECT_THAT(readAll("Client Ref,\"DOB\n", "clients.csv", &mapping).error,
              HasSubstr("header row: "));
}

// ---- rows that cannot be mapped at all

TEST(RowErrors, WrongFieldCountAndCsvDefectsNameTheLine) {
  const auto mapping = profile(kPeopleProfile);
  const Read read = readAll(
      "Client Ref,DOB,Forename,Sex,LAC\n"
      "C1,04/03/2011,A,M\n"
      "\n"
      "C2,04/03/2011,\"B\"x,M,N\n"
      "C3,04/03/2011,C,M,N\n",
      "clients.csv", &mapping);
  ASSERT_EQ(read.rows.size(), 3u);
  EXPECT_EQ(read.rows[0].line, 2u);
  EXPECT_EQ(read.rows[0].error, "csv: the row has 4 fields, the header has 5");
  EXPECT_EQ(read.rows[0].raw, "C1,04/03/2011,A,M");
  EXPECT_EQ(read.rows[1].line, 4u);
  EXPECT_THAT(read.rows[1].error, HasSubstr("csv: line 4, field 3:"));
  EXPECT_EQ(read.rows[2].line, 5u);
  EXPECT_EQ(read.rows[2].error, "");
}

// ---- the shipped example profiles and their sample exports

class ShippedSamples : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedSamples, MapWithoutAnyError) {
  const std::string name = GetParam();
  const std::string root = COHORTWATCH_SOURCE_DIR;
  const config::LoadResult result = config::loadConfigString(
      "mappings:\n  " + name + ": {file: " + root + "/config/mappings/" + name + ".yaml}\n",
      "test.yaml");
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
  ASSERT_TRUE(result.ok());
  const config::MappingProfile& mapping = result.settings.mappings.at(name);
  std::map<RecordKind, std::size_t> records;
  std::string all_text;
  for (const auto& entry :
       std::filesystem::directory_iterator(root + "/examples/exports/" + name)) {
    if (entry.path().extension() != ".csv") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    ExportReader reader(in, entry.path().filename().string(), &mapping);
    EXPECT_EQ(reader.error(), "") << entry.path();
    MappedRow row;
    while (reader.next(row)) {
      EXPECT_EQ(row.error, "") << entry.path() << ":" << row.line;
      for (const auto& record : row.records) {
        ++records[record.kind];
        for (const auto& field : record.fields) all_text += field + "\n";
      }
    }
  }
  EXPECT_EQ(records[RecordKind::kPeople], 15u);
  EXPECT_GT(records[RecordKind::kOffences], 15u);
  EXPECT_GT(records[RecordKind::kOutcomes], 15u);
  // Accents and the pound sign arrive as UTF-8 whatever the export's encoding.
  EXPECT_THAT(all_text, HasSubstr("Müller"));
  EXPECT_THAT(all_text, HasSubstr("Fernández"));
  EXPECT_THAT(all_text, HasSubstr("value under £5,000"));
  EXPECT_THAT(all_text, HasSubstr("release_from_custody"));
}

INSTANTIATE_TEST_SUITE_P(Profiles, ShippedSamples,
                         ::testing::Values("childview_style_example", "wide_style_example"));

}  // namespace
}  // namespace cohortwatch::connectors
