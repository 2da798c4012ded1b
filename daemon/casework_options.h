// Options shared by the casework commands (`action`, `review`, `import actions`): who records,
// dates in either of the forms managers type, the child named by --person, the id argument, and
// which options each subcommand takes. Internal to daemon/.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include "daemon/cli.h"
#include "tracking/civil_date.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

// --by WHO, else the user behind sudo (SUDO_USER), else USER, else "cli".
std::string recordedByOption(const Invocation& invocation);

// The date given to --NAME (YYYY-MM-DD or dd/mm/yyyy); nullopt when the option is absent;
// UsageError naming the option when it is not a date.
std::optional<tracking::Date> dateOption(const Invocation& invocation, const std::string& name);

// The value of a required --NAME, not empty; UsageError otherwise.
std::string requiredOption(const Invocation& invocation, const std::string& name);

// The child given to --person: UsageError when the store does not know it.
tracking::PersonDetails personOption(const Invocation& invocation,
                                     tracking::CaseworkStore& casework);

// Refuses options the subcommand does not take (the command's spec lists those of all of them),
// and arguments beyond `max_arguments` (the subcommand's name included).
void checkSubcommand(const Invocation& invocation, const std::string& subcommand,
                     std::initializer_list<const char*> allowed, std::size_t max_arguments);

// The numeric id in arguments[1] ("action update 12"); UsageError naming `what` otherwise.
long recordIdArgument(const Invocation& invocation, const char* what, const char* example);

}  // namespace cohortwatch::daemon
