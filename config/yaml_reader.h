// The strict walker the configuration loader is built from: it reads typed values out of a yaml-cpp
// document and collects every error (file, line, column, key path) instead of stopping at the
// first. Adding a section is a MapReader and one line per key. Only config/*.cpp and config tests
// include this header; everything else sees config_loader.h, which keeps yaml-cpp out.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_loader.h"
#include "config/secret.h"

namespace cohortwatch::config {

// The names of an enumerated setting and what each means, in the order error messages list them.
template <typename E>
using Choices = std::vector<std::pair<std::string_view, E>>;

enum class Need { kOptional, kRequired };

inline constexpr double kNoMax = std::numeric_limits<double>::infinity();

// A place in the document: the node (if the key was given at all), its key path, and where errors
// about it point. For an empty value ("key:" and nothing) that is the key, because yaml-cpp puts
// an empty value's mark at the next token, often on the next line.
struct Value {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
  bool present = true;

  Value(const YAML::Node& value_node, std::string key_path);
  Value(const YAML::Node& value_node, std::string key_path, YAML::Mark where, bool is_present);
};

// "database" + "path" -> "database.path"; "" + "database" -> "database".
std::string childPath(std::string_view parent, std::string_view key);
// "national" + 1 -> "national[1]".
std::string itemPath(std::string_view parent, std::size_t index);

// The value of `key` in `map` (the first one if the key is repeated); not present when `map` is
// not a map or has no such key.
Value lookup(const Value& map, std::string_view key);

// A value as error messages show it: a scalar quoted (and cut short), other kinds by name
// ("a map", "a list", "an empty value").
std::string describe(const YAML::Node& node);

// Levenshtein distance, for "did you mean" suggestions.
std::size_t editDistance(std::string_view a, std::string_view b);
// The known word closest to `given` when it is within edit distance 2.
std::optional<std::string_view> closestMatch(std::string_view given,
                                             std::span<const std::string_view> known);

class MapReader;

class Reader {
 public:
  explicit Reader(std::string file_name);

  const std::string& fileName() const { return file_name_; }
  bool hasErrors() const { return !errors_.empty(); }
  const std::vector<ConfigError>& errors() const { return errors_; }
  // The errors so far, ordered by their position in the file; leaves none behind.
  std::vector<ConfigError> takeErrors();

  void error(const YAML::Mark& mark, std::string key_path, std::string message);
  void error(const Value& at, std::string message);
  // An error found in another file read on this file's behalf (an included mapping profile), kept
  // as it is; takeErrors() lists such errors after this file's own, grouped by file.
  void add(ConfigError error);

  // Value readers: each checks the type and range of `value`, reports an error and returns
  // nullopt when it is wrong. `value` must be present.
  std::optional<int> integer(const Value& value, int min, int max);
  std::optional<double> number(const Value& value, double min, double max = kNoMax);
  std::optional<bool> boolean(const Value& value);        // true/false (yes/no too)
  std::optional<std::string> string(const Value& value);  // any non-blank scalar
  // The path of a file the service reads later (a CA bundle), checked now so that a typo is
  // reported here and not at the first transfer: it must be a file this process can open.
  std::optional<std::string> readableFile(const Value& value);
  std::optional<std::size_t> choice(const Value& value, std::span<const std::string_view> names);
  template <typename E>
  std::optional<E> oneOf(const Value& value, const Choices<E>& choices);

  // A map with only the `allowed` keys: unknown, repeated and non-scalar keys are reported. An
  // absent or empty value is an empty map. Anything else is reported, and the MapReader is then
  // not ok() and reads nothing.
  MapReader map(const Value& value, std::initializer_list<std::string_view> allowed);
  MapReader map(const Value& value, std::span<const std::string_view> allowed);

  // The items of a list, each with its path "list[i]". An absent or empty value is an empty list;
  // anything else is reported and gives no items. Empty items ("-" alone) are reported and left
  // out.
  std::vector<Value> items(const Value& value);

  // A secret given as `<base>_file: /path` (a file) or `<base>: env:NAME` (an environment
  // variable) in `map`; nullopt, without error, when neither key is there (the caller decides
  // whether it is required). An inline value, both keys, or a bad variable name are errors, and
  // no message ever contains what was written under `<base>`. The caller's map() must allow both
  // keys.
  std::optional<SecretRef> secret(const Value& map, std::string_view base);

 private:
  bool checkKeys(const Value& map, std::span<const std::string_view> allowed);

  std::string file_name_;
  std::vector<ConfigError> errors_;
};

// Reads the keys of one map into settings fields. Each field reader leaves `out` unchanged when
// the key is absent or its value is wrong, and returns whether it set `out`; Need::kRequired
// makes an absent key an error too.
class MapReader {
 public:
  MapReader(Reader& reader, Value value, bool is_map);

  bool ok() const { return is_map_; }
  const std::string& path() const { return value_.path; }
  const Value& value() const { return value_; }
  Reader& reader() const { return *reader_; }

  Value get(std::string_view key) const;  // not present when absent
  bool has(std::string_view key) const { return get(key).present; }
  // Reports "missing required key" when `key` is absent; returns whether it is present.
  bool require(std::string_view key) const;

  bool integer(std::string_view key, int& out, int min, int max, Need need = Need::kOptional);
  bool number(std::string_view key, double& out, double min, double max = kNoMax,
              Need need = Need::kOptional);
  bool number(std::string_view key, std::optional<double>& out, double min, double max = kNoMax,
              Need need = Need::kOptional);
  bool boolean(std::string_view key, bool& out, Need need = Need::kOptional);
  bool string(std::string_view key, std::string& out, Need need = Need::kOptional);
  bool readableFile(std::string_view key, std::string& out, Need need = Need::kOptional);
  template <typename E>
  bool oneOf(std::string_view key, E& out, const Choices<E>& choices, Need need = Need::kOptional);
  std::optional<SecretRef> secret(std::string_view base) const;

 private:
  // The value of `key` when it is there, reporting it when it is required and missing.
  std::optional<Value> field(std::string_view key, Need need) const;

  template <typename T, typename Read>
  bool assign(std::string_view key, T& out, Need need, Read read) {
    std::optional<Value> value = field(key, need);
    if (!value) return false;
    auto result = read(*value);
    if (!result) return false;
    out = std::move(*result);
    return true;
  }

  Reader* reader_;
  Value value_;
  bool is_map_;
};

template <typename E>
std::optional<E> Reader::oneOf(const Value& value, const Choices<E>& choices) {
  std::vector<std::string_view> names;
  names.reserve(choices.size());
  for (const auto& entry : choices) names.push_back(entry.first);
  std::optional<std::size_t> index = choice(value, names);
  if (!index) return std::nullopt;
  return choices[*index].second;
}

template <typename E>
bool MapReader::oneOf(std::string_view key, E& out, const Choices<E>& choices, Need need) {
  return assign(key, out, need, [&](const Value& v) { return reader_->oneOf(v, choices); });
}

}  // namespace cohortwatch::config
