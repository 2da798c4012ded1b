#include "daemon/casework_options.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "connectors/action_import.h"

namespace cohortwatch::daemon {

std::string recordedByOption(const Invocation& invocation) {
  if (auto by = invocation.value("by")) {
    if (by->empty()) throw UsageError("--by: give who records this, e.g. --by j.smith");
    return *by;
  }
  for (const char* variable : {"SUDO_USER", "USER"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0') return value;
  }
  return "cli";
}

std::optional<tracking::Date> dateOption(const Invocation& invocation, const std::string& name) {
  auto text = invocation.value(name);
  if (!text) return std::nullopt;
  if (auto date = connectors::parseCaseworkDate(*text)) return date;
  throw UsageError("--" + name + ": expected a date YYYY-MM-DD or dd/mm/yyyy, got '" + *text + "'");
}

std::string requiredOption(const Invocation& invocation, const std::string& name) {
  auto value = invocation.value(name);
  if (!value) throw UsageError("--" + name + " is required");
  if (value->find_first_not_of(" \t") == std::string::npos)
    throw UsageError("--" + name + ": empty");
  return *value;
}

tracking::PersonDetails personOption(const Invocation& invocation,
                                     tracking::CaseworkStore& casework) {
  const std::string person_id = requiredOption(invocation, "person");
  auto person = casework.person(person_id);
  if (!person) throw UsageError("--person: no child with person_id '" + person_id + "'");
  return *person;
}

void checkSubcommand(const Invocation& invocation, const std::string& subcommand,
                     std::initializer_list<const char*> allowed, std::size_t max_arguments) {
  static constexpr std::string_view kCommon[] = {"config", "db", "log-level", "help"};
  for (const auto& [name, value] : invocation.options) {
    const bool common =
        std::find(std::begin(kCommon), std::end(kCommon), name) != std::end(kCommon);
    const bool taken = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* option) { return name == option; });
    if (!common && !taken) {
      throw UsageError("--" + name + " is not an option of '" + invocation.command->name + " " +
                       subcommand + "'");
    }
  }
  if (invocation.arguments.size() > max_arguments) {
    throw UsageError("unexpected argument '" + invocation.arguments[max_arguments] + "'");
  }
}

long recordIdArgument(const Invocation& invocation, const char* what, const char* example) {
  if (invocation.arguments.size() < 2) {
    throw UsageError(std::string("give the ") + what + " id, e.g. " + example);
  }
  const std::string& text = invocation.arguments[1];
  try {
    std::size_t used = 0;
    const long id = std::stol(text, &used);
    if (used == text.size() && id > 0) return id;
  } catch (const std::exception&) {
  }
  throw UsageError(std::string("expected ") + (*what == 'a' ? "an " : "a ") + what +
                   " id (a whole number), got '" + text + "'");
}

}  // namespace cohortwatch::daemon
