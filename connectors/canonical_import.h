// Import of canonical CSV files (DOMAIN.md, "Data model") into the store: people, offences and
// outcomes, kind recognised from the header row. Each row is validated; a bad row is rejected with
// "column: reason", kept in the store for review and retried later, while the rest of the file is
// taken. A file is applied in one transaction, and applying the same rows again changes nothing.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "connectors/change_events.h"
#include "tracking/civil_date.h"
#include "tracking/store.h"

namespace cohortwatch::connectors {

enum class RecordKind { kPeople, kOffences, kOutcomes };

std::string_view toString(RecordKind kind);
std::optional<RecordKind> parseRecordKind(std::string_view text);

struct FileImportSummary {
  std::string file;  // as given
  std::optional<RecordKind> kind;
  long taken = 0;     // valid rows (inserted + updated + unchanged + older_ignored)
  long rejected = 0;  // rows that failed validation
  long inserted = 0;
  long updated = 0;
  long unchanged = 0;
  long older_ignored = 0;  // person rows older than the stored person
  std::string error;       // the file could not be read at all (nothing taken); empty otherwise

  // "people.csv: 2991 taken, 4 rejected" (or "people.csv: not imported: <error>").
  std::string summaryLine() const;
};

struct RetrySummary {
  long retried = 0;
  long taken = 0;
  long still_rejected = 0;
  std::map<std::string, long> taken_by_source;
};

class CanonicalImporter {
 public:
  // `today` bounds every date (a date after it is rejected); `source` names where rows came from
  // in the rejected-rows table ("import" for the command line).
  CanonicalImporter(tracking::Store& store, const config::MethodologySettings& methodology,
                    tracking::Date today, std::string source);

  // Called for every rejected row as it is found.
  void onRejected(std::function<void(const tracking::RejectedRow&)> callback) {
    on_rejected_ = std::move(callback);
  }

  // Imports the files in dependency order (people, then offences, then outcomes) whatever the
  // order given. `kind` forces the kind of every file instead of recognising it from the header.
  std::vector<FileImportSummary> importFiles(const std::vector<std::filesystem::path>& files,
                                             std::optional<RecordKind> kind = std::nullopt);
  FileImportSummary importFile(const std::filesystem::path& file,
                               std::optional<RecordKind> kind = std::nullopt);

  // Imports one export read from `in` inside the caller's transaction (a source commits the
  // records with its own state). `file` names the export in rejected rows and selects the
  // profile's file entry; `profile` maps it (nullptr: the canonical format). A non-empty
  // summary.error means the export was rejected whole and nothing of it should be committed.
  FileImportSummary importExport(std::istream& in, const std::string& file,
                                 const config::MappingProfile* profile,
                                 std::optional<RecordKind> kind = std::nullopt);

  // Validates every pending rejected row again (e.g. once the missing child has arrived, or the
  // source's mapping was fixed) and takes those that now pass; only `source`'s rows when given.
  // `profile_of` names the mapping profile of a source (nullptr or no function: canonical).
  using ProfileLookup = std::function<const config::MappingProfile*(const std::string& source)>;
  RetrySummary retryRejected(const ProfileLookup& profile_of = {}, std::string_view source = {});

 private:
  class RowValidator;

  tracking::Store& store_;
  const config::MethodologySettings& methodology_;
  tracking::Date today_;
  std::string source_;
  std::function<void(const tracking::RejectedRow&)> on_rejected_;
  ChangeEventRecorder events_;
};

// Where an export goes in a batch that landed together: 0 people, 1 offences, 2 outcomes (the
// first kind it yields), 3 when it cannot be read — so rows find what they refer to.
int applyRank(const std::filesystem::path& file, const config::MappingProfile* profile);

// Recognises the kind of a canonical file from its column names.
std::optional<RecordKind> recogniseKind(const std::vector<std::string>& column_names);

// Normalises an ISO 8601 date or date-time ("2025-03-04", "2025-03-04T10:15", "...:00Z",
// "...+01:00") to UTC "YYYY-MM-DDTHH:MM:SSZ"; nullopt when it is not one.
std::optional<std::string> normaliseTimestamp(std::string_view text);

}  // namespace cohortwatch::connectors
