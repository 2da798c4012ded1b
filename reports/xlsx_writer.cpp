#include "reports/xlsx_writer.h"

#include <fmt/format.h>
#include <unistd.h>  // close
#include <xlsxwriter.h>

#include <cerrno>
#include <cstdlib>  // mkstemp
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "reports/table.h"

namespace cohortwatch::reports {

namespace {

// A workbook not yet closed. workbook_close() writes the file and frees the workbook whatever
// happens; the deleter frees one abandoned before that (a cell refused, say).
struct WorkbookFree {
  void operator()(lxw_workbook* workbook) const { lxw_workbook_free(workbook); }
};
using WorkbookPtr = std::unique_ptr<lxw_workbook, WorkbookFree>;

[[noreturn]] void fail(const std::filesystem::path& file, std::string_view what, lxw_error error) {
  throw XlsxError(fmt::format("cannot write the workbook {}: {}: {}", file.string(), what,
                              lxw_strerror(error)));
}

void check(lxw_error error, const std::filesystem::path& file, std::string_view what) {
  if (error != LXW_NO_ERROR) fail(file, what, error);
}

lxw_format* numberFormat(lxw_workbook* workbook, const char* pattern) {
  lxw_format* format = workbook_add_format(workbook);
  format_set_num_format(format, pattern);
  return format;
}

// The formats cells of each kind of column are written with (owned by the workbook).
struct Formats {
  lxw_format* header;
  lxw_format* integer;
  lxw_format* decimal;
  lxw_format* date;
};

void writeCell(lxw_worksheet* worksheet, lxw_row_t row, lxw_col_t col, const SheetCell& cell,
               SheetColumnKind kind, const Formats& formats, const std::filesystem::path& file) {
  const std::string where = fmt::format("row {} column {}", row + 1, col + 1);
  if (const auto* text = std::get_if<std::string>(&cell)) {
    if (text->empty()) return;
    check(worksheet_write_string(worksheet, row, col, neutraliseFormula(*text).c_str(), nullptr),
          file, where);
  } else if (const auto* number = std::get_if<double>(&cell)) {
    lxw_format* format = kind == SheetColumnKind::kInteger   ? formats.integer
                         : kind == SheetColumnKind::kDecimal ? formats.decimal
                                                             : nullptr;
    check(worksheet_write_number(worksheet, row, col, *number, format), file, where);
  } else if (const auto* date = std::get_if<tracking::Date>(&cell)) {
    lxw_datetime datetime{
        date->year(), static_cast<int>(date->month()), static_cast<int>(date->day()), 0, 0, 0.0};
    check(worksheet_write_datetime(worksheet, row, col, &datetime, formats.date), file, where);
  }
}

// Removes a temporary file when it goes out of scope, whatever happened.
class TemporaryFile {
 public:
  TemporaryFile() {
    std::error_code error;
    const auto dir = std::filesystem::temp_directory_path(error);
    if (error) {
      throw XlsxError("cannot find the temporary folder for a workbook: " + error.message());
    }
    std::string name = (dir / "cohortwatch-sheet-XXXXXX").string();
    const int fd = ::mkstemp(name.data());  // created 0600: it holds children's data
    if (fd < 0) {
      throw XlsxError(fmt::format("cannot create a temporary file for a workbook in {}: {}",
                                  dir.string(), std::strerror(errno)));
    }
    ::close(fd);
    path_ = name;
  }
  ~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string csvCell(const SheetCell& cell, SheetColumnKind kind) {
  if (const auto* text = std::get_if<std::string>(&cell)) return neutraliseFormula(*text);
  if (const auto* number = std::get_if<double>(&cell)) {
    if (kind == SheetColumnKind::kInteger) return fmt::format("{:.0f}", *number);
    if (kind == SheetColumnKind::kDecimal) return fmt::format("{:.1f}", *number);
    return fmt::format("{}", *number);
  }
  if (const auto* date = std::get_if<tracking::Date>(&cell)) return date->toString();
  return {};
}

void checkShape(const Worksheet& sheet, const std::filesystem::path& file) {
  if (sheet.columns.empty()) {
    throw XlsxError(
        fmt::format("cannot write the workbook {}: the sheet has no columns", file.string()));
  }
  for (std::size_t i = 0; i < sheet.rows.size(); ++i) {
    if (sheet.rows[i].size() > sheet.columns.size()) {
      throw XlsxError(
          fmt::format("cannot write the workbook {}: row {} has {} cells for {} columns",
                      file.string(), i + 2, sheet.rows[i].size(), sheet.columns.size()));
    }
  }
}

}  // namespace

std::string neutraliseFormula(std::string_view text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) {
    return "'" + std::string(text);
  }
  return std::string(text);
}

void writeXlsx(const Worksheet& sheet, const std::filesystem::path& file) {
  checkShape(sheet, file);
  const std::string filename = file.string();
  WorkbookPtr workbook(workbook_new(filename.c_str()));
  if (!workbook) fail(file, "create", LXW_ERROR_MEMORY_MALLOC_FAILED);
  check(workbook_validate_sheet_name(workbook.get(), sheet.name.c_str()), file,
        "sheet name '" + sheet.name + "'");
  lxw_worksheet* worksheet = workbook_add_worksheet(workbook.get(), sheet.name.c_str());
  if (worksheet == nullptr) fail(file, "add the sheet", LXW_ERROR_MEMORY_MALLOC_FAILED);

  Formats formats{workbook_add_format(workbook.get()), numberFormat(workbook.get(), "0"),
                  numberFormat(workbook.get(), "0.0"), numberFormat(workbook.get(), "yyyy-mm-dd")};
  format_set_bold(formats.header);

  const auto last_col = static_cast<lxw_col_t>(sheet.columns.size() - 1);
  for (lxw_col_t col = 0; col <= last_col; ++col) {
    const auto& column = sheet.columns[col];
    check(worksheet_set_column(worksheet, col, col, column.width, nullptr), file, "column widths");
    check(worksheet_write_string(worksheet, 0, col, column.title.c_str(), formats.header), file,
          "the header row");
  }
  for (std::size_t i = 0; i < sheet.rows.size(); ++i) {
    const auto row = static_cast<lxw_row_t>(i + 1);
    const auto& cells = sheet.rows[i];
    for (lxw_col_t col = 0; col < cells.size(); ++col) {
      writeCell(worksheet, row, col, cells[col], sheet.columns[col].kind, formats, file);
    }
  }
  worksheet_freeze_panes(worksheet, 1, 0);
  check(worksheet_autofilter(worksheet, 0, 0, static_cast<lxw_row_t>(sheet.rows.size()), last_col),
        file, "the autofilter");

  check(workbook_close(workbook.release()), file, "close");
}

std::string xlsxBytes(const Worksheet& sheet) {
  const TemporaryFile temporary;
  writeXlsx(sheet, temporary.path());
  std::ifstream in(temporary.path(), std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    throw XlsxError("cannot read back the workbook " + temporary.path().string());
  }
  return bytes;
}

std::string worksheetCsv(const Worksheet& sheet) {
  std::string csv;
  for (std::size_t col = 0; col < sheet.columns.size(); ++col) {
    csv += (col ? "," : "") + csvField(sheet.columns[col].title);
  }
  csv += "\r\n";
  for (const auto& row : sheet.rows) {
    for (std::size_t col = 0; col < sheet.columns.size(); ++col) {
      if (col > 0) csv += ',';
      if (col < row.size()) csv += csvField(csvCell(row[col], sheet.columns[col].kind));
    }
    csv += "\r\n";
  }
  return csv;
}

}  // namespace cohortwatch::reports
