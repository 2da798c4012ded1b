// Reads the first worksheet of an XLSX workbook as rows of text, for `cohortwatch import actions`
// (the tracking sheet managers fill in during the review meeting). Built on libzip and expat,
// which stay inside xlsx_reader.cpp.
//
// Contract, in short:
//  - The first sheet of xl/workbook.xml, found through the workbook's relationships; shared
//    strings (rich-text runs joined, phonetic runs left out), inline strings, numbers, booleans
//    ("TRUE"/"FALSE"), error values ("#N/A") and cached formula results. A cell's place comes from
//    its reference (AB12) when it has one: skipped columns are empty strings, skipped rows are
//    absent (XlsxRow::number says which sheet row a row is).
//  - Numbers come back as written in the file, except that whole numbers lose a fractional part
//    (45678.0 -> 45678). Dates are numbers (serials) in XLSX; xlsxSerialDate() converts one for a
//    column the caller knows holds dates.
//  - Malformed input (not a zip, a truncated one, a missing part, bad XML, a DTD, a reference
//    beyond the sheet's limits, a part or sheet larger than XlsxLimits) is an error value naming
//    the file and the part, never an exception or a crash.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracking/civil_date.h"

namespace cohortwatch::connectors {

struct XlsxRow {
  long number = 0;                 // the sheet row number (1-based), as a spreadsheet shows it
  std::vector<std::string> cells;  // column A first; trailing empty cells are not included
};

struct XlsxSheet {
  std::string name;           // the sheet's tab name
  std::vector<XlsxRow> rows;  // rows holding at least one value, in sheet order
  bool date1904 = false;      // the workbook counts dates from 1904 (old Mac Excel)
};

struct XlsxLimits {
  std::size_t max_part_bytes = std::size_t{256} << 20;  // uncompressed size of one XML part
  std::size_t max_cells = std::size_t{4} << 20;         // cells held, empty ones in gaps included
  std::size_t max_text_bytes = std::size_t{256} << 20;  // text held for all cells together
};

// Reads the first worksheet of `file`. nullopt with `error` set ("FILE: PART: reason") when the
// file is not a workbook it can read.
std::optional<XlsxSheet> readFirstXlsxSheet(const std::filesystem::path& file, std::string& error,
                                            const XlsxLimits& limits = {});

// True when the file starts with a zip local file header ("PK\3\4"), as every XLSX does.
bool looksLikeZip(const std::filesystem::path& file);

// The calendar day of an XLSX date serial ("45678", "45678.75": the time of day is dropped), in
// the 1900 date system (serial 1 = 1900-01-01, with Excel's fictitious 1900-02-29 as serial 60,
// which is refused) or the 1904 one (serial 0 = 1904-01-01). nullopt for anything else.
std::optional<tracking::Date> xlsxSerialDate(std::string_view serial, bool date1904);

}  // namespace cohortwatch::connectors
