// `cohortwatch check-config`: validates the configuration and prints ok or every error, with a
// warning (on stderr) for each setting that weakens protection in transit.
#include <filesystem>

#include "config/transport_warnings.h"
#include "daemon/commands.h"

namespace cohortwatch::daemon {

int runCheckConfig(Invocation& invocation) {
  if (!invocation.arguments.empty()) throw UsageError("check-config takes no arguments (use --config FILE)");
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  for (const auto& warning : config::transportWarnings(*settings)) {
    invocation.err << "warning: " << warning << "\n";
  }
  if (settings->config_file.empty()) {
    invocation.out << "ok (no configuration file at " << config::kDefaultConfigPath
                   << "; built-in defaults apply)\n";
  } else {
    invocation.out << "ok\n";
  }
  return kExitOk;
}

}  // namespace cohortwatch::daemon
