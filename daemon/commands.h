// The subcommands of cohortwatch, one function each (daemon/command_*.cpp), wired by cli.cpp.
#pragma once

#include "connectors/canonical_import.h"
#include "daemon/cli.h"

namespace cohortwatch::daemon {

int runService(Invocation& invocation);    // run
int runImport(Invocation& invocation);     // import
int runReport(Invocation& invocation);     // report
int runCheckConfig(Invocation& invocation);  // check-config
int runGenerate(Invocation& invocation);   // generate
int runSources(Invocation& invocation);    // sources
int runRejected(Invocation& invocation);   // rejected list|retry

// The mapping profile of a configured source, for retrying its rejected rows.
connectors::CanonicalImporter::ProfileLookup profileLookup(const config::Settings& settings);

}  // namespace cohortwatch::daemon
