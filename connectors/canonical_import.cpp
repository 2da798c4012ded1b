#include "connectors/canonical_import.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "connectors/csv_reader.h"
#include "connectors/export_mapping.h"

namespace cohortwatch::connectors {

using tracking::Applied;
using tracking::Date;

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<bool> parseBool(std::string_view text) {
  const std::string value = lower(text);
  if (value == "true" || value == "yes" || value == "y" || value == "1") return true;
  if (value == "false" || value == "no" || value == "n" || value == "0") return false;
  return std::nullopt;
}

std::optional<int> parseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool isDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The columns of the canonical files. Rows are read by position through these, not by name:
// import looks up a dozen fields in each of millions of rows.
enum class Column : std::uint8_t {
  kPersonId,
  kFirstName,
  kLastName,
  kDateOfBirth,
  kGender,
  kEthnicity,
  kLookedAfter,
  kCaseworker,
  kTeam,
  kUpdatedAt,
  kOffenceId,
  kOffenceDate,
  kOffenceCode,
  kDescription,
  kGravity,
  kBreach,
  kOutcomeId,
  kOutcomeType,
  kOutcomeDate,
};
constexpr std::size_t kColumnCount = static_cast<std::size_t>(Column::kOutcomeDate) + 1;

const char* nameOf(Column column) {
  static constexpr std::array<const char*, kColumnCount> kNames = {
      "person_id",  "first_name",   "last_name",    "date_of_birth", "gender",
      "ethnicity",  "looked_after", "caseworker",   "team",          "updated_at",
      "offence_id", "offence_date", "offence_code", "description",   "gravity",
      "breach",     "outcome_id",   "outcome_type", "outcome_date",
  };
  return kNames[static_cast<std::size_t>(column)];
}

// Columns of each canonical file; the first ones listed for a kind are required.
struct ColumnSpec {
  RecordKind kind;
  std::vector<Column> required;
  std::vector<Column> optional;
};

const std::array<ColumnSpec, 3>& columnSpecs() {
  static const std::array<ColumnSpec, 3> specs = {{
      {RecordKind::kPeople,
       {Column::kPersonId, Column::kDateOfBirth},
       {Column::kFirstName, Column::kLastName, Column::kGender, Column::kEthnicity,
        Column::kLookedAfter, Column::kCaseworker, Column::kTeam, Column::kUpdatedAt}},
      {RecordKind::kOffences,
       {Column::kOffenceId, Column::kPersonId, Column::kOffenceDate},
       {Column::kOffenceCode, Column::kDescription, Column::kGravity, Column::kBreach}},
      {RecordKind::kOutcomes,
       {Column::kOutcomeId, Column::kPersonId, Column::kOutcomeType, Column::kOutcomeDate},
       {Column::kOffenceId}},
  }};
  return specs;
}

const ColumnSpec& specFor(RecordKind kind) {
  return columnSpecs()[static_cast<std::size_t>(kind)];
}

// The reasons one row is rejected, as "column: reason" joined by "; ".
class Reasons {
 public:
  void add(Column column, std::string_view reason) { add(nameOf(column), reason); }
  void add(std::string_view column, std::string_view reason) {
    if (!text_.empty()) text_ += "; ";
    text_ += column;
    text_ += ": ";
    text_ += reason;
  }
  // Another record's reasons after these.
  void append(const Reasons& other) {
    if (other.empty()) return;
    if (!text_.empty()) text_ += "; ";
    text_ += other.text_;
  }
  void clear() { text_.clear(); }  // keeps the capacity
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace

int applyRank(const std::filesystem::path& file, const config::MappingProfile* profile) {
  std::ifstream peek(file, std::ios::binary);
  ExportReader reader(peek, file.filename().string(), profile);
  if (!reader.error().empty() || reader.kinds().empty()) return 3;
  return static_cast<int>(reader.kinds().front());
}

std::string_view toString(RecordKind kind) {
  switch (kind) {
    case RecordKind::kPeople: return "people";
    case RecordKind::kOffences: return "offences";
    case RecordKind::kOutcomes: return "outcomes";
  }
  return "people";
}

std::optional<RecordKind> parseRecordKind(std::string_view text) {
  for (auto kind : {RecordKind::kPeople, RecordKind::kOffences, RecordKind::kOutcomes}) {
    if (text == toString(kind)) return kind;
  }
  return std::nullopt;
}

std::optional<RecordKind> recogniseKind(const std::vector<std::string>& column_names) {
  auto has = [&](std::string_view name) {
    return std::any_of(column_names.begin(), column_names.end(),
                       [&](const std::string& column) { return lower(trim(column)) == name; });
  };
  if (has("outcome_id")) return RecordKind::kOutcomes;
  if (has("offence_id") && has("offence_date")) return RecordKind::kOffences;
  if (has("person_id") && has("date_of_birth")) return RecordKind::kPeople;
  return std::nullopt;
}

std::optional<std::string> normaliseTimestamp(std::string_view text) {
  text = trim(text);
  auto date = Date::parse(text.substr(0, 10));
  if (!date) return std::nullopt;
  if (text.size() == 10) return date->toString() + "T00:00:00Z";
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  std::string_view rest = text.substr(11);
  // HH:MM[:SS[.fraction]]
  if (rest.size() < 5 || rest[2] != ':' || !isDigits(rest.substr(0, 2)) || !isDigits(rest.substr(3, 2))) {
    return std::nullopt;
  }
  int hour = *parseInt(rest.substr(0, 2));
  int minute = *parseInt(rest.substr(3, 2));
  int second = 0;
  rest.remove_prefix(5);
  if (!rest.empty() && rest.front() == ':') {
    if (rest.size() < 3 || !isDigits(rest.substr(1, 2))) return std::nullopt;
    second = *parseInt(rest.substr(1, 2));
    rest.remove_prefix(3);
    if (!rest.empty() && (rest.front() == '.' || rest.front() == ',')) {
      rest.remove_prefix(1);
      std::size_t digits = 0;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      if (digits == 0) return std::nullopt;
      rest.remove_prefix(digits);
    }
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  int offset_minutes = 0;
  if (rest == "Z" || rest == "z" || rest.empty()) {
    // UTC; a time without a zone is taken as UTC, the convention of the exports we know.
  } else if ((rest.front() == '+' || rest.front() == '-') && rest.size() == 6 && rest[3] == ':' &&
             isDigits(rest.substr(1, 2)) && isDigits(rest.substr(4, 2))) {
    offset_minutes = *parseInt(rest.substr(1, 2)) * 60 + *parseInt(rest.substr(4, 2));
    if (rest.front() == '-') offset_minutes = -offset_minutes;
  } else {
    return std::nullopt;
  }
  long total = static_cast<long>(date->dayNumber()) * 1440 + hour * 60 + minute - offset_minutes;
  const long day = total >= 0 ? total / 1440 : (total - 1439) / 1440;
  const long minutes = total - day * 1440;
  const Date utc_day = Date::fromDayNumber(static_cast<int>(day));
  const int year = utc_day.year();
  if (year < 0 || year > 9999) {
    return fmt::format("{}T{:02}:{:02}:{:02}Z", utc_day.toString(), minutes / 60, minutes % 60,
                       std::min(second, 59));
  }
  // Written by hand: every person row of an import passes here, and fmt would dominate.
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&](std::size_t at, std::size_t width, long value) {
    for (std::size_t i = width; i-- > 0; value /= 10)
      out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, year);
  put(5, 2, utc_day.month());
  put(8, 2, utc_day.day());
  put(11, 2, minutes / 60);
  put(14, 2, minutes % 60);
  put(17, 2, std::min(second, 59));
  return out;
}

std::string FileImportSummary::summaryLine() const {
  const std::string name = std::filesystem::path(file).filename().string();
  if (!error.empty()) return fmt::format("{}: not imported: {}", name, error);
  return fmt::format("{}: {} taken, {} rejected", name, taken, rejected);
}

namespace {

// What a record of a row is when the checks that need no store have run: made by the reading
// thread of an import, then checked against the store and applied, in file order, by the thread
// that owns the store. The strings are reused from row to row so that they keep their capacity.
struct CheckedRecord {
  RecordKind kind = RecordKind::kPeople;
  Reasons reasons;
  std::optional<Date> date;  // the date the checks in the store need (birth, committed, decided)
  bool unreadable = false;   // a CSV defect or a wrong number of fields: no field was read
  tracking::PersonRecord person;
  tracking::OffenceRecord offence;
  tracking::OutcomeRecord outcome;
};

// One row of an export on its way from the reading thread to the store: its mapping error, or
// the checked records it gives (the first `count` of `records`).
struct CheckedRow {
  std::size_t line = 0;
  std::string raw;
  std::string error;
  std::vector<CheckedRecord> records;
  std::size_t count = 0;
};

// Rows handed from an import's reading thread to the thread that owns the store, a batch at a
// time (a lock per batch, not per row). Bounded: the reader waits while every batch is full or
// being applied, so memory is a few batches whatever the size of the file. Batches go back to
// the reader once applied, so their strings keep their capacity.
struct RowBatch {
  std::vector<CheckedRow> rows;
  std::size_t count = 0;
};

class RowPipe {
 public:
  explicit RowPipe(std::size_t batches) {
    for (std::size_t i = 0; i < batches; ++i) empty_.push_back(std::make_unique<RowBatch>());
  }

  // Reader: a batch to fill; nullptr once the importer has stopped (cancel()).
  std::unique_ptr<RowBatch> takeEmpty() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || !empty_.empty(); });
    if (cancelled_) return nullptr;
    auto batch = std::move(empty_.back());
    empty_.pop_back();
    return batch;
  }
  void pushFull(std::unique_ptr<RowBatch> batch) {
    {
      const std::lock_guard lock(mutex_);
      full_.push_back(std::move(batch));
    }
    changed_.notify_all();
  }
  // Reader: no more batches; `error` is what stopped it early (rethrown to the importer).
  void finish(std::exception_ptr error) {
    {
      const std::lock_guard lock(mutex_);
      finished_ = true;
      error_ = std::move(error);
    }
    changed_.notify_all();
  }

  // Importer: the next batch in file order; nullptr after the last one. Rethrows what stopped
  // the reader, once the batches it filled before have been taken.
  std::unique_ptr<RowBatch> takeFull() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return finished_ || !full_.empty(); });
    if (!full_.empty()) {
      auto batch = std::move(full_.front());
      full_.pop_front();
      return batch;
    }
    if (error_) std::rethrow_exception(error_);
    return nullptr;
  }
  void giveBack(std::unique_ptr<RowBatch> batch) {
    {
      const std::lock_guard lock(mutex_);
      empty_.push_back(std::move(batch));
    }
    changed_.notify_all();
  }
  // Importer: stop the reader (an error, or the end); it returns at its next batch.
  void cancel() {
    {
      const std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<RowBatch>> empty_;
  std::deque<std::unique_ptr<RowBatch>> full_;
  bool finished_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
};

constexpr std::size_t kRowsPerBatch = 512;
constexpr std::size_t kBatches = 4;

}  // namespace

// Validates the rows of one file against its kind's columns and applies the valid ones, in two
// steps: check() needs nothing but the row (so an import runs it on its reading thread) and
// apply() adds the checks that need the store (the child and the offence a row refers to) and
// writes. Their reasons come in the order a single pass gave them: the store's checks are last.
class CanonicalImporter::RowValidator {
 public:
  RowValidator(RecordKind kind, const CsvHeader& header, CanonicalImporter& importer)
      : kind_(kind), importer_(importer) {
    const auto& spec = specFor(kind);
    for (Column column : spec.required) columns_[index(column)] = header.find(nameOf(column));
    for (Column column : spec.optional) columns_[index(column)] = header.find(nameOf(column));
    width_ = header.size();
  }

  // Required columns the header lacks, e.g. "date_of_birth, person_id".
  std::string missingColumns() const {
    std::string missing;
    for (Column column : specFor(kind_).required) {
      if (!present(column)) missing += (missing.empty() ? "" : ", ") + std::string(nameOf(column));
    }
    return missing;
  }

  // The checks that need only the row. Reads nothing but the row, this validator's column
  // positions and the importer's settings, and writes only `out`: safe on another thread while
  // apply() runs on an earlier row.
  void check(const CsvRecord& record, CheckedRecord& out) const {
    out.kind = kind_;
    out.reasons.clear();
    out.date.reset();
    out.unreadable = !record.ok() || record.fields.size() != width_;
    if (!record.ok()) {
      out.reasons.add("csv", record.errorMessage());
      return;
    }
    if (record.fields.size() != width_) {
      out.reasons.add("csv", fmt::format("the row has {} fields, the header has {}",
                                         record.fields.size(), width_));
      return;
    }
    const Row row{record};
    switch (kind_) {
      case RecordKind::kPeople: checkPerson(row, out); break;
      case RecordKind::kOffences: checkOffence(row, out); break;
      case RecordKind::kOutcomes: checkOutcome(row, out); break;
    }
  }

  // The checks that need the store, then the write and its change events; nullopt with
  // `checked.reasons` filled when the record is rejected. On the thread that owns the store.
  std::optional<Applied> apply(CheckedRecord& checked) {
    if (checked.unreadable) return std::nullopt;
    switch (kind_) {
      case RecordKind::kPeople: return applyPerson(checked);
      case RecordKind::kOffences: return applyOffence(checked);
      case RecordKind::kOutcomes: return applyOutcome(checked);
    }
    return std::nullopt;
  }

  // Both steps at once (a retried row). `reasons` receives the reasons it is rejected for.
  std::optional<Applied> take(const CsvRecord& record, Reasons& reasons) {
    check(record, scratch_);
    auto applied = apply(scratch_);
    if (!applied) reasons.append(scratch_.reasons);
    return applied;
  }

 private:
  // The row being checked, read by position through the validator's columns.
  struct Row {
    const CsvRecord& record;
  };

  static std::size_t index(Column column) { return static_cast<std::size_t>(column); }

  bool present(Column column) const { return columns_[index(column)].has_value(); }

  std::string_view field(const Row& row, Column column) const {
    const auto position = columns_[index(column)];
    if (!position || *position >= row.record.fields.size()) return {};
    return trim(row.record.fields[*position]);
  }

  // nullopt when the file has no such column; the (possibly empty) value otherwise.
  void optionalText(const Row& row, Column column, std::optional<std::string>& target) const {
    if (!present(column)) {
      target.reset();
      return;
    }
    if (!target) target.emplace();
    target->assign(field(row, column));
  }

  void required(const Row& row, Column column, std::string& target, Reasons& reasons) const {
    const auto value = field(row, column);
    if (value.empty()) reasons.add(column, "required value is missing");
    target.assign(value);
  }

  std::optional<Date> date(const Row& row, Column column, Reasons& reasons) const {
    auto value = field(row, column);
    if (value.empty()) {
      reasons.add(column, "required value is missing");
      return std::nullopt;
    }
    auto parsed = Date::parse(value);
    if (!parsed) {
      reasons.add(column, "not a date in the form YYYY-MM-DD");
      return std::nullopt;
    }
    if (*parsed > importer_.today_) {
      reasons.add(column, fmt::format("date in the future (today is {})", importer_.today_.toString()));
      return std::nullopt;
    }
    return parsed;
  }

  static void toLower(std::string& text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }

  void checkPerson(const Row& row, CheckedRecord& out) const {
    tracking::PersonRecord& person = out.person;
    Reasons& reasons = out.reasons;
    required(row, Column::kPersonId, person.person_id, reasons);
    out.date = date(row, Column::kDateOfBirth, reasons);
    optionalText(row, Column::kFirstName, person.first_name);
    optionalText(row, Column::kLastName, person.last_name);
    optionalText(row, Column::kEthnicity, person.ethnicity);
    optionalText(row, Column::kTeam, person.team);
    optionalText(row, Column::kGender, person.gender);
    if (person.gender) {
      toLower(*person.gender);
      const std::string& gender = *person.gender;
      if (!gender.empty() && gender != "male" && gender != "female" && gender != "other" &&
          gender != "unknown") {
        reasons.add(Column::kGender, "expected one of male, female, other, unknown");
      }
    }
    person.looked_after.reset();
    if (auto looked_after = field(row, Column::kLookedAfter); !looked_after.empty()) {
      person.looked_after = parseBool(looked_after);
      if (!person.looked_after) {
        reasons.add(Column::kLookedAfter, "expected true or false (also yes/no, y/n, 1/0)");
      }
    }
    optionalText(row, Column::kCaseworker, person.caseworker);
    if (person.caseworker) {
      const std::string& caseworker = *person.caseworker;
      if (!caseworker.empty() && (caseworker.find('@') == std::string::npos ||
                                  caseworker.find(' ') != std::string::npos)) {
        reasons.add(Column::kCaseworker, "expected an e-mail address");
      }
    }
    person.updated_at.clear();
    if (auto updated_at = field(row, Column::kUpdatedAt); !updated_at.empty()) {
      auto normalised = normaliseTimestamp(updated_at);
      if (!normalised) {
        reasons.add(Column::kUpdatedAt,
                    "expected an ISO 8601 date-time such as 2025-03-04T10:15:00Z");
      } else {
        person.updated_at = std::move(*normalised);
      }
    }
  }

  std::optional<Applied> applyPerson(CheckedRecord& checked) {
    if (!checked.reasons.empty()) return std::nullopt;
    tracking::PersonRecord& person = checked.person;
    person.date_of_birth = *checked.date;
    changes_.clear();
    const auto applied = importer_.store_.applyPerson(person, importer_.today_, &changes_);
    if (!changes_.empty()) importer_.events_.personApplied(person, changes_);
    return applied;
  }

  void checkOffence(const Row& row, CheckedRecord& out) const {
    tracking::OffenceRecord& offence = out.offence;
    Reasons& reasons = out.reasons;
    required(row, Column::kOffenceId, offence.offence_id, reasons);
    required(row, Column::kPersonId, offence.person_id, reasons);
    out.date = date(row, Column::kOffenceDate, reasons);
    offence.offence_code.assign(field(row, Column::kOffenceCode));
    offence.description.assign(field(row, Column::kDescription));
    offence.gravity.reset();
    if (auto gravity = field(row, Column::kGravity); !gravity.empty()) {
      offence.gravity = parseInt(gravity);
      if (!offence.gravity || *offence.gravity < 1 || *offence.gravity > 8) {
        reasons.add(Column::kGravity, "expected a whole number from 1 to 8");
      }
    }
    offence.breach = false;
    if (auto breach = field(row, Column::kBreach); !breach.empty()) {
      auto parsed = parseBool(breach);
      if (!parsed) reasons.add(Column::kBreach, "expected true or false (also yes/no, y/n, 1/0)");
      offence.breach = parsed.value_or(false);
    }
  }

  std::optional<Applied> applyOffence(CheckedRecord& checked) {
    tracking::OffenceRecord& offence = checked.offence;
    Reasons& reasons = checked.reasons;
    const std::optional<Date>& committed = checked.date;
    if (!offence.person_id.empty()) {
      auto birth = importer_.store_.personBirthDate(offence.person_id);
      if (!birth) {
        reasons.add(Column::kPersonId,
                    "unknown child (the row is kept and retried once the child arrives)");
      } else if (committed && *committed < *birth) {
        reasons.add(Column::kOffenceDate, "before the child's date of birth");
      }
    }
    if (!reasons.empty()) return std::nullopt;
    offence.offence_date = *committed;
    const auto applied = importer_.store_.applyOffence(offence);
    importer_.events_.offenceApplied(offence, applied);
    return applied;
  }

  void checkOutcome(const Row& row, CheckedRecord& out) const {
    tracking::OutcomeRecord& outcome = out.outcome;
    Reasons& reasons = out.reasons;
    required(row, Column::kOutcomeId, outcome.outcome_id, reasons);
    required(row, Column::kPersonId, outcome.person_id, reasons);
    outcome.offence_id.assign(field(row, Column::kOffenceId));
    required(row, Column::kOutcomeType, outcome.outcome_type, reasons);
    toLower(outcome.outcome_type);
    out.date = date(row, Column::kOutcomeDate, reasons);
    const config::OutcomeTypeRule* rule = nullptr;
    if (!outcome.outcome_type.empty()) {
      rule = importer_.methodology_.findOutcomeType(outcome.outcome_type);
      if (rule == nullptr) {
        reasons.add(Column::kOutcomeType, "unknown outcome type (see methodology.outcome_types)");
      }
    }
    const bool is_release = rule != nullptr && rule->group == config::OutcomeGroup::kCustodyRelease;
    if (outcome.offence_id.empty() && rule != nullptr && !is_release) {
      reasons.add(Column::kOffenceId, "required for every outcome except a release from custody");
    }
  }

  std::optional<Applied> applyOutcome(CheckedRecord& checked) {
    tracking::OutcomeRecord& outcome = checked.outcome;
    Reasons& reasons = checked.reasons;
    const std::optional<Date>& decided = checked.date;
    if (!outcome.person_id.empty() && !importer_.store_.personBirthDate(outcome.person_id)) {
      reasons.add(Column::kPersonId,
                  "unknown child (the row is kept and retried once the child arrives)");
    } else if (!outcome.offence_id.empty()) {
      auto offence = importer_.store_.findOffence(outcome.offence_id);
      if (!offence) {
        reasons.add(Column::kOffenceId,
                    "unknown offence (the row is kept and retried once the offence arrives)");
      } else if (offence->person_id != outcome.person_id) {
        reasons.add(Column::kOffenceId, "the offence belongs to another child");
      } else if (decided && *decided < offence->offence_date) {
        reasons.add(Column::kOutcomeDate, "before the offence was committed");
      }
    }
    if (!reasons.empty()) return std::nullopt;
    outcome.outcome_date = *decided;
    const auto applied = importer_.store_.applyOutcome(outcome);
    importer_.events_.outcomeApplied(outcome, applied);
    return applied;
  }

  RecordKind kind_;
  CanonicalImporter& importer_;
  std::array<std::optional<std::size_t>, kColumnCount> columns_{};
  std::size_t width_ = 0;
  std::vector<tracking::PersonChange> changes_;
  CheckedRecord scratch_;  // take()'s
};

CanonicalImporter::CanonicalImporter(tracking::Store& store,
                                     const config::MethodologySettings& methodology, Date today,
                                     std::string source)
    : store_(store),
      methodology_(methodology),
      today_(today),
      source_(std::move(source)),
      events_(store, methodology, source_) {}

std::vector<FileImportSummary> CanonicalImporter::importFiles(
    const std::vector<std::filesystem::path>& files, std::optional<RecordKind> kind) {
  // People before offences before outcomes, so that rows refer to what is already stored.
  std::vector<std::pair<int, std::filesystem::path>> ordered;
  for (const auto& file : files) {
    // A pipe (import /dev/stdin) can be read only once: it is not peeked at for ordering.
    std::error_code ec;
    const bool peekable = std::filesystem::is_regular_file(file, ec);
    const int rank = kind ? static_cast<int>(*kind) : (peekable ? applyRank(file, nullptr) : 3);
    ordered.emplace_back(rank, file);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<FileImportSummary> summaries;
  for (const auto& [rank, file] : ordered) summaries.push_back(importFile(file, kind));
  return summaries;
}

FileImportSummary CanonicalImporter::importFile(const std::filesystem::path& file,
                                                std::optional<RecordKind> kind) {
  // Rejected rows are recorded under the file's canonical path, so that the same file named
  // another way is recognised.
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(file), ec);
  std::ifstream in(file, std::ios::binary);
  FileImportSummary summary;
  if (!in) {
    summary.file = file.string();
    summary.error = fmt::format("cannot open {}: {}", file.string(), std::strerror(errno));
    return summary;
  }
  // An ingest transaction, without SQLite's foreign-key checks: every reference a record writes
  // is checked here first (applyOffence and applyOutcome: the child, the offence and that it is
  // the child's) and looked up again by the store to be written, and events name their child
  // through the same lookup (none when unknown).
  auto transaction = store_.beginIngest();
  summary = importExport(in, ec ? file.string() : canonical.string(), nullptr, kind);
  summary.file = file.string();
  if (summary.error.empty()) transaction->commit();
  return summary;
}

FileImportSummary CanonicalImporter::importExport(std::istream& in, const std::string& file,
                                                  const config::MappingProfile* profile,
                                                  std::optional<RecordKind> kind) {
  FileImportSummary summary;
  summary.file = file;
  events_.reset();
  ExportReader reader(in, file, profile, kind);
  if (!reader.error().empty()) {
    summary.error = reader.error();
    return summary;
  }
  if (reader.kinds().empty()) return summary;  // an empty or header-only export: nothing to do
  summary.kind = reader.kinds().front();

  // One validator per kind the export yields, over the canonical columns it provides.
  std::map<RecordKind, std::unique_ptr<RowValidator>> validators;
  std::map<RecordKind, CsvHeader> headers;
  for (RecordKind record_kind : reader.kinds()) {
    const auto& columns = reader.providedColumns(record_kind);
    std::vector<std::string_view> names(columns.begin(), columns.end());
    std::string error;
    auto header = CsvHeader::parse(names, error);
    if (!header) {
      summary.error = error;
      return summary;
    }
    auto& stored = headers.emplace(record_kind, std::move(*header)).first->second;
    auto validator = std::make_unique<RowValidator>(record_kind, stored, *this);
    if (auto missing = validator->missingColumns(); !missing.empty()) {
      summary.error = fmt::format("missing required column(s) for {}: {}", toString(record_kind), missing);
      return summary;
    }
    validators.emplace(record_kind, std::move(validator));
  }

  // Rows of this export rejected by an earlier import and not rejected again now have been
  // taken or fixed at their source: they are resolved at the end.
  std::set<std::pair<long, std::string>> earlier;
  for (const auto& row : store_.pendingRejected()) {
    if (row.source == source_ && row.file == file) earlier.emplace(row.line, row.raw);
  }
  const std::string header_line = reader.header();
  auto reject = [&](const CheckedRow& row, RecordKind record_kind, const std::string& reason) {
    ++summary.rejected;
    const tracking::RejectedRow rejected{source_, file, static_cast<long>(row.line),
                                         std::string(toString(record_kind)), reason, row.raw,
                                         header_line};
    store_.recordRejected(rejected);
    if (!earlier.empty()) earlier.erase({rejected.line, rejected.raw});
    if (on_rejected_) on_rejected_(rejected);
  };

  // Two threads, as .import's one thread reads, parses and writes: this one owns the store and
  // applies the rows in file order (so the records, rejected rows and change events are the same,
  // in the same order, as one thread gave); a reading thread decodes, maps and checks what needs
  // no store a few batches ahead. Nothing is shared but the batches handed over by the pipe.
  RowPipe pipe(kBatches);
  MappedRow row;  // the reading thread's
  CsvRecord view;  // the reading thread's
  auto readRows = [&] {
    try {
      bool more = true;
      while (more) {
        auto batch = pipe.takeEmpty();
        if (!batch) return;  // the importer stopped
        batch->count = 0;
        while (batch->count < kRowsPerBatch && (more = reader.next(row))) {
          if (batch->rows.size() == batch->count) batch->rows.emplace_back();
          CheckedRow& checked = batch->rows[batch->count++];
          checked.line = row.line;
          checked.raw.swap(row.raw);  // the reader assigns both afresh for the next row
          checked.error.swap(row.error);
          checked.count = 0;
          if (!checked.error.empty()) continue;
          for (const auto& record : row.records) {
            if (checked.records.size() == checked.count) checked.records.emplace_back();
            view.line = row.line;
            view.raw = checked.raw;
            view.error = CsvError::kNone;
            view.fields.assign(record.fields.begin(), record.fields.end());
            validators.at(record.kind)->check(view, checked.records[checked.count++]);
          }
        }
        if (batch->count > 0) pipe.pushFull(std::move(batch));
      }
      pipe.finish(nullptr);
    } catch (...) {
      pipe.finish(std::current_exception());
    }
  };
  std::thread reading(readRows);
  // However this thread leaves (a store error propagates), the reader is stopped and joined
  // before what it uses goes away.
  struct StopReading {
    RowPipe& pipe;
    std::thread& thread;
    ~StopReading() {
      pipe.cancel();
      thread.join();
    }
  } stop_reading{pipe, reading};

  while (auto batch = pipe.takeFull()) {
    for (std::size_t r = 0; r < batch->count; ++r) {
      CheckedRow& checked = batch->rows[r];
      if (!checked.error.empty()) {
        reject(checked, *summary.kind, checked.error);
        continue;
      }
      for (std::size_t i = 0; i < checked.count; ++i) {
        CheckedRecord& record = checked.records[i];
        const RecordKind record_kind = record.kind;
        auto applied = validators.at(record_kind)->apply(record);
        if (!applied) {
          reject(checked, record_kind, record.reasons.text());
          break;  // a wide row's outcome is not applied without its offence
        }
        ++summary.taken;
        switch (*applied) {
          case Applied::kInserted: ++summary.inserted; break;
          case Applied::kUpdated: ++summary.updated; break;
          case Applied::kUnchanged: ++summary.unchanged; break;
          case Applied::kOlderIgnored: ++summary.older_ignored; break;
        }
      }
    }
    pipe.giveBack(std::move(batch));
  }
  for (const auto& [line, raw] : earlier) {
    store_.resolveRejected({source_, file, line, "", "", raw, header_line});
  }
  spdlog::info("imported {}: {} taken ({} new, {} updated, {} unchanged, {} older ignored), {} rejected",
               file, summary.taken, summary.inserted, summary.updated, summary.unchanged,
               summary.older_ignored, summary.rejected);
  return summary;
}

RetrySummary CanonicalImporter::retryRejected(const ProfileLookup& profile_of, std::string_view source) {
  RetrySummary summary;
  auto rows = store_.pendingRejected();
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return parseRecordKind(a.kind).value_or(RecordKind::kOutcomes) <
           parseRecordKind(b.kind).value_or(RecordKind::kOutcomes);
  });
  auto transaction = store_.beginIngest();
  events_.reset();
  for (auto& row : rows) {
    if (!source.empty() && row.source != source) continue;
    const auto kind = parseRecordKind(row.kind);
    if (!kind) continue;
    ++summary.retried;
    // The row is read again through its source's current mapping, so that a fixed profile
    // takes rows it rejected before. Stored rows are UTF-8 already.
    const config::MappingProfile* profile = profile_of ? profile_of(row.source) : nullptr;
    events_.setSource(row.source);
    std::istringstream text(row.header + "\n" + row.raw + "\n");
    ExportReader reader(text, row.file, profile, profile == nullptr ? kind : std::nullopt,
                        ExportReader::Input::kUtf8);
    MappedRow mapped;
    Reasons reasons;
    bool taken = false;
    if (!reader.error().empty()) {
      reasons.add("file", reader.error());
    } else if (!reader.next(mapped)) {
      reasons.add("csv", "the stored row can no longer be read");
    } else if (!mapped.error.empty()) {
      reasons = Reasons();
      reasons.add("row", mapped.error);
    } else {
      taken = true;
      CsvRecord view;
      for (const auto& record : mapped.records) {
        const auto& columns = reader.providedColumns(record.kind);
        std::vector<std::string_view> names(columns.begin(), columns.end());
        std::string error;
        auto header = CsvHeader::parse(names, error);
        RowValidator validator(record.kind, *header, *this);
        view.line = static_cast<std::size_t>(row.line);
        view.raw = mapped.raw;
        view.error = CsvError::kNone;
        view.fields.assign(record.fields.begin(), record.fields.end());
        if (!validator.take(view, reasons)) {
          taken = false;
          break;
        }
      }
    }
    if (taken) {
      ++summary.taken;
      ++summary.taken_by_source[row.source];
      store_.resolveRejected(row);
    } else {
      ++summary.still_rejected;
      row.reason = reasons.text();
      store_.recordRejected(row);
    }
  }
  events_.setSource(source_);
  transaction->commit();
  return summary;
}

}  // namespace cohortwatch::connectors
