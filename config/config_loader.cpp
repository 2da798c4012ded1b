#include "config/config_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <system_error>

#include "config/yaml_reader.h"

namespace cohortwatch::config {

namespace {

Choices<LogLevel> logLevels() {
  Choices<LogLevel> choices;
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                         LogLevel::kError, LogLevel::kCritical, LogLevel::kOff}) {
    choices.emplace_back(toString(level), level);
  }
  return choices;
}

Choices<OutcomeGroup> outcomeGroups() {
  using G = OutcomeGroup;
  Choices<OutcomeGroup> choices;
  for (G group : {G::kPreCourt, G::kFirstTier, G::kCommunity, G::kCustody, G::kCustodyRelease,
                  G::kNonSubstantive}) {
    choices.emplace_back(toString(group), group);
  }
  return choices;
}

Choices<IdentifyBy> identifyChoices() {
  Choices<IdentifyBy> choices;
  for (IdentifyBy identify : {IdentifyBy::kId, IdentifyBy::kInitials, IdentifyBy::kFullName}) {
    choices.emplace_back(toString(identify), identify);
  }
  return choices;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The value of a string of decimal digits (already checked to be digits).
int digitsValue(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

bool isOutcomeCode(std::string_view code) {
  return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || isDigit(c) || c == '_';
  });
}

// A cohort quarter "2023Q2" or a financial year "2022/23" (April 2022 to March 2023); nullopt
// when valid, otherwise what is wrong.
std::optional<std::string> periodProblem(std::string_view period) {
  const bool year = period.size() >= 4 && std::all_of(period.begin(), period.begin() + 4, isDigit);
  if (year && period.size() == 6 && period[4] == 'Q' && period[5] >= '1' && period[5] <= '4') {
    return std::nullopt;
  }
  if (year && period.size() == 7 && period[4] == '/' && isDigit(period[5]) && isDigit(period[6])) {
    const int start = digitsValue(period.substr(0, 4));
    const int end = digitsValue(period.substr(5, 2));
    if (end == (start + 1) % 100) return std::nullopt;
    return fmt::format(
        "expected a financial year YYYY/YY ending the year after it starts ({}/{:02}), got \"{}\"",
        start, (start + 1) % 100, period);
  }
  return fmt::format("expected a quarter like 2023Q2 or a financial year like 2022/23, got \"{}\"",
                     period);
}

void readDatabase(Reader& reader, const Value& value, DatabaseSettings& out) {
  MapReader map = reader.map(value, {"path", "busy_timeout_ms"});
  map.string("path", out.path);
  map.integer("busy_timeout_ms", out.busy_timeout_ms, 0, 600000);
}

void readLogging(Reader& reader, const Value& value, LoggingSettings& out) {
  MapReader map = reader.map(value, {"level"});
  map.oneOf("level", out.level, logLevels());
}

std::optional<std::vector<OutcomeTypeRule>> readOutcomeTypes(Reader& reader, const Value& value) {
  if (value.node.IsNull() || (value.node.IsSequence() && value.node.size() == 0)) {
    reader.error(value,
                 "expected at least one outcome type (leave outcome_types out to use the default "
                 "table)");
    return std::nullopt;
  }
  std::vector<OutcomeTypeRule> rules;
  std::map<std::string, int> first_line;  // code -> line it was first given on
  for (const Value& item : reader.items(value)) {
    MapReader map = reader.map(item, {"code", "group", "proves", "index_event"});
    if (!map.ok()) continue;
    OutcomeTypeRule rule;
    if (map.string("code", rule.code, Need::kRequired)) {
      const Value code = map.get("code");
      if (!isOutcomeCode(rule.code)) {
        reader.error(code, fmt::format("expected a code of lower-case letters, digits and _, "
                                       "got \"{}\"",
                                       rule.code));
      } else if (auto first = first_line.find(rule.code); first != first_line.end()) {
        reader.error(code, fmt::format("duplicate code \"{}\" (first given on line {})", rule.code,
                                       first->second));
      } else {
        first_line.emplace(rule.code, code.mark.line + 1);
      }
    }
    map.oneOf("group", rule.group, outcomeGroups(), Need::kRequired);
    map.boolean("proves", rule.proves, Need::kRequired);
    map.boolean("index_event", rule.index_event, Need::kRequired);
    rules.push_back(std::move(rule));
  }
  return rules;
}

void readMethodology(Reader& reader, const Value& value, MethodologySettings& out) {
  MapReader map =
      reader.map(value, {"follow_up_months", "waiting_months", "min_age", "max_age",
                         "count_breaches", "unresolved_offence_months", "outcome_types"});
  map.integer("follow_up_months", out.follow_up_months, 1, 60);
  map.integer("waiting_months", out.waiting_months, 0, 24);
  const bool min_age_read = map.integer("min_age", out.min_age, 0, 25);
  const bool max_age_read = map.integer("max_age", out.max_age, 0, 25);
  // Compare only ages that were read or defaulted, not one that was just reported as wrong.
  const bool min_age_usable = min_age_read || !map.has("min_age");
  const bool max_age_usable = max_age_read || !map.has("max_age");
  if (min_age_usable && max_age_usable && out.max_age < out.min_age) {
    if (max_age_read) {
      reader.error(map.get("max_age"),
                   fmt::format("must be at least min_age ({}), got {}", out.min_age, out.max_age));
    } else {
      reader.error(map.get("min_age"),
                   fmt::format("must be at most max_age ({}, the default), got {}", out.max_age,
                               out.min_age));
    }
  }
  map.boolean("count_breaches", out.count_breaches);
  map.integer("unresolved_offence_months", out.unresolved_offence_months, 1, 60);
  if (const Value types = map.get("outcome_types"); types.present) {
    // A table given in the file replaces the default one entirely, so that a team can see every
    // rule that applies in one place.
    if (auto rules = readOutcomeTypes(reader, types)) out.outcome_types = std::move(*rules);
  }
}

std::vector<NationalAverage> readNational(Reader& reader, const Value& value) {
  std::vector<NationalAverage> figures;
  std::map<std::string, int> first_line;  // period -> line it was first given on
  for (const Value& item : reader.items(value)) {
    MapReader map =
        reader.map(item, {"period", "binary_rate", "reoffences_per_reoffender", "source"});
    if (!map.ok()) continue;
    NationalAverage figure;
    if (map.string("period", figure.period, Need::kRequired)) {
      const Value period = map.get("period");
      if (auto problem = periodProblem(figure.period)) {
        reader.error(period, std::move(*problem));
      } else if (auto first = first_line.find(figure.period); first != first_line.end()) {
        reader.error(period, fmt::format("duplicate period \"{}\" (first given on line {})",
                                         figure.period, first->second));
      } else {
        first_line.emplace(figure.period, period.mark.line + 1);
      }
    }
    map.number("binary_rate", figure.binary_rate, 0.0, 100.0, Need::kRequired);
    map.number("reoffences_per_reoffender", figure.reoffences_per_reoffender, 0.0);
    map.string("source", figure.source, Need::kRequired);
    figures.push_back(std::move(figure));
  }
  return figures;
}

void readPrivacy(Reader& reader, const Value& value, PrivacySettings& out) {
  MapReader map = reader.map(value, {"identify"});
  map.oneOf("identify", out.identify, identifyChoices());
}

void readSettings(Reader& reader, const YAML::Node& document, Settings& out) {
  const Value root(document, "");
  if (!document.IsMap()) {
    reader.error(root, fmt::format("expected a map of sections (database:, methodology:, ...) at "
                                   "the top level, got {}",
                                   describe(document)));
    return;
  }
  MapReader top = reader.map(root, {"database", "logging", "methodology", "national", "privacy"});
  readDatabase(reader, top.get("database"), out.database);
  readLogging(reader, top.get("logging"), out.logging);
  readMethodology(reader, top.get("methodology"), out.methodology);
  if (const Value national = top.get("national"); national.present) {
    out.national = readNational(reader, national);
  }
  readPrivacy(reader, top.get("privacy"), out.privacy);
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// The file's contents, or why it could not be read.
std::optional<std::string> readFile(const std::string& path, std::string& problem) {
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (file) {
    std::string contents;
    std::array<char, 8192> buffer{};
    std::size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
      contents.append(buffer.data(), got);
    }
    if (std::ferror(file.get()) == 0) return contents;
  }
  problem = std::error_code(errno, std::generic_category()).message();
  return std::nullopt;
}

}  // namespace

std::string ConfigError::toString() const {
  std::string text = file;
  if (line > 0) text += fmt::format(":{}:{}", line, column);
  text += ": ";
  if (!key_path.empty()) text += key_path + ": ";
  text += message;
  return text;
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  for (const auto& [name, level] : logLevels()) {
    if (name == text) return level;
  }
  return std::nullopt;
}

LoadResult loadConfigString(std::string_view yaml, const std::string& file_name) {
  LoadResult result;
  result.settings.config_file = file_name;
  Reader reader(file_name);
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml));
    if (documents.size() > 1) {
      reader.error(Value(documents[1], ""),
                   fmt::format("expected one YAML document, found {}", documents.size()));
    } else if (!documents.empty() && !documents.front().IsNull()) {
      // An empty file, or one of only comments, has no document: all defaults.
      readSettings(reader, documents.front(), result.settings);
    }
  } catch (const YAML::ParserException& e) {
    reader.error(e.mark, "", fmt::format("YAML syntax error: {}", e.msg));
  } catch (const YAML::Exception& e) {
    // The walker checks types before it converts, so this is a backstop, not an expected path.
    reader.error(e.mark, "", fmt::format("cannot read the YAML: {}", e.msg));
  }
  result.errors = reader.takeErrors();
  return result;
}

LoadResult loadConfigFile(const std::string& path) {
  std::string problem;
  std::optional<std::string> contents = readFile(path, problem);
  if (!contents) {
    LoadResult result;
    result.settings.config_file = path;
    result.errors.push_back(
        ConfigError{path, 0, 0, "", fmt::format("cannot read configuration file: {}", problem)});
    return result;
  }
  return loadConfigString(*contents, path);
}

}  // namespace cohortwatch::config
