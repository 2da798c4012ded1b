// `cohortwatch review record|list`: a child reviewed at a meeting (today, or the day given), which
// resets the child's days_since_review for the rules and the digest; and the reviews recorded.
#include <spdlog/spdlog.h>

#include "daemon/casework_options.h"
#include "daemon/commands.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

int record(Invocation& invocation) {
  checkSubcommand(invocation, "record", {"person", "note", "on", "by"}, 1);
  requiredOption(invocation, "person");
  const tracking::Date today = tracking::SystemClock().today();
  tracking::Review review;
  review.reviewed_on = dateOption(invocation, "on").value_or(today);
  if (review.reviewed_on > today) {
    throw UsageError("--on: " + review.reviewed_on.toString() + " is in the future");
  }
  review.note = invocation.value("note").value_or("");
  review.recorded_by = recordedByOption(invocation);

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& casework = store->casework();
  review.person_id = personOption(invocation, casework).person_id;
  auto tx = store->begin();
  const long id = casework.recordReview(review);
  tx->commit();
  spdlog::info("review {} recorded", id);
  invocation.out << id << '\n';
  return kExitOk;
}

int list(Invocation& invocation) {
  checkSubcommand(invocation, "list", {"person", "format"}, 1);
  const auto format = formatOption(invocation);
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& casework = store->casework();
  std::string person_id;
  if (invocation.has("person")) person_id = personOption(invocation, casework).person_id;

  reports::Table table;
  table.columns = {
      {"id", "Id"},     {"person_id", "Child"},         {"reviewed_on", "Reviewed on"},
      {"note", "Note"}, {"recorded_by", "Recorded by"}, {"recorded_at", "Recorded at"}};
  for (const auto& review : casework.reviews(person_id)) {
    table.rows.push_back({review.id, review.person_id, review.reviewed_on.toString(),
                          review.note.empty() ? reports::Cell{} : reports::Cell(review.note),
                          review.recorded_by, review.recorded_at});
  }
  if (table.rows.empty()) table.notes.push_back("no reviews recorded");
  reports::render(table, format, invocation.out);
  return kExitOk;
}

}  // namespace

int runReview(Invocation& invocation) {
  const std::string subcommand = invocation.arguments.empty() ? "" : invocation.arguments.front();
  if (subcommand == "record") return record(invocation);
  if (subcommand == "list") return list(invocation);
  throw UsageError(subcommand.empty()
                       ? "say record or list"
                       : "unknown subcommand '" + subcommand + "': say record or list");
}

}  // namespace cohortwatch::daemon
