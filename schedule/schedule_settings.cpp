#include "schedule/schedule_settings.h"

#include <array>
#include <utility>
#include <variant>

#include "schedule/cron.h"
#include "schedule/schedule_clock.h"

namespace cohortwatch::schedule {

namespace {

constexpr std::array<std::pair<Produces, std::string_view>, 3> kProducesNames = {{
    {Produces::kManagerDigest, "manager_digest"},
    {Produces::kCaseworkerReminders, "caseworker_reminders"},
    {Produces::kStrategicReport, "strategic_report"},
}};

bool isBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

std::string_view producesName(Produces produces) {
  for (const auto& [value, name] : kProducesNames) {
    if (value == produces) return name;
  }
  return "unknown";
}

std::optional<Produces> parseProduces(std::string_view name) {
  for (const auto& [value, known] : kProducesNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

std::vector<std::string> validateSchedule(const ScheduleSettings& settings) {
  std::vector<std::string> problems;
  if (isBlank(settings.name)) problems.emplace_back("name: a schedule needs a name");

  const auto parsed = CronExpression::parse(settings.cron);
  if (const auto* error = std::get_if<CronError>(&parsed)) {
    problems.push_back("cron: " + error->message + " (column " + std::to_string(error->column) +
                       " of \"" + settings.cron + "\")");
  } else if (!std::get<CronExpression>(parsed).canEverFire()) {
    problems.push_back("cron: \"" + settings.cron +
                       "\" names no day that exists, so it never fires");
  }

  if (findZone(settings.zone) == nullptr) {
    problems.push_back("zone: \"" + settings.zone +
                       "\" is not a time zone in the IANA database (for example Europe/London)");
  }
  if (settings.catch_up < std::chrono::seconds{0}) {
    problems.emplace_back("catch_up: must not be negative");
  }
  for (std::size_t i = 0; i < settings.recipients.size(); ++i) {
    if (isBlank(settings.recipients[i])) {
      problems.push_back("recipients: entry " + std::to_string(i + 1) + " is blank");
    }
  }
  return problems;
}

}  // namespace cohortwatch::schedule
