// `cohortwatch sources` and `cohortwatch rejected list|retry`: what the sources have done, and
// the rows they (or imports) rejected, for review and for a retry after a fix.
#include "connectors/canonical_import.h"
#include "connectors/source_runner.h"
#include "daemon/commands.h"
#include "reports/cohort_reports.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

int runSources(Invocation& invocation) {
  if (!invocation.arguments.empty()) throw UsageError("sources takes no arguments");
  const auto format = formatOption(invocation);
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  reports::Table table;
  table.columns = {{"source", "Source"},         {"kind", "Kind"},
                   {"last_run", "Last run"},     {"last_success", "Last success"},
                   {"files_taken", "Files", 0},  {"requests", "Requests", 0},
                   {"rows_taken", "Rows", 0},    {"rows_rejected", "Rejected", 0},
                   {"last_error", "Last error"}};
  auto cell = [](const std::string& text) { return text.empty() ? reports::Cell{} : reports::Cell(text); };
  for (const auto& source : settings->sources) {
    const auto state = store->sourceState(source.name);
    table.rows.push_back({source.name,
                          std::string(source.kind == config::SourceSettings::Kind::kDirectory ? "directory" : "http"),
                          cell(state.last_run), cell(state.last_success), state.files_taken,
                          state.requests, state.rows_taken, state.rows_rejected, cell(state.last_error)});
  }
  if (settings->sources.empty()) table.notes.push_back("No sources are configured (sources: in the configuration).");
  reports::render(table, format, invocation.out);
  return kExitOk;
}

int runRejected(Invocation& invocation) {
  if (invocation.arguments.size() != 1 ||
      (invocation.arguments[0] != "list" && invocation.arguments[0] != "retry")) {
    throw UsageError("say list or retry");
  }
  const auto format = formatOption(invocation);
  const std::string source = invocation.value("source").value_or("");
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  if (invocation.arguments[0] == "list") {
    auto rows = store->pendingRejected();
    if (!source.empty()) {
      std::erase_if(rows, [&](const tracking::RejectedRow& row) { return row.source != source; });
    }
    reports::render(reports::rejectedRowsTable(rows), format, invocation.out);
    return kExitOk;
  }
  connectors::CanonicalImporter importer(*store, settings->methodology,
                                         tracking::SystemClock().today(), "import");
  const auto summary = importer.retryRejected(profileLookup(*settings), source);
  invocation.out << "rejected rows: " << summary.retried << " retried, " << summary.taken
                 << " taken, " << summary.still_rejected << " still rejected\n";
  return kExitOk;
}

connectors::CanonicalImporter::ProfileLookup profileLookup(const config::Settings& settings) {
  return [&settings](const std::string& source_name) {
    return connectors::profileOfSource(settings, source_name);
  };
}

}  // namespace cohortwatch::daemon
