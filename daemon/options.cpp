// Options shared by several commands (daemon/commands.h).
#include "daemon/commands.h"
#include "tracking/clock.h"

namespace cohortwatch::daemon {

reports::Format formatOption(const Invocation& invocation, bool allow_html) {
  const std::string text = invocation.value("format").value_or("table");
  const auto format = reports::parseFormat(text);
  if (!format || (*format == reports::Format::kHtml && !allow_html)) {
    throw UsageError(allow_html ? "--format: expected table, json, csv or html"
                                : "--format: expected table, json or csv");
  }
  return *format;
}

tracking::Date asOfOption(const Invocation& invocation) {
  if (auto text = invocation.value("as-of")) {
    auto parsed = tracking::Date::parse(*text);
    if (!parsed) throw UsageError("--as-of: expected a date YYYY-MM-DD, got '" + *text + "'");
    return *parsed;
  }
  return tracking::SystemClock().today();
}

}  // namespace cohortwatch::daemon
