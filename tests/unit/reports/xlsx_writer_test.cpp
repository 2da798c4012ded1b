// The XLSX writer behind the tracking sheet and the digest's review list: the workbook is a zip
// whose sheet holds the values given (read back here with libzip, not with the writer's library),
// a frozen, filtered header row, dates as date serials, neutralised formula-like text; and every
// error names the file. The integration test reads the same workbooks with openpyxl.
#include "reports/xlsx_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

namespace cohortwatch::reports {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

tracking::Date day(const char* text) {
  return *tracking::Date::parse(text);
}

class ScratchFolder {
 public:
  ScratchFolder()
      : path_(fs::temp_directory_path() /
              ("cw-xlsx-writer-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchFolder() { fs::remove_all(path_); }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct ZipClose {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

// One part of a zip archive held in memory; nullopt when the archive or the part is missing.
std::optional<std::string> zipPart(const std::string& bytes, const char* name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) return std::nullopt;
  std::unique_ptr<zip_t, ZipClose> archive(zip_open_from_source(source, ZIP_RDONLY, &error));
  zip_error_fini(&error);
  if (!archive) {
    zip_source_free(source);
    return std::nullopt;
  }
  zip_stat_t stat;
  if (zip_stat(archive.get(), name, 0, &stat) != 0) return std::nullopt;
  zip_file_t* file = zip_fopen(archive.get(), name, 0);
  if (file == nullptr) return std::nullopt;
  std::string content(static_cast<std::size_t>(stat.size), '\0');
  const zip_int64_t read = zip_fread(file, content.data(), stat.size);
  zip_fclose(file);
  if (read != static_cast<zip_int64_t>(stat.size)) return std::nullopt;
  return content;
}

Worksheet sampleSheet() {
  Worksheet sheet;
  sheet.name = "Tracking sheet";
  sheet.columns = {{"person_id", SheetColumnKind::kText, 10},
                   {"pending_offences", SheetColumnKind::kInteger, 8},
                   {"priority", SheetColumnKind::kDecimal, 8},
                   {"action_due", SheetColumnKind::kDate, 12},
                   {"action", SheetColumnKind::kText, 30}};
  sheet.rows = {
      {std::string("P1"), 3.0, 2.5, day("2025-03-01"), std::string("=HYPERLINK(\"x\")")},
      {std::string("P2"), 0.0, 0.0, SheetCell{}, std::string("Home visit")},
      {std::string("P3")},  // shorter than the columns: the rest is empty
  };
  return sheet;
}

TEST(XlsxWriterTest, NeutralisesTextThatASpreadsheetWouldRun) {
  EXPECT_EQ(neutraliseFormula("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(neutraliseFormula("+44 20"), "'+44 20");
  EXPECT_EQ(neutraliseFormula("-1"), "'-1");
  EXPECT_EQ(neutraliseFormula("@cmd"), "'@cmd");
  EXPECT_EQ(neutraliseFormula("Home visit = done"), "Home visit = done");
  EXPECT_EQ(neutraliseFormula(""), "");
}

TEST(XlsxWriterTest, WorkbookHoldsTheValuesUnderAFrozenFilteredHeader) {
  const std::string bytes = xlsxBytes(sampleSheet());
  ASSERT_THAT(bytes, StartsWith(std::string("PK\x03\x04", 4)));
  const auto sheet = zipPart(bytes, "xl/worksheets/sheet1.xml");
  const auto strings = zipPart(bytes, "xl/sharedStrings.xml");
  const auto workbook = zipPart(bytes, "xl/workbook.xml");
  const auto styles = zipPart(bytes, "xl/styles.xml");
  ASSERT_TRUE(sheet && strings && workbook && styles);

  EXPECT_THAT(*workbook, HasSubstr("name=\"Tracking sheet\""));
  // Frozen below the header; the filter over the header and every row.
  EXPECT_THAT(*sheet, HasSubstr("topLeftCell=\"A2\""));
  EXPECT_THAT(*sheet, HasSubstr("state=\"frozen\""));
  EXPECT_THAT(*sheet, HasSubstr("<autoFilter ref=\"A1:E4\"/>"));
  // Numbers as numbers; 2025-03-01 as its date serial, styled with the date format.
  EXPECT_THAT(*sheet, HasSubstr("<c r=\"B2\" s=\"2\"><v>3</v></c>"));
  EXPECT_THAT(*sheet, HasSubstr("<c r=\"C2\" s=\"3\"><v>2.5</v></c>"));
  EXPECT_THAT(*sheet, HasSubstr("<c r=\"D2\" s=\"4\"><v>45717</v></c>"));
  EXPECT_THAT(*styles, HasSubstr("formatCode=\"yyyy-mm-dd\""));
  EXPECT_THAT(*sheet, Not(HasSubstr("r=\"D3\"")));  // an empty cell is not written
  EXPECT_THAT(*sheet, Not(HasSubstr("r=\"B4\"")));
  // Text in the shared strings, the formula-like one neutralised; no formula anywhere.
  EXPECT_THAT(*sheet, Not(HasSubstr("<f>")));
  EXPECT_THAT(*strings, AllOf(HasSubstr("<t>person_id</t>"), HasSubstr("<t>Home visit</t>"),
                              HasSubstr("<t>'=HYPERLINK(\"x\")</t>")));
}

TEST(XlsxWriterTest, CsvHasTheSameCellsNeutralised) {
  EXPECT_EQ(worksheetCsv(sampleSheet()),
            "person_id,pending_offences,priority,action_due,action\r\n"
            "P1,3,2.5,2025-03-01,\"'=HYPERLINK(\"\"x\"\")\"\r\n"
            "P2,0,0.0,,Home visit\r\n"
            "P3,,,,\r\n");
}

TEST(XlsxWriterTest, WritesTheFileAndReplacesAnOldOne) {
  const ScratchFolder folder;
  const auto file = folder / "sheet.xlsx";
  { std::ofstream(file) << "old"; }
  writeXlsx(sampleSheet(), file);
  ASSERT_TRUE(fs::exists(file));
  EXPECT_GT(fs::file_size(file), 1000u);
}

TEST(XlsxWriterTest, UnwritablePathIsAnErrorNamingIt) {
  const ScratchFolder folder;
  const auto file = folder / "no-such-folder" / "sheet.xlsx";
  try {
    writeXlsx(sampleSheet(), file);
    FAIL() << "expected XlsxError";
  } catch (const XlsxError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(file.string()), HasSubstr("rror")));
  }
  EXPECT_FALSE(fs::exists(file));
}

TEST(XlsxWriterTest, BadSheetNameIsAnErrorNamingFileAndName) {
  auto sheet = sampleSheet();
  sheet.name = "Review [draft]";
  const ScratchFolder folder;
  const auto file = folder / "sheet.xlsx";
  try {
    writeXlsx(sheet, file);
    FAIL() << "expected XlsxError";
  } catch (const XlsxError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(file.string()), HasSubstr("Review [draft]")));
  }
  EXPECT_FALSE(fs::exists(file));
}

TEST(XlsxWriterTest, TextTooLongForACellIsAnErrorNamingTheCell) {
  auto sheet = sampleSheet();
  sheet.rows[1][4] = std::string(40000, 'x');  // a cell holds at most 32767 characters
  const ScratchFolder folder;
  try {
    writeXlsx(sheet, folder / "sheet.xlsx");
    FAIL() << "expected XlsxError";
  } catch (const XlsxError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("sheet.xlsx"), HasSubstr("row 3 column 5")));
  }
}

TEST(XlsxWriterTest, BytesWithoutATemporaryFolderIsAnError) {
  const char* saved = std::getenv("TMPDIR");
  const std::string previous = saved != nullptr ? saved : "";
  ::setenv("TMPDIR", "/nonexistent/cohortwatch-test", 1);
  EXPECT_THROW(xlsxBytes(sampleSheet()), XlsxError);
  if (saved != nullptr) {
    ::setenv("TMPDIR", previous.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

TEST(XlsxWriterTest, RowWiderThanTheColumnsOrNoColumnsIsRefused) {
  auto wide = sampleSheet();
  wide.rows[0].push_back(std::string("extra"));
  EXPECT_THROW(xlsxBytes(wide), XlsxError);
  Worksheet empty;
  empty.name = "Empty";
  EXPECT_THROW(xlsxBytes(empty), XlsxError);
}

}  // namespace
}  // namespace cohortwatch::reports
