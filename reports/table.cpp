#include "reports/table.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "reports/html.h"

namespace cohortwatch::reports {

std::string formatCell(const Cell& cell, const Column& column) {
  return std::visit(
      [&](const auto& value) -> std::string {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return value;
        } else if constexpr (std::is_same_v<T, bool>) {
          return value ? "yes" : "no";
        } else if constexpr (std::is_same_v<T, double>) {
          return fmt::format("{:.{}f}", value, column.decimals);
        } else {
          return std::to_string(value);
        }
      },
      cell);
}

namespace {

bool rightAligned(const Cell& cell) {
  return std::holds_alternative<long>(cell) || std::holds_alternative<double>(cell);
}

void renderTable(const Table& table, std::ostream& out) {
  std::vector<std::size_t> widths;
  for (const auto& column : table.columns) widths.push_back(column.title.size());
  std::vector<std::vector<std::string>> texts;
  for (const auto& row : table.rows) {
    auto& line = texts.emplace_back();
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      line.push_back(i < row.size() ? formatCell(row[i], table.columns[i]) : "");
      widths[i] = std::max(widths[i], line.back().size());
    }
  }
  auto emit = [&](const std::vector<std::string>& cells, const std::vector<Cell>* typed) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) line += "  ";
      const bool right = typed != nullptr && i < typed->size() && rightAligned((*typed)[i]);
      line += right ? fmt::format("{:>{}}", cells[i], widths[i]) : fmt::format("{:<{}}", cells[i], widths[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  std::vector<std::string> titles;
  for (const auto& column : table.columns) titles.push_back(column.title);
  emit(titles, nullptr);
  std::vector<std::string> rule;
  for (auto width : widths) rule.emplace_back(width, '-');
  emit(rule, nullptr);
  for (std::size_t r = 0; r < texts.size(); ++r) emit(texts[r], &table.rows[r]);
  if (table.rows.empty()) out << "(none)\n";
  for (const auto& note : table.notes) out << note << '\n';
}

void renderCsv(const Table& table, std::ostream& out) {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    out << (i > 0 ? "," : "") << csvField(table.columns[i].key);
  }
  out << "\r\n";
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      std::string text;
      if (i < row.size()) {
        // Booleans as true/false for machines; the terminal form says yes/no.
        text = std::holds_alternative<bool>(row[i]) ? (std::get<bool>(row[i]) ? "true" : "false")
                                                     : formatCell(row[i], table.columns[i]);
      }
      out << (i > 0 ? "," : "") << csvField(text);
    }
    out << "\r\n";
  }
}

void renderJson(const Table& table, std::ostream& out) {
  auto rows = nlohmann::json::array();
  for (const auto& row : table.rows) {
    nlohmann::json object = nlohmann::json::object();
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const Cell cell = i < row.size() ? row[i] : Cell{};
      std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              object[table.columns[i].key] = nullptr;
            } else {
              object[table.columns[i].key] = value;
            }
          },
          cell);
    }
    rows.push_back(std::move(object));
  }
  out << rows.dump(2) << '\n';
}

}  // namespace

std::optional<Format> parseFormat(std::string_view text) {
  if (text == "table") return Format::kTable;
  if (text == "json") return Format::kJson;
  if (text == "csv") return Format::kCsv;
  if (text == "html") return Format::kHtml;
  return std::nullopt;
}

std::string csvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

void render(const Table& table, Format format, std::ostream& out) {
  switch (format) {
    case Format::kTable: renderTable(table, out); break;
    case Format::kJson: renderJson(table, out); break;
    case Format::kCsv: renderCsv(table, out); break;
    case Format::kHtml:
      beginHtmlPage("cohortwatch report", out);
      renderHtmlTable(table, out);
      endHtmlPage(out);
      break;
  }
}

}  // namespace cohortwatch::reports
