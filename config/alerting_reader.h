// Reads the sections that decide who hears about what: `focus_groups:`, `alerts:` (rules whose
// conditions are kept as text with their position, compiled by rules/), `channels:`,
// `notifications:` (managers, recipient groups, templates, retries) and `schedules:` (digests,
// reminders and reports on cron slots in a time zone). Same strictness as the rest
// of the configuration. Only config/*.cpp includes this header.
#pragma once

#include "config/settings.h"
#include "config/yaml_reader.h"

namespace cohortwatch::config {

// Reads root.focus_groups, root.alerts, root.channels, root.notifications and root.schedules
// into `out`, then
// checks the references between them (recipients naming groups or channels, the e-mail channel).
void readAlerting(Reader& reader, const Value& root, Settings& out);

}  // namespace cohortwatch::config
