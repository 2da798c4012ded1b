// Reads the `admin:` section: whether the admin HTTP server runs, where it listens, and the
// bearer token (a file or an environment variable, never inline) that everything beyond
// /healthz needs. Same strictness as the rest of the configuration. Only config/*.cpp includes
// this header.
#pragma once

#include "config/settings.h"
#include "config/yaml_reader.h"

namespace cohortwatch::config {

// Reads root.admin into out.admin; absent or empty leaves the defaults.
void readAdmin(Reader& reader, const Value& root, Settings& out);

}  // namespace cohortwatch::config
