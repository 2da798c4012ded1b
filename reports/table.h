// A report as a table of typed cells, rendered for a terminal (aligned columns), as CSV (RFC 4180),
// as JSON (an array of objects keyed by column key: the contract other tools rely on) or as a
// standalone HTML page (reports/html.h). Numbers stay numbers in JSON; the other forms round them
// to the column's decimals.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cohortwatch::reports {

using Cell = std::variant<std::monostate, std::string, long, double, bool>;  // monostate: null

struct Column {
  std::string key;    // JSON key and CSV header
  std::string title;  // terminal header
  int decimals = 1;   // for double cells in table and CSV output
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> notes;  // printed under a terminal table (provisional figures, warnings)
};

enum class Format { kTable, kJson, kCsv, kHtml };

std::optional<Format> parseFormat(std::string_view text);  // table, json, csv, html

// One cell as the terminal, CSV and HTML forms show it: doubles rounded to the column's decimals,
// booleans as yes/no, null as an empty string.
std::string formatCell(const Cell& cell, const Column& column);

// kHtml writes a whole page holding the one table; to put several tables on one page use
// reports/html.h directly.
void render(const Table& table, Format format, std::ostream& out);

// RFC 4180 quoting of one CSV field: quoted when it holds a comma, quote or line break.
std::string csvField(std::string_view value);

}  // namespace cohortwatch::reports
