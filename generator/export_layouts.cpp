#include "generator/export_layouts.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "config/mapping_settings.h"
#include "connectors/text_encoding.h"
#include "generator/csv_file_writer.h"
#include "generator/synthetic_catalogue.h"

namespace cohortwatch::generator {

namespace {

using tracking::Date;

constexpr std::array<std::string_view, 3> kLayoutNames = {"canonical", "childview_style_example",
                                                          "wide_style_example"};

void writeHeader(CsvFileWriter& file, const std::vector<std::string_view>& names) {
  for (std::string_view name : names) file.field(name);
  file.endRow();
}

std::vector<std::string_view> canonicalHeader(config::CanonicalKind kind) {
  std::vector<std::string_view> names;
  for (const auto& field : config::canonicalFields(kind)) names.push_back(field.name);
  return names;
}

// The canonical files, written straight from the typed rows: this is the path benchmarks take.
class CanonicalWriter final : public ExportWriter {
 public:
  explicit CanonicalWriter(const std::filesystem::path& dir)
      : people_(dir / "people.csv"),
        offences_(dir / "offences.csv"),
        outcomes_(dir / "outcomes.csv") {
    writeHeader(people_, canonicalHeader(config::CanonicalKind::kPeople));
    writeHeader(offences_, canonicalHeader(config::CanonicalKind::kOffences));
    writeHeader(outcomes_, canonicalHeader(config::CanonicalKind::kOutcomes));
  }

  // ExportWriter
  void person(const PersonRow& row) override {
    people_.idField("P", row.number);
    people_.field(row.first_name);
    people_.field(row.last_name);
    people_.dateField(row.birth);
    people_.field(row.gender);
    people_.field(row.ethnicity);
    people_.field(row.looked_after ? "true" : "false");
    people_.field(row.caseworker);
    people_.field(row.team);
    people_.dateTimeField(row.updated, row.updated_minute);
    people_.endRow();
  }
  void offence(const OffenceRow& row) override {
    offences_.idField("O", row.number);
    offences_.idField("P", row.person);
    offences_.dateField(row.date);
    offences_.field(row.code);
    offences_.field(row.description);
    offences_.integerField(row.gravity);
    offences_.field(row.breach ? "true" : "false");
    offences_.endRow();
  }
  void outcome(const OutcomeRow& row) override {
    outcomes_.idField("D", row.number);
    outcomes_.idField("P", row.person);
    if (row.linked) {
      outcomes_.idField("O", row.offence);
    } else {
      outcomes_.emptyField();
    }
    outcomes_.field(row.type);
    outcomes_.dateField(row.date);
    outcomes_.endRow();
  }
  void invalidRow(CanonicalFile file, const std::vector<std::string>& fields) override {
    CsvFileWriter& out = file == CanonicalFile::kPeople     ? people_
                         : file == CanonicalFile::kOffences ? offences_
                                                            : outcomes_;
    for (const auto& text : fields) out.field(text);
    out.endRow();
  }
  void close() override {
    people_.close();
    offences_.close();
    outcomes_.close();
  }

 private:
  CsvFileWriter people_;
  CsvFileWriter offences_;
  CsvFileWriter outcomes_;
};

// A canonical row as (field, value) pairs, in DOMAIN.md order.
using Values = std::vector<std::pair<std::string_view, std::string>>;

Values valuesOf(config::CanonicalKind kind, std::vector<std::string> fields) {
  Values values;
  const auto& names = config::canonicalFields(kind);
  for (std::size_t i = 0; i < names.size(); ++i) {
    values.emplace_back(names[i].name, i < fields.size() ? std::move(fields[i]) : std::string());
  }
  return values;
}

std::string idText(char prefix, std::uint64_t number) {
  return fmt::format("{}{:07}", prefix, number);
}

std::string dateTimeText(Date date, int minute) {
  return fmt::format("{}T{:02}:{:02}:00Z", date.toString(), minute / 60, minute % 60);
}

// One column of an export file: a canonical field, or a constant the profile ignores.
struct Column {
  std::string_view header;
  std::string_view field;
  std::string_view constant = {};
};

struct FileSpec {
  std::string_view name;
  std::vector<Column> columns;
};

// Everything that makes an export look like one system's: files, column names, date style,
// codes, encoding.
struct Style {
  bool windows1252 = false;
  bool padded_dates = true;                        // dd/mm/yyyy HH:MM, or d/m/yyyy H:MM
  std::array<std::string_view, 4> genders;         // male, female, other, unknown
  std::array<std::string_view, 2> booleans;        // true, false
  std::array<std::string_view, 17> outcome_codes;  // indexed like catalogue::kOutcomeCodes
  FileSpec people;
  FileSpec offences;                 // offences, or the wide file
  std::optional<FileSpec> outcomes;  // none: a wide layout
};

Style childviewStyle() {
  Style style;
  style.windows1252 = true;
  style.padded_dates = true;
  style.genders = {"M", "F", "O", "U"};
  style.booleans = {"Y", "N"};
  style.outcome_codes = {"YC",  "YCC", "AD",   "CD",  "FINE", "COMP", "REP", "RO", "YRO",
                         "OTH", "DTO", "CUST", "REL", "CR",   "OC22", "NFA", "TRI"};
  style.people = {"clients.csv",
                  {{"Client Ref", "person_id"},
                   {"Surname", "last_name"},
                   {"Forename", "first_name"},
                   {"DOB", "date_of_birth"},
                   {"Sex", "gender"},
                   {"Ethnicity", "ethnicity"},
                   {"LAC Status", "looked_after"},
                   {"Team", "team"},
                   {"Case Worker Email", "caseworker"},
                   {"Record Status", "", "Open"},
                   {"Last Updated", "updated_at"}}};
  style.offences = {"offences.csv",
                    {{"Offence Ref", "offence_id"},
                     {"Client Ref", "person_id"},
                     {"Offence Date", "offence_date"},
                     {"HO Code", "offence_code"},
                     {"Offence Description", "description"},
                     {"Gravity Score", "gravity"},
                     {"Breach Flag", "breach"}}};
  style.outcomes = FileSpec{"disposals.csv",
                            {{"Disposal Ref", "outcome_id"},
                             {"Client Ref", "person_id"},
                             {"Offence Ref", "offence_id"},
                             {"Disposal Date", "outcome_date"},
                             {"Disposal Code", "outcome_type"}}};
  return style;
}

Style wideStyle() {
  Style style;
  style.windows1252 = false;
  style.padded_dates = false;
  style.genders = {"Male", "Female", "Other", "Not known"};
  style.booleans = {"Yes", "No"};
  style.outcome_codes = {"Youth Caution",
                         "Youth Conditional Caution",
                         "Absolute Discharge",
                         "Conditional Discharge",
                         "Fine",
                         "Compensation Order",
                         "Reparation Order",
                         "Referral Order",
                         "Youth Rehabilitation Order",
                         "Other Court Disposal",
                         "Detention and Training Order",
                         "Custodial Sentence",
                         "Release from Custody",
                         "Community Resolution",
                         "Outcome 22",
                         "No Further Action",
                         "Triage"};
  style.people = {"young_people.csv",
                  {{"YP ID", "person_id"},
                   {"Given Name", "first_name"},
                   {"Family Name", "last_name"},
                   {"Date of Birth", "date_of_birth"},
                   {"Gender", "gender"},
                   {"Ethnic Group", "ethnicity"},
                   {"Looked After", "looked_after"},
                   {"Worker Email", "caseworker"},
                   {"Locality", "team"},
                   {"Modified", "updated_at"}}};
  style.offences = {"offence_outcomes.csv",
                    {{"YP ID", "person_id"},
                     {"Offence No", "offence_id"},
                     {"Date Committed", "offence_date"},
                     {"Offence Code", "offence_code"},
                     {"Offence", "description"},
                     {"Seriousness", "gravity"},
                     {"Breach?", "breach"},
                     {"Outcome No", "outcome_id"},
                     {"Outcome", "outcome_type"},
                     {"Outcome Date", "outcome_date"}}};
  return style;
}

bool isDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A file in one of the example layouts: canonical values converted field by field.
class LayoutWriter final : public ExportWriter {
 public:
  LayoutWriter(Style style, const std::filesystem::path& dir)
      : style_(std::move(style)),
        people_(dir / std::string(style_.people.name)),
        offences_(dir / std::string(style_.offences.name)) {
    if (style_.outcomes) outcomes_.emplace(dir / std::string(style_.outcomes->name));
    writeHeader(people_, style_.people);
    writeHeader(offences_, style_.offences);
    if (outcomes_) writeHeader(*outcomes_, *style_.outcomes);
  }

  // ExportWriter
  void person(const PersonRow& row) override {
    write(
        people_, style_.people,
        valuesOf(config::CanonicalKind::kPeople,
                 {idText('P', row.number), std::string(row.first_name), std::string(row.last_name),
                  row.birth.toString(), std::string(row.gender), std::string(row.ethnicity),
                  row.looked_after ? "true" : "false", std::string(row.caseworker),
                  std::string(row.team), dateTimeText(row.updated, row.updated_minute)}),
        {});
  }
  void offence(const OffenceRow& row) override {
    Values values = valuesOf(config::CanonicalKind::kOffences,
                             {idText('O', row.number), idText('P', row.person), row.date.toString(),
                              std::string(row.code), std::string(row.description),
                              std::to_string(row.gravity), row.breach ? "true" : "false"});
    if (outcomes_) {
      write(offences_, style_.offences, values, {});
    } else {
      child_offences_.push_back({row.number, std::move(values)});
    }
  }
  void outcome(const OutcomeRow& row) override {
    Values values = valuesOf(config::CanonicalKind::kOutcomes,
                             {idText('D', row.number), idText('P', row.person),
                              row.linked ? idText('O', row.offence) : std::string(),
                              std::string(row.type), row.date.toString()});
    if (outcomes_) {
      write(*outcomes_, *style_.outcomes, values, {});
    } else {
      child_outcomes_.push_back({row.offence, std::move(values)});
    }
  }
  void invalidRow(CanonicalFile file, const std::vector<std::string>& fields) override {
    switch (file) {
      case CanonicalFile::kPeople:
        write(people_, style_.people, valuesOf(config::CanonicalKind::kPeople, fields), {});
        break;
      case CanonicalFile::kOffences:
        write(offences_, style_.offences, valuesOf(config::CanonicalKind::kOffences, fields), {});
        break;
      case CanonicalFile::kOutcomes:
        if (outcomes_) {
          write(*outcomes_, *style_.outcomes, valuesOf(config::CanonicalKind::kOutcomes, fields),
                {});
        } else {
          write(offences_, style_.offences, {}, valuesOf(config::CanonicalKind::kOutcomes, fields));
        }
        break;
    }
  }
  // A wide file: each offence with each of its outcomes, or alone while it has none; a release
  // from custody follows the sentence it ends, with empty offence columns.
  void endChild() override {
    if (outcomes_) return;
    for (const auto& [number, offence] : child_offences_) {
      bool written = false;
      for (const auto& [attached, outcome] : child_outcomes_) {
        if (attached != number || field(outcome, "offence_id").empty()) continue;
        write(offences_, style_.offences, offence, outcome);
        written = true;
      }
      if (!written) write(offences_, style_.offences, offence, {});
      for (const auto& [attached, outcome] : child_outcomes_) {
        if (attached == number && field(outcome, "offence_id").empty()) {
          write(offences_, style_.offences, {}, outcome);
        }
      }
    }
    child_offences_.clear();
    child_outcomes_.clear();
  }
  void close() override {
    people_.close();
    offences_.close();
    if (outcomes_) outcomes_->close();
  }

 private:
  struct Pending {
    std::uint64_t offence;
    Values values;
  };

  static std::string_view field(const Values& values, std::string_view name) {
    for (const auto& [field_name, value] : values) {
      if (field_name == name) return value;
    }
    return {};
  }

  void writeHeader(CsvFileWriter& file, const FileSpec& spec) {
    for (const Column& column : spec.columns) file.field(column.header);
    file.endRow();
  }

  // The row of `spec` for these canonical values (`first` wins where both have a field).
  void write(CsvFileWriter& file, const FileSpec& spec, const Values& first, const Values& second) {
    for (const Column& column : spec.columns) {
      if (column.field.empty()) {
        file.field(column.constant);
        continue;
      }
      bool found = false;
      std::string_view value;
      for (const Values* values : {&first, &second}) {
        for (const auto& [name, text] : *values) {
          if (!found && name == column.field) {
            value = text;
            found = true;
          }
        }
      }
      const std::string converted = convert(column.field, value);
      file.field(style_.windows1252 ? connectors::utf8ToWindows1252(converted) : converted);
    }
    file.endRow();
  }

  std::string dateText(Date date) const {
    if (style_.padded_dates)
      return fmt::format("{:02}/{:02}/{:04}", date.day(), date.month(), date.year());
    return fmt::format("{}/{}/{:04}", date.day(), date.month(), date.year());
  }

  // A canonical value as this export writes it. Values that are not valid canonical ones (in
  // invalid rows) are written as they are, so that they stay invalid; a date already written
  // dd/mm/yyyy (the "wrong format" defect) is written ISO instead, the wrong format here.
  std::string convert(std::string_view field, std::string_view value) const {
    if (field == "date_of_birth" || field == "offence_date" || field == "outcome_date") {
      if (auto date = Date::parse(value)) return dateText(*date);
      if (value.size() == 10 && value[2] == '/' && value[5] == '/' &&
          isDigits(value.substr(0, 2)) && isDigits(value.substr(3, 2)) &&
          isDigits(value.substr(6))) {
        return fmt::format("{}-{}-{}", value.substr(6), value.substr(3, 2), value.substr(0, 2));
      }
      return std::string(value);
    }
    if (field == "updated_at") {
      auto date = Date::parse(value.substr(0, std::min<std::size_t>(10, value.size())));
      if (date && value.size() == 20 && value[10] == 'T' && value.substr(16) == ":00Z" &&
          isDigits(value.substr(11, 2)) && isDigits(value.substr(14, 2))) {
        const int hour = (value[11] - '0') * 10 + (value[12] - '0');
        const std::string_view minute = value.substr(14, 2);
        return style_.padded_dates ? fmt::format("{} {:02}:{}", dateText(*date), hour, minute)
                                   : fmt::format("{} {}:{}", dateText(*date), hour, minute);
      }
      return std::string(value);
    }
    if (field == "gender") {
      for (std::size_t i = 0; i < catalogue::kGenders.size(); ++i) {
        if (catalogue::kGenders[i] == value) return std::string(style_.genders[i]);
      }
    } else if (field == "looked_after" || field == "breach") {
      if (value == "true") return std::string(style_.booleans[0]);
      if (value == "false") return std::string(style_.booleans[1]);
    } else if (field == "outcome_type") {
      for (std::size_t i = 0; i < catalogue::kOutcomeCodes.size(); ++i) {
        if (catalogue::kOutcomeCodes[i] == value) return std::string(style_.outcome_codes[i]);
      }
    }
    return std::string(value);
  }

  Style style_;
  CsvFileWriter people_;
  CsvFileWriter offences_;
  std::optional<CsvFileWriter> outcomes_;
  std::vector<Pending> child_offences_;
  std::vector<Pending> child_outcomes_;
};

}  // namespace

std::string_view toString(ExportLayout layout) {
  return kLayoutNames[static_cast<std::size_t>(layout)];
}

std::optional<ExportLayout> parseExportLayout(std::string_view name) {
  for (std::size_t i = 0; i < kLayoutNames.size(); ++i) {
    if (kLayoutNames[i] == name) return static_cast<ExportLayout>(i);
  }
  return std::nullopt;
}

std::string exportLayoutNames() {
  return fmt::format("{}, {}, {}", kLayoutNames[0], kLayoutNames[1], kLayoutNames[2]);
}

std::unique_ptr<ExportWriter> makeExportWriter(ExportLayout layout,
                                               const std::filesystem::path& dir) {
  switch (layout) {
    case ExportLayout::kCanonical: return std::make_unique<CanonicalWriter>(dir);
    case ExportLayout::kChildviewStyleExample:
      return std::make_unique<LayoutWriter>(childviewStyle(), dir);
    case ExportLayout::kWideStyleExample: return std::make_unique<LayoutWriter>(wideStyle(), dir);
  }
  return std::make_unique<CanonicalWriter>(dir);
}

}  // namespace cohortwatch::generator
