#include "connectors/export_mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "connectors/text_encoding.h"

namespace cohortwatch::connectors {

namespace {

using config::CanonicalKind;
using config::FieldSource;

constexpr std::array<RecordKind, 3> kAllKinds = {RecordKind::kPeople, RecordKind::kOffences,
                                                 RecordKind::kOutcomes};

CanonicalKind toCanonicalKind(RecordKind kind) {
  switch (kind) {
    case RecordKind::kPeople: return CanonicalKind::kPeople;
    case RecordKind::kOffences: return CanonicalKind::kOffences;
    case RecordKind::kOutcomes: return CanonicalKind::kOutcomes;
  }
  return CanonicalKind::kPeople;
}

RecordKind toRecordKind(CanonicalKind kind) {
  switch (kind) {
    case CanonicalKind::kPeople: return RecordKind::kPeople;
    case CanonicalKind::kOffences: return RecordKind::kOffences;
    case CanonicalKind::kOutcomes: return RecordKind::kOutcomes;
  }
  return RecordKind::kPeople;
}

std::size_t indexOf(RecordKind kind) {
  return static_cast<std::size_t>(toCanonicalKind(kind));
}

// Every canonical field once (person_id and offence_id are shared between kinds): a row's values
// are held by these slots, and each record takes the slots of its kind.
const std::vector<std::string_view>& slotNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> list;
    for (RecordKind kind : kAllKinds) {
      for (const auto& field : config::canonicalFields(toCanonicalKind(kind))) {
        if (std::find(list.begin(), list.end(), field.name) == list.end()) {
          list.push_back(field.name);
        }
      }
    }
    return list;
  }();
  return names;
}

std::size_t slotOf(std::string_view name) {
  const auto& names = slotNames();
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// Fields only an offence has / only an outcome has: what decides whether a wide row carries an
// offence, an outcome, or both.
constexpr std::array<std::string_view, 6> kOffenceOnly = {
    "offence_id", "offence_date", "offence_code", "description", "gravity", "breach"};
constexpr std::array<std::string_view, 3> kOutcomeOnly = {"outcome_id", "outcome_type",
                                                          "outcome_date"};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string joinQuoted(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += fmt::format("'{}'", name);
  }
  return joined;
}

enum class Convert : std::uint8_t { kNone, kDate, kDateTime };

Convert conversionOf(std::string_view field) {
  if (field == "date_of_birth" || field == "offence_date" || field == "outcome_date") {
    return Convert::kDate;
  }
  if (field == "updated_at") return Convert::kDateTime;
  return Convert::kNone;
}

// Writes `value` as `width` digits at `at` (the caller checked that it fits).
void putDigits(std::string& text, std::size_t at, std::size_t width, unsigned value) {
  for (std::size_t i = width; i-- > 0; value /= 10) {
    text[at + i] = static_cast<char>('0' + value % 10);
  }
}

bool fitsTwoDigits(const config::DatePattern::Parts& parts) {
  return parts.month < 100 && parts.day < 100 && parts.hour >= 0 && parts.hour < 100 &&
         parts.minute >= 0 && parts.minute < 100 && parts.second >= 0 && parts.second < 100;
}

// YYYY-MM-DD into `out`, as fmt's "{:04}-{:02}-{:02}" writes it; by hand, as every date of every
// row of an export passes here.
void isoDate(const config::DatePattern::Parts& parts, std::string& out) {
  if (parts.year < 0 || parts.year > 9999 || !fitsTwoDigits(parts)) {
    out = fmt::format("{:04}-{:02}-{:02}", parts.year, parts.month, parts.day);
    return;
  }
  out.assign("0000-00-00");
  putDigits(out, 0, 4, static_cast<unsigned>(parts.year));
  putDigits(out, 5, 2, parts.month);
  putDigits(out, 8, 2, parts.day);
}

// YYYY-MM-DDTHH:MM:SSZ into `out`, likewise.
void isoDateTime(const config::DatePattern::Parts& parts, std::string& out) {
  if (parts.year < 0 || parts.year > 9999 || !fitsTwoDigits(parts)) {
    out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", parts.year, parts.month, parts.day,
                      parts.hour, parts.minute, parts.second);
    return;
  }
  out.assign("0000-00-00T00:00:00Z");
  putDigits(out, 0, 4, static_cast<unsigned>(parts.year));
  putDigits(out, 5, 2, parts.month);
  putDigits(out, 8, 2, parts.day);
  putDigits(out, 11, 2, static_cast<unsigned>(parts.hour));
  putDigits(out, 14, 2, static_cast<unsigned>(parts.minute));
  putDigits(out, 17, 2, static_cast<unsigned>(parts.second));
}

// The codes of a value map as a message lists them (at most a dozen).
std::string listCodes(const config::ValueMap& map) {
  std::string list;
  std::size_t shown = 0;
  for (const auto& [code, value] : map.codes) {
    if (shown++ == 12) {
      list += ", ...";
      break;
    }
    if (!list.empty()) list += ", ";
    list += code;
  }
  return list;
}

}  // namespace

const std::vector<std::string>& canonicalColumns(RecordKind kind) {
  static const std::array<std::vector<std::string>, 3> columns = [] {
    std::array<std::vector<std::string>, 3> all;
    for (RecordKind each : kAllKinds) {
      for (const auto& field : config::canonicalFields(toCanonicalKind(each))) {
        all[indexOf(each)].emplace_back(field.name);
      }
    }
    return all;
  }();
  return columns[indexOf(kind)];
}

// Where each slot's value comes from in this file, and which slots make up each record.
struct ExportReader::Plan {
  struct Slot {
    bool used = false;
    FieldSource::Kind source = FieldSource::Kind::kColumn;
    std::size_t column = 0;   // kColumn: position in the header
    std::string source_name;  // kColumn: the header's name, for messages
    const config::ValueMap* values = nullptr;
    Convert convert = Convert::kNone;
    std::string constant;  // kConstant
    std::size_t from = 0;  // kCopy: the slot copied
    std::string prefix;    // kCopy
    std::string suffix;    // kCopy
  };

  std::vector<Slot> slots = std::vector<Slot>(slotNames().size());
  std::array<std::vector<std::size_t>, 3> kind_slots;  // by RecordKind, in DOMAIN.md order
  const config::FileMapping* entry = nullptr;          // nullptr: canonical CSV
  bool wide = false;
  bool hint_encoding = false;  // suggest windows-1252 when a row is not UTF-8
  std::vector<std::string> values = std::vector<std::string>(slotNames().size());
  std::string code;  // a value being looked up in a value map, lower-cased
  // Slots of the fields only an offence / only an outcome has (wide rows).
  std::vector<std::size_t> offence_only;
  std::vector<std::size_t> outcome_only;
};

ExportReader::ExportReader(std::istream& in, std::string file_name,
                           const config::MappingProfile* profile, std::optional<RecordKind> kind,
                           Input input)
    : file_name_(std::move(file_name)), profile_(profile), provided_(3) {
  std::istream* source = &in;
  if (profile_ != nullptr && input == Input::kAsProfile &&
      profile_->encoding == config::TextEncoding::kWindows1252) {
    decoded_ = std::make_unique<Windows1252Istream>(in);
    source = decoded_.get();
  }
  csv_ = std::make_unique<CsvReader>(*source);
  start(kind);
}

ExportReader::~ExportReader() = default;

const std::vector<std::string>& ExportReader::providedColumns(RecordKind kind) const {
  return provided_[indexOf(kind)];
}

std::size_t ExportReader::replacedBytes() const {
  if (!decoded_) return 0;
  return decoded_->decoder().replacements();
}

std::string ExportReader::sourceColumn(RecordKind kind, std::string_view canonical_column) const {
  if (plan_) {
    const std::size_t slot = slotOf(canonical_column);
    const auto& kind_slots = plan_->kind_slots[indexOf(kind)];
    if (slot < plan_->slots.size() &&
        std::find(kind_slots.begin(), kind_slots.end(), slot) != kind_slots.end() &&
        plan_->slots[slot].source == FieldSource::Kind::kColumn) {
      return plan_->slots[slot].source_name;
    }
  }
  return std::string(canonical_column);
}

void ExportReader::start(std::optional<RecordKind> kind) {
  plan_ = std::make_unique<Plan>();
  const bool have_header = csv_->next(record_);
  std::vector<std::string> names;
  if (have_header) {
    header_.assign(record_.raw);
    if (!record_.ok()) {
      error_ = fmt::format("header row: {}", record_.errorMessage());
    } else {
      csv_header_ = CsvHeader::parse(record_.fields, error_);
      if (!csv_header_) {
        error_ = fmt::format("header row: {}", error_);
      } else {
        names = csv_header_->names();
      }
    }
  }
  if (error_.empty()) {
    const bool planned = profile_ != nullptr ? planProfile(names) : planCanonical(kind, names);
    if (!planned && error_.empty() && have_header) error_ = "cannot map this file";
  }
  if (!error_.empty()) {
    kinds_.clear();
    for (auto& columns : provided_) columns.clear();
  }
  done_ = !error_.empty() || !have_header;
}

bool ExportReader::planCanonical(std::optional<RecordKind> kind,
                                 const std::vector<std::string>& header_names) {
  if (!kind && !header_names.empty()) kind = recogniseKind(header_names);
  if (!kind) {
    if (!header_names.empty()) {
      error_ =
          "cannot tell the kind of file from its header (expected people, offences or outcomes "
          "columns; use --kind)";
    }
    return false;
  }
  Plan& plan = *plan_;
  std::vector<std::string> missing;
  for (const auto& field : config::canonicalFields(toCanonicalKind(*kind))) {
    const std::optional<std::size_t> column =
        csv_header_ ? csv_header_->find(field.name) : std::nullopt;
    if (!column) {
      if (field.required) missing.emplace_back(field.name);
      continue;
    }
    Plan::Slot& slot = plan.slots[slotOf(field.name)];
    slot.used = true;
    slot.column = *column;
    slot.source_name = std::string(field.name);
    plan.kind_slots[indexOf(*kind)].push_back(slotOf(field.name));
  }
  if (!missing.empty() && csv_header_) {
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
    error_ = fmt::format("missing required column(s) for {}: {}", toString(*kind), list);
    return false;
  }
  kinds_ = {*kind};
  for (std::size_t slot : plan.kind_slots[indexOf(*kind)]) {
    provided_[indexOf(*kind)].emplace_back(slotNames()[slot]);
  }
  return true;
}

bool ExportReader::planProfile(const std::vector<std::string>& header_names) {
  const config::MappingProfile& profile = *profile_;
  const std::string base = std::filesystem::path(file_name_).filename().string();
  const config::FileMapping* chosen = nullptr;
  std::vector<std::string> patterns;
  for (const config::FileMapping& entry : profile.files) {
    if (!entry.match.empty()) {
      const bool matches =
          std::any_of(entry.match.begin(), entry.match.end(),
                      [&](const auto& glob) { return config::globMatches(glob, base); });
      patterns.insert(patterns.end(), entry.match.begin(), entry.match.end());
      if (matches) {
        chosen = &entry;
        break;
      }
      continue;
    }
    // Recognised by its header: every column it reads is there.
    if (!csv_header_) continue;
    const bool all_there =
        std::all_of(entry.fields.begin(), entry.fields.end(), [&](const auto& f) {
          return f.second.kind != FieldSource::Kind::kColumn ||
                 csv_header_->find(f.second.column).has_value();
        });
    if (all_there) {
      chosen = &entry;
      break;
    }
  }
  if (chosen == nullptr) {
    if (header_names.empty()) return false;  // an empty file: nothing to map, nothing wrong
    error_ = fmt::format("no file entry of mapping '{}' fits this file: ", profile.name);
    if (!patterns.empty()) {
      error_ += fmt::format("its name matches none of {}", joinQuoted(patterns));
    } else {
      error_ += "its header lacks columns every entry needs";
    }
    return false;
  }

  Plan& plan = *plan_;
  plan.entry = chosen;
  plan.wide = chosen->layout == config::ExportLayout::kWide;
  for (std::string_view field : kOffenceOnly) plan.offence_only.push_back(slotOf(field));
  for (std::string_view field : kOutcomeOnly) plan.outcome_only.push_back(slotOf(field));
  plan.hint_encoding = profile.encoding == config::TextEncoding::kUtf8;
  std::vector<std::string> missing;
  for (const auto& [field, source] : chosen->fields) {
    Plan::Slot& slot = plan.slots[slotOf(field)];
    slot.used = true;
    slot.source = source.kind;
    slot.convert = conversionOf(field);
    switch (source.kind) {
      case FieldSource::Kind::kColumn: {
        const std::optional<std::size_t> column =
            csv_header_ ? csv_header_->find(source.column) : std::nullopt;
        if (!column) {
          if (std::find(missing.begin(), missing.end(), source.column) == missing.end()) {
            missing.push_back(source.column);
          }
          break;
        }
        slot.column = *column;
        slot.source_name = csv_header_->names()[*column];
        if (auto map = chosen->values.find(field); map != chosen->values.end()) {
          slot.values = &map->second;
        }
        break;
      }
      case FieldSource::Kind::kConstant: slot.constant = source.value; break;
      case FieldSource::Kind::kCopy:
        slot.from = slotOf(source.from);
        slot.prefix = source.prefix;
        slot.suffix = source.suffix;
        break;
    }
  }
  if (!missing.empty() && csv_header_) {
    error_ =
        fmt::format("missing column{} {} (mapping '{}', {} file entry defined on line {} of {})",
                    missing.size() == 1 ? "" : "s", joinQuoted(missing), profile.name,
                    toString(chosen->layout), chosen->line, profile.defined_in);
    return false;
  }
  for (CanonicalKind canonical_kind : chosen->kinds()) {
    const RecordKind kind = toRecordKind(canonical_kind);
    kinds_.push_back(kind);
    for (const auto& field : config::canonicalFields(canonical_kind)) {
      if (chosen->source(field.name) == nullptr) continue;
      plan.kind_slots[indexOf(kind)].push_back(slotOf(field.name));
      provided_[indexOf(kind)].emplace_back(field.name);
    }
  }
  return true;
}

bool ExportReader::next(MappedRow& row) {
  if (done_) return false;
  if (!csv_->next(record_)) {
    done_ = true;
    return false;
  }
  row.line = record_.line;
  row.raw.assign(record_.raw);
  row.error.clear();
  if (!record_.ok()) {
    row.records.clear();
    row.error = fmt::format("csv: {}", record_.errorMessage());
    if (record_.error == CsvError::kInvalidUtf8 && plan_->hint_encoding) {
      row.error += " (if the export is windows-1252, say encoding: windows-1252 in the profile)";
    }
    return true;
  }
  if (record_.fields.size() != csv_header_->size()) {
    row.records.clear();
    row.error = fmt::format("csv: the row has {} fields, the header has {}", record_.fields.size(),
                            csv_header_->size());
    return true;
  }
  mapRow(row);
  return true;
}

void ExportReader::mapRow(MappedRow& row) {
  Plan& plan = *plan_;
  const config::FileMapping* entry = plan.entry;
  auto problem = [&](const Plan::Slot& slot, std::string_view reason) {
    if (!row.error.empty()) row.error += "; ";
    row.error += slot.source_name;
    row.error += ": ";
    row.error += reason;
  };
  // Columns first, then constants and copies, which may take a column's mapped value.
  for (std::size_t i = 0; i < plan.slots.size(); ++i) {
    const Plan::Slot& slot = plan.slots[i];
    if (!slot.used || slot.source != FieldSource::Kind::kColumn) continue;
    std::string& value = plan.values[i];
    value.assign(trim(record_.fields[slot.column]));
    if (entry == nullptr || value.empty()) continue;
    if (slot.values != nullptr) {
      // Matched ignoring case, through a lower-cased copy kept from row to row.
      plan.code.assign(value);
      for (char& c : plan.code) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      auto code = slot.values->codes.find(plan.code);
      if (code != slot.values->codes.end()) {
        value = code->second;
        continue;  // a mapped value is canonical as it stands
      }
      if (slot.values->strict) {
        problem(slot, fmt::format("not one of the codes of the {} map ({})", slotNames()[i],
                                  listCodes(*slot.values)));
        continue;
      }
    }
    if (slot.convert == Convert::kDate) {
      if (auto parts = entry->date_format.match(value)) {
        isoDate(*parts, value);
      } else {
        problem(slot, fmt::format("not a date in the form {}", entry->date_format.text()));
      }
    } else if (slot.convert == Convert::kDateTime && entry->datetime_format) {
      if (auto parts = entry->datetime_format->match(value)) {
        isoDateTime(*parts, value);
      } else if (auto day = entry->date_format.match(value)) {
        isoDateTime(*day, value);
      } else {
        problem(slot, fmt::format("not a date-time in the form {} (or a date {})",
                                  entry->datetime_format->text(), entry->date_format.text()));
      }
    }
  }
  if (!row.error.empty()) {
    row.records.clear();
    return;
  }
  for (std::size_t i = 0; i < plan.slots.size(); ++i) {
    const Plan::Slot& slot = plan.slots[i];
    if (!slot.used) continue;
    if (slot.source == FieldSource::Kind::kConstant) {
      plan.values[i] = slot.constant;
    } else if (slot.source == FieldSource::Kind::kCopy) {
      const std::string& from = plan.values[slot.from];
      plan.values[i] = from.empty() ? std::string() : slot.prefix + from + slot.suffix;
    }
  }

  bool offence = true;
  bool outcome = false;
  if (plan.wide) {
    auto anyFrom = [&](const std::vector<std::size_t>& slots) {
      return std::any_of(slots.begin(), slots.end(), [&](std::size_t i) {
        return plan.slots[i].used && plan.slots[i].source == FieldSource::Kind::kColumn &&
               !plan.values[i].empty();
      });
    };
    outcome = anyFrom(plan.outcome_only);
    // A row with an outcome and no offence at all is an outcome of its own (a release).
    offence = anyFrom(plan.offence_only) || !outcome;
  }
  // The records of a reused MappedRow are reused too, so that steady-state reading keeps the
  // strings' capacity instead of allocating every field of every row.
  std::size_t used = 0;
  for (RecordKind kind : kinds_) {
    if (plan.wide && ((kind == RecordKind::kOffences && !offence) ||
                      (kind == RecordKind::kOutcomes && !outcome))) {
      continue;
    }
    CanonicalRecord& record =
        used < row.records.size() ? row.records[used] : row.records.emplace_back();
    ++used;
    record.kind = kind;
    const auto& slots = plan.kind_slots[indexOf(kind)];
    record.fields.resize(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) record.fields[i] = plan.values[slots[i]];
  }
  row.records.resize(used);
}

}  // namespace cohortwatch::connectors
