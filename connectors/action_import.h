// `cohortwatch import actions FILE`: the tracking sheet, filled in by managers during the review
// meeting, read back (CSV or XLSX) into the casework store: new actions, changed ones (with
// history) and reviews. Also the value rules (dates, owners, statuses, neutralised cells) that the
// action and review commands share with it.
//
// The contract with the tracking-sheet export: the header row names columns by key (trimmed,
// any case; unknown columns ignored): person_id (required), action_id, action, action_owner,
// action_due, action_status, action_notes, reviewed_on. Cells that start with = + - @ were
// written with a leading ' (no formula injection), which is removed again here. A row:
//  - with no action_id and no action records no action; with reviewed_on it records a review of
//    the child that day unless one of that day exists;
//  - with an action and no action_id is a new action (owner: the child's caseworker when empty;
//    status open when empty) -- unless the child has an open action with the same text (or one
//    with the row's status), which it then is: importing the same sheet twice records it once;
//  - with an action_id names an action of that child: its changed fields are updated, each kept in
//    the action's history; an empty action_due clears the due date, an empty owner or status
//    leaves it alone.
// A bad row is rejected whole ("FILE:LINE: column: reason", LINE the CSV line or sheet row) and
// the others are taken, all in one transaction.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracking/civil_date.h"
#include "tracking/store.h"

namespace cohortwatch::connectors {

// YYYY-MM-DD or dd/mm/yyyy (one-digit day and month allowed); a real calendar day or nullopt.
std::optional<tracking::Date> parseCaseworkDate(std::string_view text);
// local@domain.tld, no spaces: enough to catch a name typed where an address belongs.
bool looksLikeEmail(std::string_view text);
// open, done or cancelled in any case, lower-cased; nullopt for anything else.
std::optional<std::string> parseActionStatus(std::string_view text);
// Undoes the export's formula neutralisation: "'=SUM(A1)" -> "=SUM(A1)"; anything else unchanged.
std::string restoreNeutralised(std::string_view cell);

struct ActionImportSummary {
  std::string file;  // the file name, as rejected lines name it
  long rows = 0;     // data rows read, blank ones not counted
  long added = 0;
  long changed = 0;
  long unchanged = 0;
  long reviews = 0;
  long rejected = 0;
  std::vector<std::string> rejections;  // "FILE:LINE: column: reason"
  std::string error;  // set when the file could not be read at all: nothing was recorded

  // "sheet.xlsx: 40 rows: 2 new, 1 changed, 5 unchanged, 3 reviews, 1 rejected"
  std::string summaryLine() const;
};

class ActionImporter {
 public:
  // `recorded_by` is written as the author of every action, change and review; `today` bounds
  // review dates (a review cannot be recorded for a day still to come).
  ActionImporter(tracking::Store& store, std::string recorded_by, tracking::Date today);

  // Reads `file` (XLSX when its name ends in .xlsx or .xlsm or it starts like a zip, CSV
  // otherwise) and applies its good rows in one transaction, rolled back instead of committed
  // when `dry_run`. Throws StoreError when the database fails (nothing is then recorded).
  ActionImportSummary importFile(const std::filesystem::path& file, bool dry_run);

 private:
  tracking::Store& store_;
  std::string recorded_by_;
  tracking::Date today_;
};

}  // namespace cohortwatch::connectors
