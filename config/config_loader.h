// Loads the one YAML configuration file into typed Settings, strictly: unknown keys, wrong types
// and bad values are all errors, each naming file, line, column and key path, and every mistake
// in the file is reported at once rather than only the first. Nothing here throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::config {

struct ConfigError {
  std::string file;
  int line = 0;          // 1-based; 0 when unknown (e.g. the file could not be read)
  int column = 0;        // 1-based; 0 when unknown
  std::string key_path;  // e.g. "methodology.outcome_types[3].group"; empty for the file as a whole
  std::string message;

  // "FILE:LINE:COL: key.path: message", without ":LINE:COL" or "key.path: " when unknown.
  std::string toString() const;
};

struct LoadResult {
  Settings settings;  // meaningful only when ok(); defaults where the file gave nothing
  std::vector<ConfigError> errors;  // in the order they appear in the file

  bool ok() const { return errors.empty(); }
};

// Reads and validates the file at `path`. A missing or unreadable file is one error naming it.
LoadResult loadConfigFile(const std::string& path);

// As loadConfigFile, for text already in memory; `file_name` is used in errors and config_file.
LoadResult loadConfigString(std::string_view yaml, const std::string& file_name);

// "trace", "debug", "info", "warn", "error", "critical" or "off".
std::optional<LogLevel> parseLogLevel(std::string_view text);

}  // namespace cohortwatch::config
