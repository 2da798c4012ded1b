// Reads the `mappings:` section (mapping profiles, inline or from their own YAML files) into
// Settings, with the same strictness as the rest of the configuration: every error names the
// file, line, column and key path, and an error inside a profile file names that file. Only
// config/*.cpp includes this header.
#pragma once

#include "config/settings.h"
#include "config/yaml_reader.h"

namespace cohortwatch::config {

// Reads root.mappings into out.mappings, then checks that every root.sources[i].mapping names a
// profile or "canonical". Profile files (`name: {file: PATH}`) are resolved against the folder
// of the configuration file. Outcome codes in value maps are checked against
// out.methodology.outcome_types, so call this after the methodology section has been read.
void readMappings(Reader& reader, const Value& root, Settings& out);

}  // namespace cohortwatch::config
