// The command line of the one binary: `cohortwatch COMMAND [options]`. Parses options, loads the
// configuration, sets up logging and dispatches to the subcommands (daemon/commands.h).
// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::daemon {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// A mistake on the command line: reported with the command's usage, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  const char* name;        // without the leading "--"
  const char* value_name;  // nullptr for a flag
  const char* help;
};

struct Invocation;

struct CommandSpec {
  const char* name;
  const char* summary;
  const char* usage;  // after "cohortwatch NAME "
  std::vector<OptionSpec> options;
  int (*run)(Invocation&);
};

// One parsed command line, handed to a command.
struct Invocation {
  const CommandSpec* command = nullptr;
  std::map<std::string, std::string> options;  // flags map to ""
  std::vector<std::string> arguments;
  std::ostream& out;
  std::ostream& err;

  bool has(const std::string& name) const { return options.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;

  // The settings from --config (or the default file when it exists, or defaults), with --db and
  // --log-level applied; nullopt after printing every configuration error.
  std::optional<config::Settings> loadSettings();
};

int runCommandLine(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace cohortwatch::daemon
