#include "config/mapping_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace cohortwatch::config {

namespace {

constexpr std::string_view kCanonical = "canonical";

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string join(const std::vector<std::string_view>& names) {
  std::string joined;
  for (std::string_view name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

bool isProfileName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// One key of a YAML map whose keys are data (profile names, field names, codes).
struct Entry {
  std::string key;
  YAML::Mark key_mark;
  Value value;
};

// The entries of a map with free keys; non-scalar and repeated keys are reported and left out.
// `repeat_key` turns a key into the form compared for repeats (e.g. lower-cased codes).
template <typename Normalise>
std::vector<Entry> entries(Reader& reader, const Value& map, std::string_view what,
                           Normalise repeat_key, bool ignoring_case) {
  std::vector<Entry> result;
  if (!map.present || map.node.IsNull()) return result;
  if (!map.node.IsMap()) {
    reader.error(map, fmt::format("expected a map of {}, got {}", what, describe(map.node)));
    return result;
  }
  std::vector<std::pair<std::string, int>> seen;  // normalised key, line
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      reader.error(key.Mark(), map.path,
                   fmt::format("keys must be plain names, got {}", describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string path = childPath(map.path, name);
    const std::string normal = repeat_key(name);
    auto previous = std::find_if(seen.begin(), seen.end(),
                                 [&](const auto& entry) { return entry.first == normal; });
    if (previous != seen.end()) {
      reader.error(
          key.Mark(), path,
          !ignoring_case
              ? fmt::format("duplicate key '{}' (first given on line {})", name, previous->second)
              : fmt::format("duplicate key '{}' (first given on line {}; these keys are "
                            "compared trimmed and ignoring case)",
                            name, previous->second));
      continue;
    }
    seen.emplace_back(normal, key.Mark().line + 1);
    const YAML::Mark where = value.IsNull() ? key.Mark() : value.Mark();
    result.push_back(Entry{name, key.Mark(), Value(value, path, where, true)});
  }
  return result;
}

std::vector<Entry> entries(Reader& reader, const Value& map, std::string_view what) {
  return entries(
      reader, map, what, [](const std::string& key) { return key; }, false);
}

// A scalar that may be empty ("" in YAML), for codes' canonical values and constants.
std::optional<std::string> text(Reader& reader, const Value& value) {
  if (value.node.IsScalar()) return value.node.Scalar();
  reader.error(value, fmt::format("expected a value (write \"\" for an empty one), got {}",
                                  describe(value.node)));
  return std::nullopt;
}

// Every canonical field name, in DOMAIN.md order, once.
const std::vector<std::string_view>& allFieldNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> list;
    for (CanonicalKind kind :
         {CanonicalKind::kPeople, CanonicalKind::kOffences, CanonicalKind::kOutcomes}) {
      for (const CanonicalField& field : canonicalFields(kind)) {
        if (std::find(list.begin(), list.end(), field.name) == list.end()) {
          list.push_back(field.name);
        }
      }
    }
    return list;
  }();
  return names;
}

// The canonical fields a file of `layout` may give: a wide file may give every field of all three
// kinds (person fields are optional there).
std::vector<std::string_view> layoutFields(ExportLayout layout) {
  switch (layout) {
    case ExportLayout::kPeople:
    case ExportLayout::kOffences:
    case ExportLayout::kOutcomes: {
      std::vector<std::string_view> names;
      for (const CanonicalField& field :
           canonicalFields(static_cast<CanonicalKind>(static_cast<int>(layout)))) {
        names.push_back(field.name);
      }
      return names;
    }
    case ExportLayout::kWide: break;
  }
  return allFieldNames();
}

// Checks a field name given as a key under columns/values/constants/strict_values.
bool checkField(Reader& reader, const YAML::Mark& mark, const std::string& path,
                std::string_view name, ExportLayout layout) {
  const std::vector<std::string_view>& all = allFieldNames();
  if (std::find(all.begin(), all.end(), name) == all.end()) {
    std::string message = fmt::format("unknown canonical field '{}'", name);
    if (auto suggestion = closestMatch(name, all)) {
      message += fmt::format(" (did you mean '{}'?)", *suggestion);
    } else {
      message += fmt::format(" (fields of the {} layout: {})", toString(layout),
                             join(layoutFields(layout)));
    }
    reader.error(mark, path, std::move(message));
    return false;
  }
  const std::vector<std::string_view> allowed = layoutFields(layout);
  if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
    reader.error(mark, path,
                 fmt::format("'{}' is not a field of the {} layout (its fields: {})", name,
                             toString(layout), join(allowed)));
    return false;
  }
  return true;
}

bool isDateField(std::string_view field) {
  return field == "date_of_birth" || field == "offence_date" || field == "outcome_date";
}

// Why `value` can never be valid for `field` in canonical data; nullopt when it can (or when the
// field has no fixed vocabulary). Used for constants and the targets of value maps, so that a typo
// there is a configuration error instead of every row being rejected.
std::optional<std::string> canonicalValueProblem(std::string_view field, std::string_view value,
                                                 const MethodologySettings& methodology) {
  const std::string lower = lowerAscii(trimmed(value));
  if (lower.empty()) return std::nullopt;
  if (field == "gender") {
    if (lower == "male" || lower == "female" || lower == "other" || lower == "unknown") {
      return std::nullopt;
    }
    return fmt::format("\"{}\" is not a gender (male, female, other, unknown)", value);
  }
  if (field == "looked_after" || field == "breach") {
    static constexpr std::array<std::string_view, 8> kBooleans = {"true", "false", "yes", "no",
                                                                  "y",    "n",     "1",   "0"};
    if (std::find(kBooleans.begin(), kBooleans.end(), lower) != kBooleans.end()) {
      return std::nullopt;
    }
    return fmt::format("\"{}\" is not true or false (also yes/no, y/n, 1/0)", value);
  }
  if (field == "outcome_type") {
    if (methodology.findOutcomeType(lower) != nullptr) return std::nullopt;
    return fmt::format("\"{}\" is not an outcome type of methodology.outcome_types", value);
  }
  if (field == "gravity") {
    if (lower.size() == 1 && lower[0] >= '1' && lower[0] <= '8') return std::nullopt;
    return fmt::format("\"{}\" is not a gravity (a whole number from 1 to 8)", value);
  }
  if (isDateField(field)) {
    if (DatePattern().match(lower)) return std::nullopt;
    return fmt::format("\"{}\" is not a canonical date (YYYY-MM-DD)", value);
  }
  return std::nullopt;
}

std::optional<DatePattern> readPattern(Reader& reader, const Value& value, bool with_time) {
  std::optional<std::string> pattern_text = reader.string(value);
  if (!pattern_text) return std::nullopt;
  std::string problem;
  auto pattern = DatePattern::compile(*pattern_text, with_time, problem);
  if (!pattern) reader.error(value, std::move(problem));
  return pattern;
}

struct ProfileDefaults {
  DatePattern date_format;
  std::optional<DatePattern> datetime_format;
};

void readColumns(Reader& reader, const Value& value, FileMapping& file) {
  for (Entry& entry : entries(reader, value, "canonical fields to export columns")) {
    if (!checkField(reader, entry.key_mark, entry.value.path, entry.key, file.layout)) continue;
    FieldSource source;
    if (entry.value.node.IsMap()) {
      MapReader copy = reader.map(entry.value, {"from", "prefix", "suffix"});
      source.kind = FieldSource::Kind::kCopy;
      if (!copy.string("from", source.from, Need::kRequired)) continue;
      for (const char* key : {"prefix", "suffix"}) {
        if (const Value affix = copy.get(key); affix.present) {
          if (auto affix_text = text(reader, affix)) {
            (std::string_view(key) == "prefix" ? source.prefix : source.suffix) = *affix_text;
          }
        }
      }
    } else if (auto column = reader.string(entry.value)) {
      source.column = std::string(trimmed(*column));
    } else {
      continue;
    }
    file.fields.emplace(entry.key, std::move(source));
  }
}

void readConstants(Reader& reader, const Value& value, const MethodologySettings& methodology,
                   FileMapping& file) {
  for (Entry& entry : entries(reader, value, "canonical fields to values")) {
    if (!checkField(reader, entry.key_mark, entry.value.path, entry.key, file.layout)) continue;
    if (file.fields.count(entry.key) > 0) {
      reader.error(entry.key_mark, entry.value.path,
                   fmt::format("'{}' is given both under columns and under constants", entry.key));
      continue;
    }
    auto constant = text(reader, entry.value);
    if (!constant) continue;
    if (auto problem = canonicalValueProblem(entry.key, *constant, methodology)) {
      reader.error(entry.value, std::move(*problem));
      continue;
    }
    FieldSource source;
    source.kind = FieldSource::Kind::kConstant;
    source.value = std::move(*constant);
    file.fields.emplace(entry.key, std::move(source));
  }
}

void readValueMaps(Reader& reader, const Value& value, const MethodologySettings& methodology,
                   FileMapping& file) {
  for (Entry& entry : entries(reader, value, "canonical fields to code maps")) {
    if (!checkField(reader, entry.key_mark, entry.value.path, entry.key, file.layout)) continue;
    const FieldSource* source = file.source(entry.key);
    if (source != nullptr && source->kind != FieldSource::Kind::kColumn) {
      reader.error(entry.key_mark, entry.value.path,
                   fmt::format("'{}' does not come from a column here, so it has no codes to map",
                               entry.key));
      continue;
    }
    ValueMap map;
    const auto normalise = [](const std::string& code) { return lowerAscii(trimmed(code)); };
    for (Entry& code :
         entries(reader, entry.value, "export codes to canonical values", normalise, true)) {
      auto target = text(reader, code.value);
      if (!target) continue;
      if (auto problem = canonicalValueProblem(entry.key, *target, methodology)) {
        reader.error(code.value, std::move(*problem));
        continue;
      }
      map.codes.emplace(normalise(code.key), std::move(*target));
    }
    file.values.emplace(entry.key, std::move(map));
  }
}

void readStrictValues(Reader& reader, const Value& value, FileMapping& file) {
  for (const Value& item : reader.items(value)) {
    auto name = reader.string(item);
    if (!name || !checkField(reader, item.mark, item.path, *name, file.layout)) continue;
    auto map = file.values.find(*name);
    if (map == file.values.end()) {
      reader.error(item, fmt::format("no value map for '{}' under values", *name));
      continue;
    }
    map->second.strict = true;
  }
}

// Copies must name a field of the same file that comes from a column. (A bad copy stays in the
// entry, so that the field is not reported as missing too; the profile is not used anyway.)
void checkCopies(Reader& reader, const Value& columns, const FileMapping& file) {
  for (const auto& [field, source] : file.fields) {
    if (source.kind != FieldSource::Kind::kCopy) continue;
    const FieldSource* origin = file.source(source.from);
    const Value from = lookup(lookup(columns, field), "from");
    if (std::find(allFieldNames().begin(), allFieldNames().end(), source.from) ==
        allFieldNames().end()) {
      reader.error(from, fmt::format("unknown canonical field '{}'", source.from));
    } else if (origin == nullptr || origin->kind != FieldSource::Kind::kColumn) {
      reader.error(
          from, fmt::format("'{}' must come from a column of this file to be copied", source.from));
    }
  }
}

void checkRequired(Reader& reader, const Value& entry, const Value& columns,
                   const FileMapping& file) {
  std::vector<std::string_view> missing;
  for (CanonicalKind kind : file.kinds()) {
    for (const CanonicalField& field : canonicalFields(kind)) {
      if (!field.required || file.source(field.name) != nullptr) continue;
      if (std::find(missing.begin(), missing.end(), field.name) == missing.end()) {
        missing.push_back(field.name);
      }
    }
  }
  if (missing.empty()) return;
  reader.error(columns.present ? columns : entry,
               fmt::format("no column or constant for required field{} {} of the {} layout{}",
                           missing.size() == 1 ? "" : "s", join(missing), toString(file.layout),
                           file.layout == ExportLayout::kWide && file.kinds().size() == 3
                               ? " (it maps person columns, so it gives person records too)"
                               : ""));
}

std::optional<FileMapping> readFileEntry(Reader& reader, const Value& value,
                                         const ProfileDefaults& defaults,
                                         const MethodologySettings& methodology) {
  MapReader map = reader.map(value, {"match", "layout", "date_format", "datetime_format", "columns",
                                     "values", "strict_values", "constants"});
  if (!map.ok()) return std::nullopt;
  FileMapping file;
  file.line = value.mark.line + 1;
  file.date_format = defaults.date_format;
  file.datetime_format = defaults.datetime_format;
  if (const Value match = map.get("match"); match.present) {
    if (match.node.IsSequence()) {
      for (const Value& item : reader.items(match)) {
        if (auto glob = reader.string(item)) file.match.push_back(*glob);
      }
      if (match.node.size() == 0) reader.error(match, "expected at least one file name pattern");
    } else if (auto glob = reader.string(match)) {
      file.match.push_back(*glob);
    }
  }
  if (const Value format = map.get("date_format"); format.present) {
    if (auto pattern = readPattern(reader, format, false)) file.date_format = std::move(*pattern);
  }
  if (const Value format = map.get("datetime_format"); format.present) {
    if (auto pattern = readPattern(reader, format, true))
      file.datetime_format = std::move(*pattern);
  }
  const bool layout_read = map.oneOf("layout", file.layout,
                                     Choices<ExportLayout>{{"people", ExportLayout::kPeople},
                                                           {"offences", ExportLayout::kOffences},
                                                           {"outcomes", ExportLayout::kOutcomes},
                                                           {"wide", ExportLayout::kWide}},
                                     Need::kRequired);
  // Field names can only be judged against a known layout.
  if (!layout_read) return file;
  const Value columns = map.get("columns");
  readColumns(reader, columns, file);
  readConstants(reader, map.get("constants"), methodology, file);
  checkCopies(reader, columns, file);
  readValueMaps(reader, map.get("values"), methodology, file);
  readStrictValues(reader, map.get("strict_values"), file);
  checkRequired(reader, value, columns, file);
  return file;
}

void readProfile(Reader& reader, const Value& value, const MethodologySettings& methodology,
                 MappingProfile& out) {
  MapReader map = reader.map(value, {"encoding", "date_format", "datetime_format", "files"});
  if (!map.ok()) return;
  map.oneOf("encoding", out.encoding,
            Choices<TextEncoding>{{"utf-8", TextEncoding::kUtf8},
                                  {"windows-1252", TextEncoding::kWindows1252}});
  ProfileDefaults defaults;
  if (const Value format = map.get("date_format"); format.present) {
    if (auto pattern = readPattern(reader, format, false))
      defaults.date_format = std::move(*pattern);
  }
  if (const Value format = map.get("datetime_format"); format.present) {
    defaults.datetime_format = readPattern(reader, format, true);
  }
  if (!map.require("files")) return;
  const Value files = map.get("files");
  if (files.node.IsNull() || (files.node.IsSequence() && files.node.size() == 0)) {
    reader.error(files, "expected at least one file entry (match:, layout:, columns:)");
    return;
  }
  for (const Value& item : reader.items(files)) {
    if (auto file = readFileEntry(reader, item, defaults, methodology)) {
      out.files.push_back(std::move(*file));
    }
  }
}

std::optional<std::string> readWholeFile(const std::filesystem::path& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    problem = std::filesystem::exists(path, ec) ? "cannot open it" : "no such file";
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    problem = "read error";
    return std::nullopt;
  }
  return contents.str();
}

// A profile in a file of its own: errors inside it name that file.
void readProfileFile(Reader& reader, const Value& file_value,
                     const MethodologySettings& methodology, MappingProfile& out) {
  auto given = reader.string(file_value);
  if (!given) return;
  std::filesystem::path path(*given);
  if (path.is_relative()) path = std::filesystem::path(reader.fileName()).parent_path() / path;
  const std::string name = path.lexically_normal().string();
  out.defined_in = name;
  std::string problem;
  auto contents = readWholeFile(path, problem);
  if (!contents) {
    reader.error(file_value, fmt::format("cannot read mapping profile {}: {}", name, problem));
    return;
  }
  Reader included(name);
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(*contents);
    if (documents.empty() || documents.front().IsNull()) {
      included.error(YAML::Mark(), "", "the file holds no mapping profile");
    } else if (documents.size() > 1) {
      included.error(Value(documents[1], ""),
                     fmt::format("expected one YAML document, found {}", documents.size()));
    } else if (!documents.front().IsMap()) {
      included.error(Value(documents.front(), ""),
                     fmt::format("expected a mapping profile (encoding:, date_format:, files:), "
                                 "got {}",
                                 describe(documents.front())));
    } else {
      readProfile(included, Value(documents.front(), ""), methodology, out);
    }
  } catch (const YAML::ParserException& e) {
    included.error(e.mark, "", fmt::format("YAML syntax error: {}", e.msg));
  } catch (const YAML::Exception& e) {
    included.error(e.mark, "", fmt::format("cannot read the YAML: {}", e.msg));
  }
  for (ConfigError& error : included.takeErrors()) reader.add(std::move(error));
}

void checkSourceMappings(Reader& reader, const Value& root, const Settings& settings) {
  const Value sources = lookup(root, "sources");
  if (!sources.present || !sources.node.IsSequence()) return;
  std::vector<std::string_view> known = {kCanonical};
  for (const auto& [name, profile] : settings.mappings) known.push_back(name);
  std::size_t index = 0;
  for (const YAML::Node& item : sources.node) {
    const Value source(item, itemPath(sources.path, index++));
    const Value mapping = lookup(source, "mapping");
    if (!mapping.present || !mapping.node.IsScalar()) continue;  // the sources reader reports it
    const std::string& name = mapping.node.Scalar();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = fmt::format("unknown mapping '{}' (known: {})", name, join(known));
    if (auto suggestion = closestMatch(name, known)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    }
    reader.error(mapping, std::move(message));
  }
}

}  // namespace

void readMappings(Reader& reader, const Value& root, Settings& out) {
  const Value mappings = lookup(root, "mappings");
  for (Entry& entry : entries(reader, mappings, "profile names to mapping profiles")) {
    if (!isProfileName(entry.key)) {
      reader.error(entry.key_mark, entry.value.path,
                   fmt::format("expected a profile name of letters, digits, _ and -, got \"{}\"",
                               entry.key));
      continue;
    }
    if (entry.key == kCanonical) {
      reader.error(
          entry.key_mark, entry.value.path,
          "'canonical' is the built-in mapping (canonical CSV as is); choose another name");
      continue;
    }
    MappingProfile profile;
    profile.name = entry.key;
    profile.defined_in = reader.fileName();
    const Value file = lookup(entry.value, "file");
    if (file.present) {
      if (entry.value.node.size() > 1) {
        for (auto it = entry.value.node.begin(); it != entry.value.node.end(); ++it) {
          const YAML::Node key = it->first;
          if (key.IsScalar() && key.Scalar() == "file") continue;
          reader.error(key.Mark(), childPath(entry.value.path, key.IsScalar() ? key.Scalar() : ""),
                       "a profile read from a file takes no other keys here: put them in the file");
        }
      } else {
        readProfileFile(reader, file, out.methodology, profile);
      }
    } else if (entry.value.node.IsNull()) {
      reader.error(entry.value, "expected a mapping profile or {file: PATH}, got an empty value");
    } else {
      readProfile(reader, entry.value, out.methodology, profile);
    }
    // Kept even when it has errors, so that sources naming it are not reported as well.
    out.mappings.emplace(entry.key, std::move(profile));
  }
  checkSourceMappings(reader, root, out);
}

}  // namespace cohortwatch::config
