#include "reports/html.h"

#include <algorithm>

namespace cohortwatch::reports {

namespace {

bool isNumber(const Cell& cell) {
  return std::holds_alternative<long>(cell) || std::holds_alternative<double>(cell);
}

// Print-friendly: black on white, thin rules, no colours that vanish on paper, tables kept whole
// across pages where they fit, header rows repeated on every printed page.
constexpr std::string_view kStyle =
    R"(body { font-family: sans-serif; font-size: 11pt; color: #000; background: #fff; margin: 2em; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.6em; } h3 { font-size: 11pt; }
table { border-collapse: collapse; margin: 0.5em 0 1em; page-break-inside: auto; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; vertical-align: top; }
th { background: #eee; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
p.note { font-size: 10pt; margin: 0.2em 0; }
pre { font-size: 10pt; border: 1px solid #999; padding: 0.5em; white-space: pre-wrap; }
@media print { body { margin: 0; } })";

}  // namespace

std::string htmlEscape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

void renderHtmlTable(const Table& table, std::ostream& out, std::string_view caption) {
  // A column is right-aligned as a whole when every non-null cell in it is a number, so that the
  // header lines up with its figures.
  std::vector<bool> numeric(table.columns.size(), false);
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    bool any = false;
    bool all = true;
    for (const auto& row : table.rows) {
      if (i >= row.size() || std::holds_alternative<std::monostate>(row[i])) continue;
      any = true;
      all = all && isNumber(row[i]);
    }
    numeric[i] = any && all;
  }
  out << "<table>\n";
  if (!caption.empty()) out << "<caption>" << htmlEscape(caption) << "</caption>\n";
  out << "<thead><tr>";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    out << (numeric[i] ? "<th class=\"num\">" : "<th>") << htmlEscape(table.columns[i].title)
        << "</th>";
  }
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out << "<tr>";
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const Cell cell = i < row.size() ? row[i] : Cell{};
      out << (isNumber(cell) ? "<td class=\"num\">" : "<td>")
          << htmlEscape(formatCell(cell, table.columns[i])) << "</td>";
    }
    out << "</tr>\n";
  }
  if (table.rows.empty()) {
    out << "<tr><td colspan=\"" << std::max<std::size_t>(table.columns.size(), 1)
        << "\">(none)</td></tr>\n";
  }
  out << "</tbody>\n</table>\n";
  for (const auto& note : table.notes) out << "<p class=\"note\">" << htmlEscape(note) << "</p>\n";
}

void beginHtmlPage(std::string_view title, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << htmlEscape(title) << "</title>\n<style>\n"
      << kStyle << "\n</style>\n</head>\n<body>\n<h1>" << htmlEscape(title) << "</h1>\n";
}

void endHtmlPage(std::ostream& out) {
  out << "</body>\n</html>\n";
}

void htmlHeading(std::string_view text, std::ostream& out, int level) {
  const int clamped = std::clamp(level, 2, 6);
  out << "<h" << clamped << ">" << htmlEscape(text) << "</h" << clamped << ">\n";
}

void htmlParagraph(std::string_view text, std::ostream& out) {
  out << "<p>" << htmlEscape(text) << "</p>\n";
}

void htmlPreformatted(std::string_view text, std::ostream& out) {
  out << "<pre>" << htmlEscape(text) << "</pre>\n";
}

}  // namespace cohortwatch::reports
