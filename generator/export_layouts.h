// Where the synthetic cohort is written, and in which layout: the canonical CSV files of
// DOMAIN.md, or exports shaped like the two example mapping profiles shipped in config/mappings/
// (synthetic vendor-style layouts, not any vendor's real format). The profiles read these exports
// back into exactly the canonical rows; a test checks it.
//
//  - canonical: people.csv, offences.csv, outcomes.csv (UTF-8).
//  - childview_style_example: clients.csv, offences.csv, disposals.csv in windows-1252, dates
//    dd/mm/yyyy, codes M/F/O/U, Y/N and YRO/RO/YC/...; characters windows-1252 cannot hold (Ł)
//    are written as '?', as such an export would.
//  - wide_style_example: young_people.csv and offence_outcomes.csv (UTF-8), one row per offence
//    and outcome (an offence with no outcome yet has empty outcome columns; a release from
//    custody has empty offence columns), dates d/m/yyyy, codes as words ("Referral Order").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracking/civil_date.h"

namespace cohortwatch::generator {

enum class ExportLayout { kCanonical, kChildviewStyleExample, kWideStyleExample };

std::string_view toString(ExportLayout layout);
std::optional<ExportLayout> parseExportLayout(std::string_view name);
// "canonical, childview_style_example, wide_style_example".
std::string exportLayoutNames();

// One valid row of each kind, as the generator produces it.
struct PersonRow {
  std::uint64_t number = 0;  // person_id P0000001
  std::string_view first_name;
  std::string_view last_name;
  tracking::Date birth;
  std::string_view gender;
  std::string_view ethnicity;
  bool looked_after = false;
  std::string_view caseworker;
  std::string_view team;
  tracking::Date updated;
  int updated_minute = 0;  // minute of the day of updated_at
};

struct OffenceRow {
  std::uint64_t number = 0;  // offence_id O0000001
  std::uint64_t person = 0;
  tracking::Date date;
  std::string_view code;
  std::string_view description;
  int gravity = 0;
  bool breach = false;
};

struct OutcomeRow {
  std::uint64_t number = 0;  // outcome_id D0000001
  std::uint64_t person = 0;
  // The offence it disposes of; for a release from custody (linked false) the offence of the
  // sentence it ends, which canonical outcomes do not name but a wide export places it beside.
  std::uint64_t offence = 0;
  bool linked = true;
  std::string_view type;  // canonical outcome_type
  tracking::Date date;
};

enum class CanonicalFile { kPeople, kOffences, kOutcomes };

class ExportWriter {
 public:
  virtual ~ExportWriter() = default;
  virtual void person(const PersonRow& row) = 0;
  virtual void offence(const OffenceRow& row) = 0;
  virtual void outcome(const OutcomeRow& row) = 0;
  // An invalid row, given as the canonical file's fields in DOMAIN.md order. Layouts keep it
  // invalid: values that do not convert are written as they are.
  virtual void invalidRow(CanonicalFile file, const std::vector<std::string>& fields) = 0;
  // The rows of one child are complete (a wide export joins offences and outcomes here).
  virtual void endChild() {}
  // Flushes and closes every file; throws std::runtime_error naming the file on failure.
  virtual void close() = 0;
};

// Creates the files of `layout` in `dir` (which must exist) and writes their header rows.
std::unique_ptr<ExportWriter> makeExportWriter(ExportLayout layout,
                                               const std::filesystem::path& dir);

}  // namespace cohortwatch::generator
