// `cohortwatch action add|update|done|cancel|list|history`: the actions decided for children at
// review meetings, who owns them, when they are due, and every change made to them.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connectors/action_import.h"
#include "daemon/casework_options.h"
#include "daemon/commands.h"
#include "tracking/clock.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

reports::Cell text(const std::string& value) {
  return value.empty() ? reports::Cell{} : reports::Cell(value);
}

std::string ownerOption(const Invocation& invocation) {
  const std::string owner = requiredOption(invocation, "owner");
  if (!connectors::looksLikeEmail(owner)) {
    throw UsageError("--owner: expected the owner's e-mail address, got '" + owner + "'");
  }
  return owner;
}

std::string statusOption(const Invocation& invocation) {
  const std::string value = *invocation.value("status");
  auto status = connectors::parseActionStatus(value);
  if (!status) throw UsageError("--status: expected open, done or cancelled, got '" + value + "'");
  return *status;
}

// --due DATE, or --due none to clear it.
std::optional<tracking::Date> dueOption(const Invocation& invocation) {
  if (invocation.value("due") == "none") return std::nullopt;
  return dateOption(invocation, "due");
}

int add(Invocation& invocation) {
  checkSubcommand(invocation, "add", {"person", "description", "owner", "due", "notes", "by"}, 1);
  tracking::Action action;
  action.description = requiredOption(invocation, "description");
  action.owner = ownerOption(invocation);
  if (invocation.has("due")) {
    action.due_on = dateOption(invocation, "due");
  }
  action.notes = invocation.value("notes").value_or("");
  action.recorded_by = recordedByOption(invocation);
  requiredOption(invocation, "person");

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& casework = store->casework();
  action.person_id = personOption(invocation, casework).person_id;
  auto tx = store->begin();
  const long id = casework.addAction(action);
  tx->commit();
  spdlog::info("action {} recorded", id);
  invocation.out << id << '\n';
  return kExitOk;
}

// update, done and cancel: the changes to apply, then one transaction.
int change(Invocation& invocation, const std::string& subcommand) {
  const long id = recordIdArgument(invocation, "action", ("action " + subcommand + " 12").c_str());
  tracking::ActionUpdate update;
  std::optional<std::string> note;
  if (subcommand == "update") {
    checkSubcommand(invocation, subcommand,
                    {"description", "owner", "due", "notes", "status", "by"}, 2);
    if (invocation.has("description"))
      update.description = requiredOption(invocation, "description");
    if (invocation.has("owner")) update.owner = ownerOption(invocation);
    if (invocation.has("due")) update.due_on = dueOption(invocation);
    if (auto notes = invocation.value("notes")) update.notes = *notes;
    if (invocation.has("status")) update.status = statusOption(invocation);
    if (!update.description && !update.owner && !update.due_on && !update.notes && !update.status) {
      throw UsageError("say what to change: --description, --owner, --due, --notes or --status");
    }
  } else {
    checkSubcommand(invocation, subcommand, {"note", "by"}, 2);
    update.status = subcommand == "done" ? "done" : "cancelled";
    if (invocation.has("note")) note = requiredOption(invocation, "note");
  }
  const std::string by = recordedByOption(invocation);

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& casework = store->casework();
  auto tx = store->begin();
  const auto current = casework.action(id);
  if (!current) {
    invocation.err << "no action " << id << '\n';
    return kExitFailure;
  }
  if (note) {
    // A closing note is added to the action's notes, not put in their place.
    update.notes = current->notes.empty() ? *note : current->notes + "; " + *note;
  }
  const auto changes = casework.updateAction(id, update, by);
  tx->commit();
  spdlog::info("action {}: {} field(s) changed", id, changes.size());
  if (changes.empty()) {
    invocation.out << "action " << id << ": nothing changed\n";
    return kExitOk;
  }
  for (const auto& c : changes) {
    invocation.out << "action " << id << ": " << c.field << ": "
                   << (c.old_value.empty() ? "(none)" : c.old_value) << " -> "
                   << (c.new_value.empty() ? "(none)" : c.new_value) << '\n';
  }
  return kExitOk;
}

int list(Invocation& invocation) {
  checkSubcommand(invocation, "list", {"owner", "person", "status", "overdue", "as-of", "format"},
                  1);
  const auto format = formatOption(invocation);
  tracking::ActionFilter filter;
  filter.owner = invocation.value("owner").value_or("");
  filter.status = "open";
  if (auto status = invocation.value("status")) {
    filter.status = *status == "all" ? "" : statusOption(invocation);
    if (*status != "all" && filter.status != "open" && invocation.has("overdue")) {
      throw UsageError("--overdue lists open actions; it cannot be combined with --status " +
                       filter.status);
    }
  }
  const tracking::Date as_of =
      dateOption(invocation, "as-of").value_or(tracking::SystemClock().today());
  if (invocation.has("overdue")) filter.overdue_on = as_of;

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& casework = store->casework();
  if (invocation.has("person")) filter.person_id = personOption(invocation, casework).person_id;

  reports::Table table;
  table.columns = {{"id", "Id"},
                   {"person_id", "Child"},
                   {"description", "Action"},
                   {"owner", "Owner"},
                   {"due_on", "Due"},
                   {"status", "Status"},
                   {"overdue", "Overdue"},
                   {"notes", "Notes"},
                   {"recorded_by", "Recorded by"},
                   {"recorded_at", "Recorded at"},
                   {"updated_at", "Updated at"}};
  for (const auto& action : casework.actions(filter)) {
    const bool overdue = action.status == "open" && action.due_on && *action.due_on < as_of;
    table.rows.push_back(
        {action.id, action.person_id, action.description, action.owner,
         action.due_on ? reports::Cell(action.due_on->toString()) : reports::Cell{}, action.status,
         overdue, text(action.notes), action.recorded_by, action.recorded_at, action.updated_at});
  }
  if (table.rows.empty()) table.notes.push_back("no actions match");
  reports::render(table, format, invocation.out);
  return kExitOk;
}

int history(Invocation& invocation) {
  const long id = recordIdArgument(invocation, "action", "action history 12");
  checkSubcommand(invocation, "history", {"format"}, 2);
  const auto format = formatOption(invocation);
  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  auto store = tracking::openSqliteStore(settings->database);
  auto& casework = store->casework();
  const auto action = casework.action(id);
  if (!action) {
    invocation.err << "no action " << id << '\n';
    return kExitFailure;
  }
  reports::Table table;
  table.columns = {{"changed_at", "When"},
                   {"changed_by", "By"},
                   {"field", "Field"},
                   {"old_value", "Old"},
                   {"new_value", "New"}};
  // The first line is the action as it was recorded; the rest are its changes.
  table.rows.push_back({action->recorded_at, action->recorded_by, std::string("created"),
                        reports::Cell{},
                        std::string("action ") + std::to_string(id) + " for " + action->person_id});
  for (const auto& c : casework.actionHistory(id)) {
    table.rows.push_back(
        {c.changed_at, c.changed_by, c.field, text(c.old_value), text(c.new_value)});
  }
  reports::render(table, format, invocation.out);
  return kExitOk;
}

}  // namespace

int runAction(Invocation& invocation) {
  const std::string subcommand = invocation.arguments.empty() ? "" : invocation.arguments.front();
  if (subcommand == "add") return add(invocation);
  if (subcommand == "update" || subcommand == "done" || subcommand == "cancel") {
    return change(invocation, subcommand);
  }
  if (subcommand == "list") return list(invocation);
  if (subcommand == "history") return history(invocation);
  throw UsageError(subcommand.empty()
                       ? "say add, update ID, done ID, cancel ID, list or history ID"
                       : "unknown subcommand '" + subcommand +
                             "': say add, update ID, done ID, cancel ID, list or history ID");
}

}  // namespace cohortwatch::daemon
