// The settings that weaken the protection of children's data in transit: a channel or source
// that does not check its server's certificate, or that sends credentials or payloads without
// TLS. They are legitimate in a test lab, so they are warnings, not errors; they are said once,
// when the service starts (or restarts on a reloaded configuration) and by check-config, rather
// than by every cohortwatch-worker that connects.
#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::config {

// One line per weakness, naming the channel or source (never a URL: its query may hold a key).
std::vector<std::string> transportWarnings(const Settings& settings);

}  // namespace cohortwatch::config
