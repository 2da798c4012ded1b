// `cohortwatch import`: canonical CSV files into the store, printing every rejected row and one
// summary line per file.
#include "connectors/canonical_import.h"
#include "daemon/commands.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

int runImport(Invocation& invocation) {
  if (!invocation.arguments.empty() && invocation.arguments.front() == "actions") {
    return runImportActions(invocation);
  }
  for (const char* option : {"by", "dry-run"}) {
    if (invocation.has(option)) {
      throw UsageError(std::string("--") + option + " is for 'import actions FILE' only");
    }
  }
  const bool retry = invocation.has("retry-rejected");
  if (invocation.arguments.empty() && !retry) throw UsageError("name at least one FILE to import");
  std::optional<connectors::RecordKind> kind;
  if (auto text = invocation.value("kind")) {
    kind = connectors::parseRecordKind(*text);
    if (!kind) throw UsageError("--kind: expected people, offences or outcomes, got '" + *text + "'");
  }
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);

  connectors::CanonicalImporter importer(*store, settings->methodology,
                                         tracking::SystemClock().today(), "import");
  importer.onRejected([&](const tracking::RejectedRow& row) {
    invocation.out << row.file << ':' << row.line << ": " << row.reason << '\n';
  });
  int status = kExitOk;
  if (!invocation.arguments.empty()) {
    std::vector<std::filesystem::path> files(invocation.arguments.begin(), invocation.arguments.end());
    for (const auto& summary : importer.importFiles(files, kind)) {
      if (!summary.error.empty()) {
        status = kExitFailure;
        invocation.err << summary.summaryLine() << '\n';
      } else {
        invocation.out << summary.summaryLine() << '\n';
      }
    }
  }
  if (retry) {
    const auto summary = importer.retryRejected(profileLookup(*settings));
    invocation.out << "rejected rows: " << summary.retried << " retried, " << summary.taken
                   << " taken, " << summary.still_rejected << " still rejected\n";
  }
  return status;
}

}  // namespace cohortwatch::daemon
