// The subcommands of cohortwatch, one function each (daemon/command_*.cpp), wired by cli.cpp.
#pragma once

#include "daemon/cli.h"

namespace cohortwatch::daemon {

int runService(Invocation& invocation);    // run
int runImport(Invocation& invocation);     // import
int runReport(Invocation& invocation);     // report
int runCheckConfig(Invocation& invocation);  // check-config
int runGenerate(Invocation& invocation);   // generate

}  // namespace cohortwatch::daemon
