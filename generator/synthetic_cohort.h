// Synthetic youth-justice data for demos, tests and benchmarks: people.csv, offences.csv and
// outcomes.csv in the canonical format of DOMAIN.md (or the same data in one of the example export
// layouts of export_layouts.h), with a realistic cohort shape (ages,
// disposals, about a third reoffending, front-loaded further offending) and optional invalid rows
// of every kind. Output depends only on the options: the same seed gives the same bytes on every
// platform.
#pragma once

#include <cstdint>
#include <string>

#include "generator/export_layouts.h"
#include "tracking/civil_date.h"

namespace cohortwatch::generator {

struct GeneratorOptions {
  std::string out_dir;
  std::int64_t children = 1000;
  // Index events (first cohort entries) are spread uniformly over [from, to]; no valid row holds a
  // date after `to`, which plays the part of the export date.
  tracking::Date from;
  tracking::Date to;
  std::uint64_t seed = 1;
  // Share of rows in each file that are invalid (supplementary rows, one defect each), in [0, 1).
  // Dirty rows use their own random stream, so the valid rows are the same as with no dirt.
  double dirty_rate = 0.0;
  // The files written: canonical, or an example export layout that a shipped mapping profile
  // (config/mappings/<layout>.yaml) reads back into the same canonical rows.
  ExportLayout layout = ExportLayout::kCanonical;
};

struct GeneratorSummary {
  // Valid rows written per file (header excluded).
  std::int64_t people = 0, offences = 0, outcomes = 0;
  // Invalid rows written across all three files.
  std::int64_t dirty_rows = 0;
};

// Writes people.csv, offences.csv, outcomes.csv (or the files of options.layout; the summary
// counts canonical records either way) in out_dir (created if missing). Throws
// std::invalid_argument for bad options (negative children, from after to, dirty_rate outside
// [0, 1)) and std::runtime_error naming the path on I/O failure.
GeneratorSummary generateCohortFiles(const GeneratorOptions& options);

}  // namespace cohortwatch::generator
