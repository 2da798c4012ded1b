// Turns one case-management export file into canonical records through a mapping profile
// (config/mapping_settings.h): picks the profile's entry for the file, renames columns, converts
// the text encoding, dates and codes, adds constants, and splits wide rows (an offence with its
// outcome) into an offence and an outcome record. Without a profile the file is canonical CSV and
// passes through. Nothing here validates canonical values beyond what mapping needs: the
// records go on to the same validation as canonical rows (canonical_import.h).
//
// Contract, in short:
//  - The file is rejected whole (error() set, no rows) when no file entry of the profile fits it,
//    a column the entry maps is missing, or the header row is malformed; a header-only or empty
//    file is fine and gives no rows.
//  - Each data row gives a MappedRow: 0..n records in apply order, or an error "Column: reason"
//    naming the export's own column (a date not in the profile's format, a code missing from a
//    strict value map, a CSV defect, a wrong number of fields). Row errors never stop reading.
//  - Values are trimmed. A value map is applied first (codes matched ignoring ASCII case); a value
//    it maps is taken as the canonical value as it stands, any other value of a date field is
//    converted from the profile's date format to YYYY-MM-DD (updated_at: from its date-time format
//    to YYYY-MM-DDTHH:MM:SSZ, or from the date format to midnight). Empty values stay empty.
//  - Memory is bounded by the longest row: files are read streaming (csv_reader.h).
#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/mapping_settings.h"
#include "connectors/canonical_import.h"
#include "connectors/csv_reader.h"

namespace cohortwatch::connectors {

class Windows1252Istream;

// Canonical column names per kind, in DOMAIN.md order (all of them, required and optional).
const std::vector<std::string>& canonicalColumns(RecordKind kind);

struct CanonicalRecord {
  RecordKind kind = RecordKind::kPeople;
  std::vector<std::string> fields;  // aligned with ExportReader::providedColumns(kind)
};

struct MappedRow {
  std::size_t line = 0;                  // physical line in the export where the row starts
  std::string raw;                       // the row as read (UTF-8, after decoding)
  std::vector<CanonicalRecord> records;  // 0..n records in apply order (wide: offence, outcome)
  std::string error;  // "Column: reason[; Column: reason]" when the row cannot be mapped at all
};

class ExportReader {
 public:
  // How the bytes of `in` are encoded: as the profile says, or already UTF-8 (a stored rejected
  // row being retried: its raw text and header were decoded when first read).
  enum class Input { kAsProfile, kUtf8 };

  // `file_name` (its last component) selects the profile's file entry. Canonical profile
  // (nullptr): the kind comes from the header (recogniseKind) unless `kind` is given; with a
  // profile `kind` is not used, the entry's layout decides. `profile` must outlive the reader.
  ExportReader(std::istream& in, std::string file_name, const config::MappingProfile* profile,
               std::optional<RecordKind> kind = std::nullopt, Input input = Input::kAsProfile);
  ~ExportReader();
  ExportReader(const ExportReader&) = delete;
  ExportReader& operator=(const ExportReader&) = delete;

  // Non-empty when the file is rejected whole.
  const std::string& error() const { return error_; }
  // The kinds this file yields, in apply order (people, offences, outcomes).
  const std::vector<RecordKind>& kinds() const { return kinds_; }
  // Canonical columns this file provides for `kind`, in DOMAIN.md order (absent ones are left
  // alone by the store); empty for a kind the file does not yield.
  const std::vector<std::string>& providedColumns(RecordKind kind) const;
  // The header line as read (UTF-8), stored with rejected rows so that they can be retried.
  std::string header() const { return header_; }
  // The export column a canonical column of `kind` is read from ("DOB" for date_of_birth), to
  // name it in messages of later validation; the canonical name itself when it has no column
  // (canonical files, constants, copies).
  std::string sourceColumn(RecordKind kind, std::string_view canonical_column) const;
  // Undefined windows-1252 bytes read so far as U+FFFD (0 for UTF-8 input): more than a few
  // suggest the file is not windows-1252 at all.
  std::size_t replacedBytes() const;

  // The next data row; false at the end of the file (at once when error() is set).
  bool next(MappedRow& row);

 private:
  struct Plan;

  void start(std::optional<RecordKind> kind);
  bool planProfile(const std::vector<std::string>& header_names);
  bool planCanonical(std::optional<RecordKind> kind, const std::vector<std::string>& header_names);
  void mapRow(MappedRow& row);

  std::string file_name_;
  const config::MappingProfile* profile_;
  std::unique_ptr<Windows1252Istream> decoded_;  // the windows-1252 decoder, when there is one
  std::unique_ptr<CsvReader> csv_;
  CsvRecord record_;
  std::optional<CsvHeader> csv_header_;
  std::unique_ptr<Plan> plan_;
  std::string error_;
  std::string header_;
  std::vector<RecordKind> kinds_;
  std::vector<std::vector<std::string>> provided_;  // by RecordKind
  bool done_ = false;
};

}  // namespace cohortwatch::connectors
