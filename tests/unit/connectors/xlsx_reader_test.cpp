// The XLSX reader: every cell kind a spreadsheet program writes (shared and rich-text strings,
// inline strings, numbers, booleans, errors, formulas' cached values), gaps left by cell
// references, the first sheet found through the relationships, date serials, a workbook written
// by openpyxl, and malformed workbooks reported with the file and part, never a crash.
#include "connectors/xlsx_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "xlsx_test_support.h"

namespace cohortwatch::connectors {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing::TempFolder;
using testing::workbookParts;
using testing::writeZip;

tracking::Date d(const char* text) {
  return *tracking::Date::parse(text);
}

std::optional<XlsxSheet> read(const std::filesystem::path& file, std::string& error,
                              const XlsxLimits& limits = {}) {
  return readFirstXlsxSheet(file, error, limits);
}

TEST(XlsxReaderTest, ReadsEveryKindOfCellInItsPlace) {
  TempFolder dir;
  const auto file = dir / "sheet.xlsx";
  writeZip(
      dir, file,
      workbookParts(
          // Row 1: shared strings, one of them rich text with a phonetic run left out.
          R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>)"
          // Row 2 is missing; row 3 skips column B and C.
          R"(<row r="3"><c r="A3" t="inlineStr"><is><t>inline</t></is></c>)"
          R"(<c r="D3"><v>45658.0</v></c><c r="E3"><v>0.25</v></c>)"
          R"(<c r="F3" t="b"><v>1</v></c><c r="G3" t="b"><v>0</v></c>)"
          R"(<c r="H3" t="e"><v>#N/A</v></c>)"
          R"(<c r="I3" t="str"><f>A3&amp;"!"</f><v>inline!</v></c>)"
          R"(<c r="J3" s="4"/></row>)"
          // Row 4: cells without references follow one another; an empty row 5 is left out.
          R"(<row r="4"><c t="inlineStr"><is><r><t>two </t></r><r><t>runs</t></r></is></c>)"
          R"(<c><v>7</v></c></row><row r="5"><c r="A5" s="1"/></row>)",
          R"(<si><t>person_id</t></si>)"
          R"(<si><r><rPr><b/></rPr><t xml:space="preserve">Call </t></r><r><t>&lt;mum&gt;</t></r>)"
          R"(<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>)"));
  std::string error;
  const auto sheet = read(file, error);
  ASSERT_TRUE(sheet) << error;
  EXPECT_EQ(sheet->name, "Tracking");
  EXPECT_FALSE(sheet->date1904);
  ASSERT_THAT(sheet->rows, SizeIs(3));
  EXPECT_EQ(sheet->rows[0].number, 1);
  EXPECT_THAT(sheet->rows[0].cells, ElementsAre("person_id", "Call <mum>"));
  EXPECT_EQ(sheet->rows[1].number, 3);
  EXPECT_THAT(sheet->rows[1].cells,
              ElementsAre("inline", "", "", "45658", "0.25", "TRUE", "FALSE", "#N/A", "inline!"));
  EXPECT_EQ(sheet->rows[2].number, 4);
  EXPECT_THAT(sheet->rows[2].cells, ElementsAre("two runs", "7"));
}

TEST(XlsxReaderTest, TakesTheFirstSheetOfTheWorkbookWhateverItsPartName) {
  TempFolder dir;
  const auto file = dir / "two.xlsx";
  auto parts = workbookParts("");
  parts["xl/workbook.xml"] =
      R"(<?xml version="1.0"?><x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
      R"(xmlns:rel="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)"
      R"(<x:workbookPr date1904="1"/><x:sheets><x:sheet name="Meeting" sheetId="2" rel:id="rId7"/>)"
      R"(<x:sheet name="Old" sheetId="1" rel:id="rId1"/></x:sheets></x:workbook>)";
  parts["xl/_rels/workbook.xml.rels"] =
      R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
      R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>)"
      R"(<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/meeting.xml"/>)"
      R"(</Relationships>)";
  parts["xl/worksheets/meeting.xml"] =
      testing::sheetXml(R"(<row r="2"><c r="B2" t="inlineStr"><is><t>this one</t></is></c></row>)");
  parts.erase("xl/sharedStrings.xml");  // no shared strings at all is fine
  writeZip(dir, file, parts);
  std::string error;
  const auto sheet = read(file, error);
  ASSERT_TRUE(sheet) << error;
  EXPECT_EQ(sheet->name, "Meeting");
  EXPECT_TRUE(sheet->date1904);
  ASSERT_THAT(sheet->rows, SizeIs(1));
  EXPECT_EQ(sheet->rows[0].number, 2);
  EXPECT_THAT(sheet->rows[0].cells, ElementsAre("", "this one"));
}

TEST(XlsxReaderTest, ReadsAWorkbookWrittenByOpenpyxl) {
  TempFolder dir;
  const auto file = dir / "openpyxl.xlsx";
  testing::runPython(dir.path(),
                     "import sys, datetime, openpyxl\n"
                     "wb = openpyxl.Workbook()\n"
                     "ws = wb.active\n"
                     "ws.title = 'Sheet A'\n"
                     "ws.append(['person_id', 'action_id', 'action_due', 'done', 'note'])\n"
                     "ws.append(['P1', 12, datetime.date(2025, 3, 1), True, 'Café, \"quoted\"'])\n"
                     "ws['C4'] = 3.5\n"
                     "ws['AB4'] = 'far'\n"
                     "wb.create_sheet('Second')['A1'] = 'not me'\n"
                     "wb.save(sys.argv[1])\n",
                     file.string());
  std::string error;
  const auto sheet = read(file, error);
  ASSERT_TRUE(sheet) << error;
  EXPECT_EQ(sheet->name, "Sheet A");
  ASSERT_THAT(sheet->rows, SizeIs(3));
  EXPECT_THAT(sheet->rows[0].cells,
              ElementsAre("person_id", "action_id", "action_due", "done", "note"));
  ASSERT_THAT(sheet->rows[1].cells, SizeIs(5));
  EXPECT_EQ(sheet->rows[1].cells[0], "P1");
  EXPECT_EQ(sheet->rows[1].cells[1], "12");
  EXPECT_EQ(xlsxSerialDate(sheet->rows[1].cells[2], sheet->date1904), d("2025-03-01"));
  EXPECT_EQ(sheet->rows[1].cells[3], "TRUE");
  EXPECT_EQ(sheet->rows[1].cells[4], "Café, \"quoted\"");
  EXPECT_EQ(sheet->rows[2].number, 4);
  ASSERT_THAT(sheet->rows[2].cells, SizeIs(28));  // A..AB
  EXPECT_EQ(sheet->rows[2].cells[2], "3.5");
  EXPECT_EQ(sheet->rows[2].cells[27], "far");
}

TEST(XlsxReaderTest, SerialDatesFollowBothDateSystems) {
  EXPECT_EQ(xlsxSerialDate("45658", false), d("2025-01-01"));
  EXPECT_EQ(xlsxSerialDate("45658.75", false), d("2025-01-01"));  // the time of day is dropped
  EXPECT_EQ(xlsxSerialDate("1", false), d("1900-01-01"));
  EXPECT_EQ(xlsxSerialDate("59", false), d("1900-02-28"));
  EXPECT_FALSE(xlsxSerialDate("60", false));  // Excel's 29 February 1900, which never was
  EXPECT_EQ(xlsxSerialDate("61", false), d("1900-03-01"));
  EXPECT_EQ(xlsxSerialDate("0", true), d("1904-01-01"));
  EXPECT_EQ(xlsxSerialDate("44196", true), d("2025-01-01"));
  EXPECT_FALSE(xlsxSerialDate("0", false));
  EXPECT_FALSE(xlsxSerialDate("-3", false));
  EXPECT_FALSE(xlsxSerialDate("2958466", false));  // after 9999-12-31
  EXPECT_FALSE(xlsxSerialDate("2025-01-01", false));
  EXPECT_FALSE(xlsxSerialDate("", false));
}

// A broken workbook is an error naming the file and the part, not a crash or an exception.
class BrokenXlsxTest : public ::testing::Test {
 protected:
  std::string errorFor(const std::map<std::string, std::string>& parts,
                       const XlsxLimits& limits = {}) {
    writeZip(dir_, file_, parts);
    std::string error;
    EXPECT_FALSE(read(file_, error, limits));
    return error;
  }

  TempFolder dir_;
  std::filesystem::path file_ = dir_ / "broken.xlsx";
};

TEST_F(BrokenXlsxTest, NotAZipAtAll) {
  testing::writeText(file_, "person_id,action\nP1,call\n");
  std::string error;
  EXPECT_FALSE(read(file_, error));
  EXPECT_THAT(error, HasSubstr(file_.string() + ": not a readable XLSX workbook (zip)"));
  EXPECT_FALSE(read(dir_ / "absent.xlsx", error));
  EXPECT_THAT(error, HasSubstr("absent.xlsx: not a readable XLSX workbook"));
}

TEST_F(BrokenXlsxTest, TruncatedZip) {
  writeZip(dir_, file_,
           workbookParts(R"(<row r="1"><c t="inlineStr"><is><t>x</t></is></c></row>)"));
  const auto size = std::filesystem::file_size(file_);
  for (const auto keep : {size / 2, size - 10, std::uintmax_t{30}}) {
    writeZip(dir_, file_,
             workbookParts(R"(<row r="1"><c t="inlineStr"><is><t>x</t></is></c></row>)"));
    std::filesystem::resize_file(file_, keep);
    std::string error;
    EXPECT_FALSE(read(file_, error)) << keep;
    EXPECT_THAT(error, HasSubstr(file_.string() + ": ")) << keep;
  }
}

TEST_F(BrokenXlsxTest, MissingSheetPart) {
  auto parts = workbookParts("");
  parts.erase("xl/worksheets/sheet1.xml");
  EXPECT_EQ(errorFor(parts),
            file_.string() + ": xl/worksheets/sheet1.xml: missing from the workbook");
}

TEST_F(BrokenXlsxTest, MissingWorkbookOrRelationshipsOrSheet) {
  auto parts = workbookParts("");
  parts.erase("xl/workbook.xml");
  EXPECT_EQ(errorFor(parts), file_.string() + ": xl/workbook.xml: missing from the workbook");
  parts = workbookParts("");
  parts.erase("xl/_rels/workbook.xml.rels");
  EXPECT_EQ(errorFor(parts),
            file_.string() + ": xl/_rels/workbook.xml.rels: missing from the workbook");
  parts = workbookParts("");
  parts["xl/workbook.xml"] =
      R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>)";
  EXPECT_EQ(errorFor(parts), file_.string() + ": xl/workbook.xml: the workbook has no sheet");
}

TEST_F(BrokenXlsxTest, BadXmlNamesThePartAndLine) {
  auto parts = workbookParts("");
  parts["xl/worksheets/sheet1.xml"] = "<worksheet><sheetData>\n<row r=\"1\"><c><v>1</c></row>";
  EXPECT_THAT(errorFor(parts),
              HasSubstr(file_.string() + ": xl/worksheets/sheet1.xml: line 2: mismatched tag"));
  parts = workbookParts("");
  parts["xl/sharedStrings.xml"] = "<sst><si><t>unterminated";
  EXPECT_THAT(errorFor(parts), HasSubstr(": xl/sharedStrings.xml: line 1: "));
}

TEST_F(BrokenXlsxTest, ADtdIsRefused) {
  auto parts = workbookParts("");
  parts["xl/sharedStrings.xml"] =
      R"(<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>)"
      R"(<sst><si><t>&b;</t></si></sst>)";
  EXPECT_EQ(errorFor(parts),
            file_.string() + ": xl/sharedStrings.xml: a DTD is not allowed in a workbook part");
}

TEST_F(BrokenXlsxTest, BadReferencesInCells) {
  EXPECT_EQ(errorFor(workbookParts(R"(<row r="2"><c r="B2" t="s"><v>5</v></c></row>)",
                                   "<si><t>only</t></si>")),
            file_.string() + ": xl/worksheets/sheet1.xml: cell B2: shared string 5 does not exist");
  EXPECT_THAT(errorFor(workbookParts(R"(<row r="2"><c r="2B"><v>5</v></c></row>)")),
              HasSubstr("sheet1.xml: row 2: '2B' is not a cell reference"));
  EXPECT_THAT(errorFor(workbookParts(R"(<row r="2"><c r="XFE2"><v>5</v></c></row>)")),
              HasSubstr("sheet1.xml: row 2: 'XFE2' is not a cell reference"));
  EXPECT_THAT(errorFor(workbookParts(R"(<row r="0"><c><v>5</v></c></row>)")),
              HasSubstr("sheet1.xml: row 0: outside the sheet"));
  EXPECT_THAT(errorFor(workbookParts(R"(<row r="x"><c><v>5</v></c></row>)")),
              HasSubstr("sheet1.xml: row 1: not a row number"));
}

TEST_F(BrokenXlsxTest, PartsAndSheetsBeyondTheLimits) {
  XlsxLimits limits;
  limits.max_part_bytes = 1000;
  EXPECT_THAT(errorFor(workbookParts(std::string(2000, ' ')), limits),
              HasSubstr("xl/worksheets/sheet1.xml: larger than"));
  limits = {};
  limits.max_cells = 100;
  // One short shared string placed far to the right: the gap counts.
  EXPECT_THAT(errorFor(workbookParts(R"(<row r="1"><c r="ZZ1" t="s"><v>0</v></c></row>)",
                                     "<si><t>x</t></si>"),
                       limits),
              HasSubstr("cell ZZ1: the sheet exceeds the size this reader accepts"));
}

TEST(XlsxReaderTest, ZipMagicIsRecognised) {
  TempFolder dir;
  writeZip(dir, dir / "book.bin", workbookParts(""));
  testing::writeText(dir / "plain.xlsx", "person_id\n");
  EXPECT_TRUE(looksLikeZip(dir / "book.bin"));
  EXPECT_FALSE(looksLikeZip(dir / "plain.xlsx"));
  EXPECT_FALSE(looksLikeZip(dir / "absent"));
}

}  // namespace
}  // namespace cohortwatch::connectors
