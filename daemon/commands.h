// The subcommands of cohortwatch, one function each (daemon/command_*.cpp), wired by cli.cpp.
#pragma once

#include "connectors/canonical_import.h"
#include "daemon/cli.h"
#include "reports/table.h"
#include "tracking/civil_date.h"

namespace cohortwatch::daemon {

int runService(Invocation& invocation);    // run
int runImport(Invocation& invocation);     // import
int runReport(Invocation& invocation);     // report
int runCheckConfig(Invocation& invocation);  // check-config
int runGenerate(Invocation& invocation);   // generate
int runSources(Invocation& invocation);    // sources
int runRejected(Invocation& invocation);   // rejected list|retry
int runRules(Invocation& invocation);      // rules check|test
int runAnalyse(Invocation& invocation);    // analyse retrospective
int runOutbox(Invocation& invocation);     // outbox list|show|retry|purge|send-test
int runProduce(Invocation& invocation);    // produce SCHEDULE
int runAction(Invocation& invocation);     // action add|update|done|cancel|list|history
int runReview(Invocation& invocation);     // review record|list
int runImportActions(Invocation& invocation);  // import actions FILE (from runImport)
int runExport(Invocation& invocation);     // export tracking-sheet

// `import actions`: the good rows were taken, some rows were rejected (printed on stderr).
inline constexpr int kExitRowsRejected = 3;

// --format (table by default; html only where the command offers it).
reports::Format formatOption(const Invocation& invocation, bool allow_html = false);
// --as-of DATE, or today.
tracking::Date asOfOption(const Invocation& invocation);

// The mapping profile of a configured source, for retrying its rejected rows.
connectors::CanonicalImporter::ProfileLookup profileLookup(const config::Settings& settings);

}  // namespace cohortwatch::daemon
