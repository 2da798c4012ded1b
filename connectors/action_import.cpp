#include "connectors/action_import.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "connectors/csv_reader.h"
#include "connectors/xlsx_reader.h"

namespace cohortwatch::connectors {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::optional<int> digits(std::string_view text, std::size_t min, std::size_t max) {
  if (text.size() < min || text.size() > max) return std::nullopt;
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.front() == '-' || text.front() == '+') {
    return std::nullopt;
  }
  return value;
}

bool isNumber(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return !text.empty() && ec == std::errc() && ptr == end;
}

// One data row as read from the file, before it means anything.
struct SheetRow {
  long line = 0;
  std::vector<std::string> cells;
  std::string error;  // a row the reader could not read (CSV: "unterminated quoted field", ...)
};

// The columns of the contract, by index in the header row; nullopt when the file lacks one.
struct Columns {
  std::optional<std::size_t> person_id, action_id, action, owner, due, status, notes, reviewed_on;
};

// What a row says, validated; values are nullopt for columns the file lacks.
struct RowIntent {
  std::string person_id;
  long action_id = 0;
  std::optional<std::string> description, owner, notes;
  std::optional<std::optional<tracking::Date>> due;
  std::optional<std::string> status;  // nullopt also when the cell is empty
  std::optional<tracking::Date> reviewed_on;
};

// Thrown by the checks of one row, caught by row(): the row is rejected, the import goes on.
struct RowRejected {
  RowRejected(std::string in_column, std::string why)
      : column(std::move(in_column)), reason(std::move(why)) {}
  std::string column;
  std::string reason;
};

class SheetImport {
 public:
  SheetImport(tracking::CaseworkStore& casework, const std::string& recorded_by,
              tracking::Date today, bool xlsx, bool date1904, ActionImportSummary& summary)
      : casework_(casework),
        recorded_by_(recorded_by),
        today_(today),
        xlsx_(xlsx),
        date1904_(date1904),
        summary_(summary) {}

  // The header row, or an error when it lacks person_id or names a column twice.
  bool header(const std::vector<std::string>& names, std::string& error) {
    std::vector<std::string_view> views(names.begin(), names.end());
    auto parsed = CsvHeader::parse(views, error);
    if (!parsed) return false;
    columns_.person_id = parsed->find("person_id");
    columns_.action_id = parsed->find("action_id");
    columns_.action = parsed->find("action");
    columns_.owner = parsed->find("action_owner");
    columns_.due = parsed->find("action_due");
    columns_.status = parsed->find("action_status");
    columns_.notes = parsed->find("action_notes");
    columns_.reviewed_on = parsed->find("reviewed_on");
    if (!columns_.person_id) {
      error = "no person_id column in the header row";
      return false;
    }
    return true;
  }

  void row(const SheetRow& row) {
    const bool blank = std::all_of(row.cells.begin(), row.cells.end(),
                                   [](const std::string& cell) { return trim(cell).empty(); });
    if (blank && row.error.empty()) return;
    ++summary_.rows;
    try {
      if (!row.error.empty()) throw RowRejected("row", row.error);
      apply(row);
    } catch (const RowRejected& rejected) {
      ++summary_.rejected;
      summary_.rejections.push_back(
          fmt::format("{}:{}: {}: {}", summary_.file, row.line, rejected.column, rejected.reason));
    }
  }

 private:
  // The cell of `column` (neutralisation undone, trimmed); nullopt when the file has no such
  // column, "" when the row is shorter than the header.
  std::optional<std::string> cell(const SheetRow& row, const std::optional<std::size_t>& column) {
    if (!column) return std::nullopt;
    if (*column >= row.cells.size()) return std::string();
    return restoreNeutralised(trim(row.cells[*column]));
  }

  std::optional<tracking::Date> date(const std::string& value, const char* column) {
    if (xlsx_ && isNumber(value)) {
      if (auto serial = xlsxSerialDate(value, date1904_)) return serial;
      throw RowRejected(column, "'" + value + "' is not a spreadsheet date");
    }
    if (auto parsed = parseCaseworkDate(value)) return parsed;
    throw RowRejected(column, "'" + value + "' is not a date (YYYY-MM-DD or dd/mm/yyyy)");
  }

  RowIntent read(const SheetRow& row) {
    RowIntent intent;
    intent.person_id = cell(row, columns_.person_id).value_or("");
    const std::string action_id = cell(row, columns_.action_id).value_or("");
    intent.description = cell(row, columns_.action);
    intent.owner = cell(row, columns_.owner);
    intent.notes = cell(row, columns_.notes);
    if (!action_id.empty()) {
      const auto id = digits(action_id, 1, 9);
      if (!id || *id <= 0) {
        throw RowRejected("action_id", "'" + action_id + "' is not an action id (a whole number)");
      }
      intent.action_id = *id;
    }
    if (auto due = cell(row, columns_.due)) {
      intent.due = due->empty() ? std::optional<tracking::Date>() : date(*due, "action_due");
    }
    if (auto status = cell(row, columns_.status); status && !status->empty()) {
      intent.status = parseActionStatus(*status);
      if (!intent.status) {
        throw RowRejected("action_status",
                          "'" + *status + "' is not a status (open, done or cancelled)");
      }
    }
    if (auto reviewed = cell(row, columns_.reviewed_on); reviewed && !reviewed->empty()) {
      intent.reviewed_on = date(*reviewed, "reviewed_on");
      if (*intent.reviewed_on > today_) {
        throw RowRejected("reviewed_on", intent.reviewed_on->toString() + " is in the future");
      }
    }
    if (intent.owner && !intent.owner->empty() && !looksLikeEmail(*intent.owner)) {
      throw RowRejected("action_owner", "'" + *intent.owner + "' is not an e-mail address");
    }
    return intent;
  }

  const tracking::PersonDetails* person(const std::string& person_id) {
    auto it = people_.find(person_id);
    if (it == people_.end()) it = people_.emplace(person_id, casework_.person(person_id)).first;
    return it->second ? &*it->second : nullptr;
  }

  void apply(const SheetRow& row) {
    RowIntent intent = read(row);
    const bool has_action = intent.action_id != 0 || !intent.description.value_or("").empty();
    if (!has_action && !intent.reviewed_on) return;
    if (intent.person_id.empty()) throw RowRejected("person_id", "empty");
    const auto* child = person(intent.person_id);
    if (child == nullptr) {
      throw RowRejected("person_id", "no child with person_id '" + intent.person_id + "'");
    }
    // Everything is checked before anything is written: a rejected row records nothing.
    std::optional<tracking::Action> existing;
    if (intent.action_id != 0) {
      existing = casework_.action(intent.action_id);
      if (!existing) throw RowRejected("action_id", fmt::format("no action {}", intent.action_id));
      if (existing->person_id != intent.person_id) {
        throw RowRejected("action_id",
                          fmt::format("action {} belongs to another child", intent.action_id));
      }
      if (intent.description && intent.description->empty()) {
        throw RowRejected("action", "empty; to drop an action set its action_status to cancelled");
      }
    } else if (has_action) {
      existing = sameAction(intent);
    }
    std::string owner = intent.owner.value_or("");
    if (has_action && !existing && owner.empty()) {
      owner = child->caseworker;
      if (owner.empty())
        throw RowRejected("action_owner", "empty, and the child has no caseworker");
    }

    if (existing) {
      tracking::ActionUpdate update;
      update.description = intent.description;
      if (!owner.empty()) update.owner = owner;
      update.due_on = intent.due;
      update.notes = intent.notes;
      update.status = intent.status;
      if (casework_.updateAction(existing->id, update, recorded_by_).empty()) {
        ++summary_.unchanged;
      } else {
        ++summary_.changed;
      }
    } else if (has_action) {
      tracking::Action action;
      action.person_id = intent.person_id;
      action.description = *intent.description;
      action.owner = owner;
      action.due_on = intent.due.value_or(std::nullopt);
      action.status = intent.status.value_or("open");
      action.notes = intent.notes.value_or("");
      action.recorded_by = recorded_by_;
      casework_.addAction(action);
      ++summary_.added;
    }
    if (intent.reviewed_on) recordReview(intent.person_id, *intent.reviewed_on);
  }

  // A row without an action_id whose text an action of the child already has: the open one, or
  // one with the row's status. Keeps a second import of the same sheet from adding it again.
  std::optional<tracking::Action> sameAction(const RowIntent& intent) {
    tracking::ActionFilter filter;
    filter.person_id = intent.person_id;
    std::optional<tracking::Action> match;
    for (auto& action : casework_.actions(filter)) {
      if (action.description != *intent.description) continue;
      if (action.status == "open") return action;
      if (intent.status && action.status == *intent.status && !match) match = std::move(action);
    }
    return match;
  }

  void recordReview(const std::string& person_id, tracking::Date day) {
    for (const auto& review : casework_.reviews(person_id)) {
      if (review.reviewed_on == day) return;
    }
    tracking::Review review;
    review.person_id = person_id;
    review.reviewed_on = day;
    review.note = "recorded from " + summary_.file;
    review.recorded_by = recorded_by_;
    casework_.recordReview(review);
    ++summary_.reviews;
  }

  tracking::CaseworkStore& casework_;
  const std::string& recorded_by_;
  tracking::Date today_;
  bool xlsx_;
  bool date1904_;
  ActionImportSummary& summary_;
  Columns columns_;
  std::unordered_map<std::string, std::optional<tracking::PersonDetails>> people_;
};

bool isHeaderRow(const std::vector<std::string>& cells) {
  return std::any_of(cells.begin(), cells.end(),
                     [](const std::string& cell) { return lower(trim(cell)) == "person_id"; });
}

bool hasXlsxName(const std::filesystem::path& file) {
  const std::string extension = lower(file.extension().string());
  return extension == ".xlsx" || extension == ".xlsm";
}

}  // namespace

std::optional<tracking::Date> parseCaseworkDate(std::string_view text) {
  text = trim(text);
  if (auto iso = tracking::Date::parse(text)) return iso;
  const auto first = text.find('/');
  const auto second = first == std::string_view::npos ? first : text.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto day = digits(text.substr(0, first), 1, 2);
  const auto month = digits(text.substr(first + 1, second - first - 1), 1, 2);
  const auto year = digits(text.substr(second + 1), 4, 4);
  if (!day || !month || !year) return std::nullopt;
  return tracking::Date::fromYmd(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
}

bool looksLikeEmail(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  if (text.find_first_of(" \t\r\n,;<>()[]\\\"") != std::string_view::npos) return false;
  const std::string_view domain = text.substr(at + 1);
  const auto dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

std::optional<std::string> parseActionStatus(std::string_view text) {
  std::string status = lower(trim(text));
  if (status == "open" || status == "done" || status == "cancelled") return status;
  return std::nullopt;
}

std::string restoreNeutralised(std::string_view cell) {
  if (cell.size() >= 2 && cell.front() == '\'' &&
      std::string_view("=+-@").find(cell[1]) != std::string_view::npos) {
    cell.remove_prefix(1);
  }
  return std::string(cell);
}

std::string ActionImportSummary::summaryLine() const {
  if (!error.empty()) return error;
  return fmt::format("{}: {} rows: {} new, {} changed, {} unchanged, {} {}, {} rejected", file,
                     rows, added, changed, unchanged, reviews, reviews == 1 ? "review" : "reviews",
                     rejected);
}

ActionImporter::ActionImporter(tracking::Store& store, std::string recorded_by,
                               tracking::Date today)
    : store_(store), recorded_by_(std::move(recorded_by)), today_(today) {}

ActionImportSummary ActionImporter::importFile(const std::filesystem::path& file, bool dry_run) {
  ActionImportSummary summary;
  summary.file = file.filename().string();
  const bool xlsx = hasXlsxName(file) || looksLikeZip(file);

  // Rows are read first (a tracking sheet is one row per cohort member: small), so that a file
  // that cannot be read is reported before the transaction begins.
  std::vector<SheetRow> rows;
  bool date1904 = false;
  if (xlsx) {
    auto sheet = readFirstXlsxSheet(file, summary.error);
    if (!sheet) return summary;
    date1904 = sheet->date1904;
    for (auto& row : sheet->rows) rows.push_back({row.number, std::move(row.cells), {}});
  } else {
    auto csv = CsvFile::open(file, summary.error);
    if (!csv) return summary;
    CsvRecord record;
    while (csv->reader().next(record)) {
      SheetRow row{static_cast<long>(record.line), {}, {}};
      row.cells.assign(record.fields.begin(), record.fields.end());
      if (!record.ok()) {
        if (record.error == CsvError::kReadFailed) {
          summary.error =
              fmt::format("{}: cannot be read: {}", file.string(), describe(record.error));
          return summary;
        }
        row.error = std::string(describe(record.error));
      }
      rows.push_back(std::move(row));
    }
  }

  // The header is the first row naming a person_id column; anything above it (a title) is not
  // data.
  const auto header = std::find_if(rows.begin(), rows.end(), [](const SheetRow& row) {
    return row.error.empty() && isHeaderRow(row.cells);
  });
  if (header == rows.end()) {
    summary.error = fmt::format("{}: no header row with a person_id column", file.string());
    return summary;
  }
  auto tx = store_.begin();
  SheetImport import(store_.casework(), recorded_by_, today_, xlsx, date1904, summary);
  std::string error;
  if (!import.header(header->cells, error)) {
    summary.error = fmt::format("{}:{}: {}", file.string(), header->line, error);
    return summary;
  }
  for (auto it = std::next(header); it != rows.end(); ++it) import.row(*it);
  if (!dry_run) tx->commit();
  spdlog::info(
      "import actions: {} rows, {} new, {} changed, {} unchanged, {} reviews, {} rejected{}",
      summary.rows, summary.added, summary.changed, summary.unchanged, summary.reviews,
      summary.rejected, dry_run ? " (dry run, nothing recorded)" : "");
  return summary;
}

}  // namespace cohortwatch::connectors
