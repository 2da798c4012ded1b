#include "config/config_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <system_error>

#include "config/admin_reader.h"
#include "config/alerting_reader.h"
#include "config/mapping_reader.h"
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

bool isSourceName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_' || c == '-';
  });
}

void readDirectorySource(Reader& reader, const Value& value, DirectorySource& out) {
  if (!value.present) {
    reader.error(value, "missing required section 'directory' for a directory source");
    return;
  }
  MapReader map = reader.map(value, {"path", "patterns", "completion", "settle_seconds",
                                     "poll_interval_seconds", "watch", "after_taking"});
  if (!map.ok()) return;
  map.string("path", out.path, Need::kRequired);
  if (const Value patterns = map.get("patterns"); patterns.present) {
    out.patterns.clear();
    for (const Value& item : reader.items(patterns)) {
      if (auto pattern = reader.string(item)) out.patterns.push_back(*pattern);
    }
    if (out.patterns.empty()) reader.error(patterns, "expected at least one file name pattern");
  }
  map.oneOf("completion", out.completion,
            Choices<DirectorySource::Completion>{{"settle", DirectorySource::Completion::kSettle},
                                                 {"marker", DirectorySource::Completion::kMarker}});
  map.integer("settle_seconds", out.settle_seconds, 0, 86400);
  map.integer("poll_interval_seconds", out.poll_interval_seconds, 1, 86400);
  map.boolean("watch", out.watch);
  map.oneOf("after_taking", out.after_taking,
            Choices<DirectorySource::AfterTaking>{{"move", DirectorySource::AfterTaking::kMove},
                                                  {"keep", DirectorySource::AfterTaking::kKeep}});
}

void readHttpSource(Reader& reader, const Value& value, HttpSource& out) {
  if (!value.present) {
    reader.error(value, "missing required section 'http' for an http source");
    return;
  }
  MapReader map = reader.map(
      value, {"url", "interval_seconds", "auth", "token", "token_file", "username", "password",
              "password_file", "verify_tls", "ca_file", "connect_timeout_seconds",
              "timeout_seconds", "since_parameter", "lookback_seconds", "max_backoff_seconds"});
  if (!map.ok()) return;
  if (map.string("url", out.url, Need::kRequired) && out.url.rfind("https://", 0) != 0 &&
      out.url.rfind("http://", 0) != 0) {
    reader.error(map.get("url"), fmt::format("expected an https:// (or http://) URL, got \"{}\"", out.url));
  }
  map.integer("interval_seconds", out.interval_seconds, 1, 7 * 86400);
  using Auth = HttpSource::Auth;
  map.oneOf("auth", out.auth, Choices<Auth>{{"none", Auth::kNone}, {"bearer", Auth::kBearer}, {"basic", Auth::kBasic}});
  out.token = map.secret("token");
  map.string("username", out.username);
  out.password = map.secret("password");
  if (out.auth == Auth::kBearer && !out.token && !map.has("token") && !map.has("token_file")) {
    reader.error(value, "auth: bearer needs token_file: FILE or token: env:NAME");
  }
  if (out.auth == Auth::kBasic && (out.username.empty() ||
                                   (!out.password && !map.has("password") && !map.has("password_file")))) {
    reader.error(value, "auth: basic needs username: and password_file: FILE or password: env:NAME");
  }
  map.boolean("verify_tls", out.verify_tls);
  map.readableFile("ca_file", out.ca_file);
  map.integer("connect_timeout_seconds", out.connect_timeout_seconds, 1, 600);
  map.integer("timeout_seconds", out.timeout_seconds, 1, 86400);
  map.string("since_parameter", out.since_parameter);
  map.integer("lookback_seconds", out.lookback_seconds, 0, 30 * 86400);
  map.integer("max_backoff_seconds", out.max_backoff_seconds, 1, 86400);
}

std::vector<SourceSettings> readSources(Reader& reader, const Value& value) {
  std::vector<SourceSettings> sources;
  std::map<std::string, int> first_line;  // name -> line it was first given on
  for (const Value& item : reader.items(value)) {
    MapReader map = reader.map(item, {"name", "kind", "mapping", "directory", "http"});
    if (!map.ok()) continue;
    SourceSettings source;
    if (map.string("name", source.name, Need::kRequired)) {
      const Value name = map.get("name");
      if (!isSourceName(source.name)) {
        reader.error(name, fmt::format("expected a name of letters, digits, _ and -, got \"{}\"",
                                       source.name));
      } else if (auto first = first_line.find(source.name); first != first_line.end()) {
        reader.error(name, fmt::format("duplicate source name \"{}\" (first given on line {})",
                                       source.name, first->second));
      } else {
        first_line.emplace(source.name, name.mark.line + 1);
      }
    }
    using Kind = SourceSettings::Kind;
    if (map.oneOf("kind", source.kind, Choices<Kind>{{"directory", Kind::kDirectory}, {"http", Kind::kHttp}},
                  Need::kRequired)) {
      if (source.kind == Kind::kDirectory) {
        readDirectorySource(reader, map.get("directory"), source.directory);
        if (map.has("http")) reader.error(map.get("http"), "an http section on a directory source");
      } else {
        readHttpSource(reader, map.get("http"), source.http);
        if (map.has("directory")) reader.error(map.get("directory"), "a directory section on an http source");
      }
    }
    map.string("mapping", source.mapping);
    sources.push_back(std::move(source));
  }
  return sources;
}

void readPrivacy(Reader& reader, const Value& value, PrivacySettings& out) {
  MapReader map = reader.map(value, {"identify_by", "webhook_identify_by"});
  map.oneOf("identify_by", out.identify_by, identifyChoices());
  map.oneOf("webhook_identify_by", out.webhook_identify_by, identifyChoices());
}

void readSettings(Reader& reader, const YAML::Node& document, Settings& out) {
  const Value root(document, "");
  if (!document.IsMap()) {
    reader.error(root, fmt::format("expected a map of sections (database:, methodology:, ...) at "
                                   "the top level, got {}",
                                   describe(document)));
    return;
  }
  MapReader top =
      reader.map(root, {"database", "logging", "methodology", "national", "privacy", "sources",
                        "mappings", "focus_groups", "alerts", "channels", "notifications", "schedules",
                        "admin"});
  readDatabase(reader, top.get("database"), out.database);
  readLogging(reader, top.get("logging"), out.logging);
  readMethodology(reader, top.get("methodology"), out.methodology);
  if (const Value national = top.get("national"); national.present) {
    out.national = readNational(reader, national);
  }
  readPrivacy(reader, top.get("privacy"), out.privacy);
  if (const Value sources = top.get("sources"); sources.present) {
    out.sources = readSources(reader, sources);
  }
  readMappings(reader, root, out);  // after methodology (outcome codes) and sources (their mapping)
  readAlerting(reader, root, out);
  readAdmin(reader, root, out);
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
