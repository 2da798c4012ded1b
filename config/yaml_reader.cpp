#include "config/yaml_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <system_error>

namespace cohortwatch::config {

namespace {

constexpr std::size_t kMaxEchoedLength = 60;

}  // namespace

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "an empty value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      break;
  }
  std::string text;
  for (char c : node.Scalar()) {
    if (c == '\n') {
      text += "\\n";
    } else if (c == '"') {
      text += "\\\"";
    } else {
      text += c;
    }
  }
  if (text.size() > kMaxEchoedLength) text = text.substr(0, kMaxEchoedLength - 3) + "...";
  return fmt::format("\"{}\"", text);
}

namespace {

// Quoted scalars ("12", '12') and !!str ones are text in YAML: a number or a boolean written that
// way is a type error, and saying why saves the reader a puzzle.
bool isText(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

std::string describeTyped(const YAML::Node& node) {
  if (node.IsScalar() && isText(node)) {
    return fmt::format("the quoted string {} (write it without quotes)", describe(node));
  }
  return describe(node);
}

std::optional<long long> parseInteger(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parseNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  // Only decimal notation: from_chars would also take "inf", "nan" and hexadecimal.
  const bool decimal = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
  });
  if (!decimal) return std::nullopt;
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool isBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

bool isEnvName(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string joinNames(std::span<const std::string_view> names) {
  std::string joined;
  for (std::string_view name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

bool before(const YAML::Mark& a, const YAML::Mark& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

}  // namespace

// YAML::Node is a handle with no move constructor: copying it is cheap and shares the node.
Value::Value(const YAML::Node& value_node, std::string key_path)
    : node(value_node), path(std::move(key_path)), mark(node.Mark()) {}

Value::Value(const YAML::Node& value_node, std::string key_path, YAML::Mark where, bool is_present)
    : node(value_node), path(std::move(key_path)), mark(where), present(is_present) {}

std::string childPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string itemPath(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

Value lookup(const Value& map, std::string_view key) {
  if (map.present && map.node.IsMap()) {
    for (auto it = map.node.begin(); it != map.node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        // An empty value's own mark is the next token's; the key is where the reader looks.
        const YAML::Mark where = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
        return Value(it->second, childPath(map.path, key), where, true);
      }
    }
  }
  return Value(YAML::Node(), childPath(map.path, key), map.mark, false);
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string_view> closestMatch(std::string_view given,
                                             std::span<const std::string_view> known) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : known) {
    const std::size_t distance = editDistance(given, candidate);
    // Two edits turn any two-letter word into any other: only suggest a real resemblance.
    if (distance < best_distance && distance < std::max(given.size(), candidate.size())) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

Reader::Reader(std::string file_name) : file_name_(std::move(file_name)) {}

std::vector<ConfigError> Reader::takeErrors() {
  std::vector<ConfigError> taken = std::move(errors_);
  errors_.clear();
  // This file's errors first, then those of other files in the order they were first reported.
  std::vector<std::string> files = {file_name_};
  auto rank = [&](const std::string& file) {
    auto it = std::find(files.begin(), files.end(), file);
    if (it == files.end()) it = files.insert(files.end(), file);
    return it - files.begin();
  };
  for (const ConfigError& error : taken) rank(error.file);
  std::stable_sort(taken.begin(), taken.end(), [&](const ConfigError& a, const ConfigError& b) {
    const auto rank_a = rank(a.file);
    const auto rank_b = rank(b.file);
    if (rank_a != rank_b) return rank_a < rank_b;
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return taken;
}

void Reader::add(ConfigError error) { errors_.push_back(std::move(error)); }

void Reader::error(const YAML::Mark& mark, std::string key_path, std::string message) {
  ConfigError error;
  error.file = file_name_;
  if (mark.line >= 0 && mark.column >= 0) {
    error.line = mark.line + 1;
    error.column = mark.column + 1;
  }
  error.key_path = std::move(key_path);
  error.message = std::move(message);
  errors_.push_back(std::move(error));
}

void Reader::error(const Value& at, std::string message) {
  error(at.mark, at.path, std::move(message));
}

std::optional<int> Reader::integer(const Value& value, int min, int max) {
  const YAML::Node& node = value.node;
  std::optional<long long> parsed;
  if (node.IsScalar() && !isText(node)) parsed = parseInteger(node.Scalar());
  if (!parsed || *parsed < min || *parsed > max) {
    error(value,
          fmt::format("expected an integer from {} to {}, got {}", min, max, describeTyped(node)));
    return std::nullopt;
  }
  return static_cast<int>(*parsed);
}

std::optional<double> Reader::number(const Value& value, double min, double max) {
  const YAML::Node& node = value.node;
  std::optional<double> parsed;
  if (node.IsScalar() && !isText(node)) parsed = parseNumber(node.Scalar());
  if (!parsed || *parsed < min || *parsed > max) {
    const std::string expected = std::isinf(max)
                                     ? fmt::format("expected a number >= {}", min)
                                     : fmt::format("expected a number from {} to {}", min, max);
    error(value, fmt::format("{}, got {}", expected, describeTyped(node)));
    return std::nullopt;
  }
  return parsed;
}

std::optional<bool> Reader::boolean(const Value& value) {
  const YAML::Node& node = value.node;
  if (node.IsScalar() && !isText(node)) {
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "TRUE" || text == "yes" || text == "Yes" ||
        text == "YES") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE" || text == "no" || text == "No" ||
        text == "NO") {
      return false;
    }
  }
  error(value, fmt::format("expected true or false, got {}", describeTyped(node)));
  return std::nullopt;
}

std::optional<std::string> Reader::string(const Value& value) {
  const YAML::Node& node = value.node;
  if (!node.IsScalar() || isBlank(node.Scalar())) {
    error(value, fmt::format("expected a non-empty string, got {}", describe(node)));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> Reader::readableFile(const Value& value) {
  std::optional<std::string> path = string(value);
  if (!path) return std::nullopt;
  const auto problem = [](int error_number) {
    return error_number == ENOENT
               ? std::string("no such file")
               : std::error_code(error_number, std::generic_category()).message();
  };
  struct stat status {};
  if (::stat(path->c_str(), &status) != 0) {
    error(value, fmt::format("cannot read {}: {}", *path, problem(errno)));
    return std::nullopt;
  }
  if (!S_ISREG(status.st_mode)) {
    error(value, fmt::format("cannot read {}: not a file", *path));
    return std::nullopt;
  }
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error(value, fmt::format("cannot read {}: {}", *path, problem(errno)));
    return std::nullopt;
  }
  ::close(fd);
  return path;
}

std::optional<std::size_t> Reader::choice(const Value& value,
                                          std::span<const std::string_view> names) {
  const YAML::Node& node = value.node;
  if (node.IsScalar()) {
    auto it = std::find(names.begin(), names.end(), node.Scalar());
    if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
  }
  std::string message = fmt::format("expected one of {}, got {}", joinNames(names), describe(node));
  if (node.IsScalar()) {
    if (auto suggestion = closestMatch(node.Scalar(), names)) {
      message += fmt::format(" (did you mean '{}'?)", *suggestion);
    }
  }
  error(value, std::move(message));
  return std::nullopt;
}

MapReader Reader::map(const Value& value, std::initializer_list<std::string_view> allowed) {
  return map(value, std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

MapReader Reader::map(const Value& value, std::span<const std::string_view> allowed) {
  if (!value.present || value.node.IsNull()) return MapReader(*this, value, true);
  if (!value.node.IsMap()) {
    error(value, fmt::format("expected a map, got {}", describe(value.node)));
    return MapReader(*this, value, false);
  }
  checkKeys(value, allowed);
  return MapReader(*this, value, true);
}

bool Reader::checkKeys(const Value& map, std::span<const std::string_view> allowed) {
  const std::size_t errors_before = errors_.size();
  std::vector<std::pair<std::string, YAML::Mark>> seen;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: the iterator hands out a temporary
    if (!key.IsScalar()) {
      error(key.Mark(), map.path, fmt::format("keys must be plain names, got {}", describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string path = childPath(map.path, name);
    auto previous = std::find_if(seen.begin(), seen.end(),
                                 [&](const auto& entry) { return entry.first == name; });
    if (previous != seen.end()) {
      error(key.Mark(), path,
            fmt::format("duplicate key '{}' (first given on line {})", name,
                        previous->second.line + 1));
      continue;
    }
    seen.emplace_back(name, key.Mark());
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    if (auto suggestion = closestMatch(name, allowed)) {
      error(key.Mark(), path,
            fmt::format("unknown key '{}' (did you mean '{}'?)", name, *suggestion));
    } else {
      error(key.Mark(), path,
            fmt::format("unknown key '{}' (known keys: {})", name, joinNames(allowed)));
    }
  }
  return errors_.size() == errors_before;
}

std::vector<Value> Reader::items(const Value& value) {
  std::vector<Value> result;
  if (!value.present || value.node.IsNull()) return result;
  if (!value.node.IsSequence()) {
    error(value, fmt::format("expected a list, got {}", describe(value.node)));
    return result;
  }
  result.reserve(value.node.size());
  std::size_t index = 0;
  for (const YAML::Node& item : value.node) {
    if (item.IsNull()) {
      // A stray "-". yaml-cpp gives an empty item no position of its own (its mark is the next
      // token's, possibly far below), so point at the list and let the index say which item.
      error(value.mark, itemPath(value.path, index), "empty list item");
    } else {
      result.emplace_back(item, itemPath(value.path, index));
    }
    ++index;
  }
  return result;
}

std::optional<SecretRef> Reader::secret(const Value& map, std::string_view base) {
  if (!map.present || !map.node.IsMap()) return std::nullopt;
  const std::string file_key = fmt::format("{}_file", base);
  const Value inline_value = lookup(map, base);
  const Value file_value = lookup(map, file_key);
  const std::string hint = fmt::format("use {}: FILE or {}: env:NAME", file_key, base);

  if (inline_value.present && file_value.present) {
    const Value& later = before(inline_value.mark, file_value.mark) ? file_value : inline_value;
    error(later, fmt::format("give either {}: FILE or {}: env:NAME, not both", file_key, base));
    return std::nullopt;
  }
  if (file_value.present) {
    std::optional<std::string> path = string(file_value);
    if (!path) return std::nullopt;
    return SecretRef{SecretRef::Kind::kFile, std::move(*path)};
  }
  if (!inline_value.present) return std::nullopt;

  // From here on the value may be the secret itself, typed in by mistake: messages only ever
  // describe its kind, never its text.
  const YAML::Node& node = inline_value.node;
  if (!node.IsScalar()) {
    error(inline_value, fmt::format("expected env:NAME, got {}; {}", describe(node), hint));
    return std::nullopt;
  }
  constexpr std::string_view kEnvPrefix = "env:";
  const std::string& text = node.Scalar();
  if (!text.starts_with(kEnvPrefix)) {
    error(inline_value, fmt::format("secrets are never inline: {}", hint));
    return std::nullopt;
  }
  std::string name = text.substr(kEnvPrefix.size());
  if (!isEnvName(name)) {
    error(inline_value,
          "expected env:NAME, where NAME is letters, digits and _ and does not start with a digit");
    return std::nullopt;
  }
  return SecretRef{SecretRef::Kind::kEnv, std::move(name)};
}

MapReader::MapReader(Reader& reader, Value value, bool is_map)
    : reader_(&reader), value_(std::move(value)), is_map_(is_map) {}

Value MapReader::get(std::string_view key) const { return lookup(value_, key); }

bool MapReader::require(std::string_view key) const {
  return field(key, Need::kRequired).has_value();
}

std::optional<Value> MapReader::field(std::string_view key, Need need) const {
  Value value = get(key);
  if (value.present) return value;
  if (need == Need::kRequired && is_map_) {
    reader_->error(value_.mark, value_.path, fmt::format("missing required key '{}'", key));
  }
  return std::nullopt;
}

bool MapReader::integer(std::string_view key, int& out, int min, int max, Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->integer(v, min, max); });
}

bool MapReader::number(std::string_view key, double& out, double min, double max, Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->number(v, min, max); });
}

bool MapReader::number(std::string_view key, std::optional<double>& out, double min, double max,
                       Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->number(v, min, max); });
}

bool MapReader::boolean(std::string_view key, bool& out, Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->boolean(v); });
}

bool MapReader::string(std::string_view key, std::string& out, Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->string(v); });
}

bool MapReader::readableFile(std::string_view key, std::string& out, Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->readableFile(v); });
}

std::optional<SecretRef> MapReader::secret(std::string_view base) const {
  return reader_->secret(value_, base);
}

}  // namespace cohortwatch::config
