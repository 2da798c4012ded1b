// A worksheet for spreadsheets (the tracking sheet, the digest's review list), written as an XLSX
// workbook with libxlsxwriter (kept inside xlsx_writer.cpp) or as CSV. Both forms neutralise text
// that a spreadsheet would run as a formula (a leading = + - @ gets a leading ', which
// connectors::restoreNeutralised undoes on import); callers pass text as it is.
//
// The workbook has one sheet: a bold header row of column titles, frozen, with an autofilter over
// every column; dates are real dates shown yyyy-mm-dd, numbers are numbers. Failures (a file that
// cannot be created, a cell libxlsxwriter refuses) throw XlsxError naming the file.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tracking/civil_date.h"

namespace cohortwatch::reports {

enum class SheetColumnKind { kText, kInteger, kDecimal, kDate };

struct SheetColumn {
  std::string title;  // the header cell (and the CSV header)
  SheetColumnKind kind = SheetColumnKind::kText;
  double width = 12.0;  // in characters, as a spreadsheet counts them
};

// Empty, text, a number (shown as a whole number in an integer column, to one decimal in a
// decimal one) or a calendar day.
using SheetCell = std::variant<std::monostate, std::string, double, tracking::Date>;

struct Worksheet {
  std::string name;  // the sheet's tab name: at most 31 characters, none of []:*?/\ .
  std::vector<SheetColumn> columns;
  std::vector<std::vector<SheetCell>> rows;  // a row may be shorter than the columns, not longer
};

class XlsxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "=SUM(A1)" -> "'=SUM(A1)"; text not starting with = + - @ is returned unchanged.
std::string neutraliseFormula(std::string_view text);

// Writes `sheet` as a workbook at `file` (replacing it). Throws XlsxError.
void writeXlsx(const Worksheet& sheet, const std::filesystem::path& file);

// The workbook's bytes (written through a private temporary file, removed again). Throws
// XlsxError.
std::string xlsxBytes(const Worksheet& sheet);

// The sheet as CSV (RFC 4180, CRLF line ends): the titles, then one line per row; dates
// YYYY-MM-DD, text neutralised.
std::string worksheetCsv(const Worksheet& sheet);

}  // namespace cohortwatch::reports
