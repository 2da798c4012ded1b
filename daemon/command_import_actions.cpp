// `cohortwatch import actions FILE`: the tracking sheet managers filled in, read back into actions
// and reviews (connectors/action_import.h has the contract). Prints a summary line, and every
// rejected row on stderr; exits 3 when rows were rejected, so that a script notices that part of
// the sheet was not recorded.
#include "connectors/action_import.h"
#include "daemon/casework_options.h"
#include "daemon/commands.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

int runImportActions(Invocation& invocation) {
  for (const char* option : {"kind", "retry-rejected"}) {
    if (invocation.has(option)) {
      throw UsageError(std::string("--") + option + " is not an option of 'import actions'");
    }
  }
  if (invocation.arguments.size() != 2) {
    throw UsageError(invocation.arguments.size() < 2
                         ? "name the tracking sheet to import, e.g. import actions sheet.xlsx"
                         : "import actions takes one FILE");
  }
  const std::filesystem::path file = invocation.arguments[1];
  const std::string by = recordedByOption(invocation);
  const bool dry_run = invocation.has("dry-run");

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  connectors::ActionImporter importer(*store, by, tracking::SystemClock().today());
  const auto summary = importer.importFile(file, dry_run);
  if (!summary.error.empty()) {
    invocation.err << summary.error << '\n';
    return kExitFailure;
  }
  for (const auto& line : summary.rejections) invocation.err << line << '\n';
  invocation.out << summary.summaryLine() << (dry_run ? " (dry run: nothing recorded)" : "")
                 << '\n';
  return summary.rejected > 0 ? kExitRowsRejected : kExitOk;
}

}  // namespace cohortwatch::daemon
