#include "daemon/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string_view>

#include "config/config_loader.h"
#include "daemon/alerting.h"
#include "daemon/commands.h"
#include "daemon/version.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

const std::vector<OptionSpec>& commonOptions() {
  static const std::vector<OptionSpec> options = {
      {"config", "FILE", "configuration file (default /etc/cohortwatch/cohortwatch.yaml if it exists)"},
      {"db", "PATH", "SQLite database to use instead of database.path"},
      {"log-level", "LEVEL", "trace, debug, info, warn, error, critical or off"},
      {"help", nullptr, "show this help"},
  };
  return options;
}

int runHelp(Invocation& invocation);
int runVersion(Invocation& invocation);

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> specs = {
      {"run", "run the service: take sources, evaluate, send (foreground, for systemd)", "[--once]",
       {{"once", nullptr, "run one full cycle and exit"}},
       runService},
      {"import", "import canonical people, offences and outcomes CSV files, or a tracking sheet's actions",
       "[--kind KIND] FILE... | --retry-rejected | actions FILE [--by WHO] [--dry-run]",
       {{"kind", "KIND", "people, offences or outcomes, for every file (default: from the header)"},
        {"retry-rejected", nullptr, "validate the stored rejected rows again and take those that pass"},
        {"by", "WHO", "actions: who records them (default: $SUDO_USER or $USER)"},
        {"dry-run", nullptr, "actions: check and count, record nothing"}},
       runImport},
      {"action", "record, update, close and list the actions decided for children; their history",
       "add --person ID --description TEXT --owner EMAIL [--due DATE] [--notes TEXT] | "
       "update ID [--description TEXT] [--owner EMAIL] [--due DATE|none] [--notes TEXT] "
       "[--status S] | done ID [--note TEXT] | cancel ID [--note TEXT] | "
       "list [--owner EMAIL] [--person ID] [--status S|all] [--overdue] [--as-of DATE] | "
       "history ID [--format table|json|csv]",
       {{"person", "ID", "the child (add; list)"},
        {"description", "TEXT", "what is to be done (add, update)"},
        {"owner", "EMAIL", "who does it: the caseworker's e-mail address (add, update; list)"},
        {"due", "DATE", "due date, YYYY-MM-DD or dd/mm/yyyy; none clears it (add, update)"},
        {"notes", "TEXT", "notes, replacing the action's notes (add, update)"},
        {"status", "STATUS", "open, done or cancelled (update); also all (list; default open)"},
        {"note", "TEXT", "added to the action's notes (done, cancel)"},
        {"overdue", nullptr, "only open actions due before --as-of (list)"},
        {"as-of", "DATE", "the day overdue is judged on (list; default today)"},
        {"by", "WHO", "who records this (default: $SUDO_USER or $USER, else cli)"},
        {"format", "FORMAT", "table (default), json or csv (list, history)"}},
       runAction},
      {"review", "record that a child was reviewed (resets days_since_review), list reviews",
       "record --person ID [--note TEXT] [--on DATE] [--by WHO] | list [--person ID] "
       "[--format table|json|csv]",
       {{"person", "ID", "the child reviewed (record; list)"},
        {"note", "TEXT", "what was decided or noticed (record)"},
        {"on", "DATE", "the day of the review, YYYY-MM-DD or dd/mm/yyyy (record; default today)"},
        {"by", "WHO", "who records this (default: $SUDO_USER or $USER, else cli)"},
        {"format", "FORMAT", "table (default), json or csv (list)"}},
       runReview},
      {"export", "write the tracking sheet (XLSX or CSV) to fill in at the review meeting",
       "tracking-sheet [--cohort 2025Q1] [--as-of YYYY-MM-DD] --format xlsx|csv [--out FILE]",
       {{"cohort", "QUARTER", "one quarterly cohort, e.g. 2025Q1 (default: every running cohort)"},
        {"as-of", "DATE", "as of this date (default today)"},
        {"format", "FORMAT", "xlsx or csv"},
        {"out", "FILE", "file to write (default tracking-sheet-COHORT|running-DATE.EXT here; "
                        "- for CSV on stdout)"}},
       runExport},
      {"report", "print cohorts, performance, members, warnings or rejected rows",
       "cohorts|performance|members|warnings|rejected [--cohort 2025Q1 | --year 2024/25] "
       "[--as-of YYYY-MM-DD] [--format table|json|csv|html]",
       {{"cohort", "QUARTER", "a quarterly cohort, e.g. 2025Q1 (performance, members)"},
        {"year", "YYYY/YY", "a financial year of four cohorts, e.g. 2024/25 (performance)"},
        {"as-of", "DATE", "compute as of this date (default today)"},
        {"format", "FORMAT", "table (default), json, csv, or html (performance: a page with charts)"}},
       runReport},
      {"sources", "list each source: last run, files or requests taken, rows taken and rejected, last error",
       "[--format table|json|csv]",
       {{"format", "FORMAT", "table (default), json or csv"}},
       runSources},
      {"rejected", "list rejected rows, or retry them after a fix", "list|retry [--source NAME]",
       {{"source", "NAME", "only this source's rows (\"import\" for the import command)"},
        {"format", "FORMAT", "table (default), json or csv (list)"}},
       runRejected},
      {"rules", "check the focus groups and alert rules, or dry-run them on the data",
       "check | test [--as-of YYYY-MM-DD] [--format table|json|csv]",
       {{"as-of", "DATE", "evaluate as of this date (test; default today)"},
        {"format", "FORMAT", "table (default), json or csv"}},
       runRules},
      {"analyse", "analyse complete past cohorts: who reoffended most, how soon, how concentrated",
       "retrospective --from 2023Q1 --to 2024Q4 [--suggest] [--min-n N] "
       "[--format table|json|csv|html]",
       {{"from", "QUARTER", "first cohort analysed"},
        {"to", "QUARTER", "last cohort analysed"},
        {"suggest", nullptr, "rank groups reoffending above the overall rate and print focus-group YAML"},
        {"min-n", "N", "smallest group suggested (default 30)"},
        {"as-of", "DATE", "compute as of this date (default today)"},
        {"format", "FORMAT", "table (default), json, csv or html"}},
       runAnalyse},
      {"outbox", "list queued, sent and dead messages; show one; retry a dead one; purge old ones; "
                 "queue test messages",
       "[list [--status S] [--limit N] | show ID | retry ID | purge --older-than AGE | "
       "send-test --to RECIPIENT [--count N]]",
       {{"status", "STATUS", "pending, sent or dead (list)"},
        {"to", "RECIPIENT", "send-test: an e-mail address, a group, a channel name or managers"},
        {"count", "N", "send-test: how many test messages (default 1)"},
        {"limit", "N", "newest N messages (list; default 100)"},
        {"older-than", "AGE", "purge sent and dead messages older than this: 90d, 12h or a date"},
        {"format", "FORMAT", "table (default), json or csv"}},
       runOutbox},
      {"produce", "make what a schedule makes (digest, reminders, report) now, outside its slots",
       "SCHEDULE [--as-of YYYY-MM-DD]",
       {{"as-of", "DATE", "as of this date (default today)"}},
       runProduce},
      {"check-config", "validate the configuration file and print ok or every error", "", {}, runCheckConfig},
      {"generate", "write synthetic canonical CSV files for demos, tests and benchmarks",
       "--out DIR [--children N] [--from DATE] [--to DATE] [--seed S] [--dirty-rate R] "
       "[--layout L]",
       {{"out", "DIR", "folder to write people.csv, offences.csv and outcomes.csv into"},
        {"children", "N", "number of children (default 1000)"},
        {"from", "DATE", "first index date (default two years before --to)"},
        {"to", "DATE", "last date of any record (default today)"},
        {"seed", "S", "random seed (default 1)"},
        {"dirty-rate", "R", "share of invalid rows to add, 0 to 1 (default 0)"},
        {"layout", "L",
         "canonical (default), childview_style_example or wide_style_example (see "
         "config/mappings/)"}},
       runGenerate},
      {"version", "print the version", "", {}, runVersion},
      {"help", "show help for a command", "[COMMAND]", {}, runHelp},
  };
  return specs;
}

const CommandSpec* findCommand(std::string_view name) {
  for (const auto& spec : commands()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

void printOverview(std::ostream& out) {
  out << "Usage: cohortwatch COMMAND [options]\n\n"
         "Live tracking of proven reoffending for youth offending teams.\n\nCommands:\n";
  for (const auto& spec : commands()) out << "  " << std::string(spec.name).append(14 - std::string_view(spec.name).size(), ' ') << spec.summary << '\n';
  out << "\nRun 'cohortwatch COMMAND --help' for a command's options.\n"
         "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 import actions\n"
         "took the good rows of a sheet but rejected some.\n";
}

void printCommandHelp(const CommandSpec& spec, std::ostream& out) {
  out << "Usage: cohortwatch " << spec.name << (std::string_view(spec.usage).empty() ? "" : " ")
      << spec.usage << "\n\n" << spec.summary << "\n\nOptions:\n";
  auto print = [&](const OptionSpec& option) {
    std::string left = std::string("--") + option.name;
    if (option.value_name != nullptr) left += std::string(" ") + option.value_name;
    if (left.size() < 22) left.append(22 - left.size(), ' ');
    out << "  " << left << ' ' << option.help << '\n';
  };
  for (const auto& option : spec.options) print(option);
  for (const auto& option : commonOptions()) print(option);
}

int runHelp(Invocation& invocation) {
  if (invocation.arguments.empty()) {
    printOverview(invocation.out);
    return kExitOk;
  }
  const auto* spec = findCommand(invocation.arguments.front());
  if (spec == nullptr) throw UsageError("unknown command '" + invocation.arguments.front() + "'");
  printCommandHelp(*spec, invocation.out);
  return kExitOk;
}

int runVersion(Invocation& invocation) {
  invocation.out << "cohortwatch " << kVersion << " (schema " << tracking::currentSchemaVersion() << ")\n";
  return kExitOk;
}

const OptionSpec* findOption(const CommandSpec& spec, std::string_view name) {
  for (const auto& option : spec.options) {
    if (name == option.name) return &option;
  }
  for (const auto& option : commonOptions()) {
    if (name == option.name) return &option;
  }
  return nullptr;
}

void parseArguments(Invocation& invocation, int argc, const char* const* argv, int first) {
  bool options_done = false;
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_done || arg.size() < 2 || arg.substr(0, 2) != "--") {
      invocation.arguments.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name(arg.substr(2));
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const auto* option = findOption(*invocation.command, name);
    if (option == nullptr) {
      throw UsageError("unknown option --" + name + " for '" + invocation.command->name + "'");
    }
    if (option->value_name == nullptr) {
      if (value) throw UsageError("option --" + name + " takes no value");
      invocation.options[name] = "";
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) throw UsageError("option --" + name + " needs a value (" + option->value_name + ")");
      value = argv[++i];
    }
    invocation.options[name] = *value;
  }
}

spdlog::level::level_enum spdlogLevel(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace: return spdlog::level::trace;
    case config::LogLevel::kDebug: return spdlog::level::debug;
    case config::LogLevel::kInfo: return spdlog::level::info;
    case config::LogLevel::kWarn: return spdlog::level::warn;
    case config::LogLevel::kError: return spdlog::level::err;
    case config::LogLevel::kCritical: return spdlog::level::critical;
    case config::LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

// Logs go to stderr, where journald takes them when run by systemd. Log lines carry ids and
// counts only, never names or other personal data.
void setUpLogging() {
  static bool done = false;
  if (done) return;
  done = true;
  auto logger = spdlog::stderr_color_mt("cohortwatch");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
}

}  // namespace

std::optional<std::string> Invocation::value(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::optional<config::Settings> Invocation::loadSettings() {
  config::Settings settings;
  std::string path;
  if (auto given = value("config")) {
    path = *given;
  } else if (std::error_code ec; std::filesystem::exists(config::kDefaultConfigPath, ec)) {
    path = config::kDefaultConfigPath;
  }
  if (!path.empty()) {
    auto loaded = config::loadConfigFile(path);
    if (!loaded.ok()) {
      for (const auto& error : loaded.errors) err << error.toString() << '\n';
      err << loaded.errors.size() << " error(s) in the configuration\n";
      return std::nullopt;
    }
    settings = std::move(loaded.settings);
  }
  if (auto db = value("db")) {
    if (db->empty()) throw UsageError("--db needs a path");
    settings.database.path = *db;
  }
  if (const auto problems = checkAlerting(settings); !problems.empty()) {
    for (const auto& error : problems) err << error.toString() << '\n';
    err << problems.size() << " error(s) in the configuration\n";
    return std::nullopt;
  }
  if (auto level = value("log-level")) {
    auto parsed = config::parseLogLevel(*level);
    if (!parsed) throw UsageError("--log-level: expected trace, debug, info, warn, error, critical or off");
    settings.logging.level = *parsed;
  }
  spdlog::set_level(spdlogLevel(settings.logging.level));
  return settings;
}

int runCommandLine(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  setUpLogging();
  if (argc < 2) {
    printOverview(err);
    return kExitUsage;
  }
  std::string_view first = argv[1];
  if (first == "--help" || first == "-h") first = "help";
  if (first == "--version") first = "version";
  const auto* spec = findCommand(first);
  if (spec == nullptr) {
    err << "cohortwatch: unknown command '" << first << "'\n\n";
    printOverview(err);
    return kExitUsage;
  }
  Invocation invocation{spec, {}, {}, out, err};
  try {
    parseArguments(invocation, argc, argv, 2);
    if (invocation.has("help")) {
      printCommandHelp(*spec, out);
      return kExitOk;
    }
    return spec->run(invocation);
  } catch (const UsageError& e) {
    err << "cohortwatch " << spec->name << ": " << e.what() << "\n";
    err << "Usage: cohortwatch " << spec->name << ' ' << spec->usage << "\n";
    return kExitUsage;
  } catch (const tracking::StoreError& e) {
    err << "cohortwatch " << spec->name << ": " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "cohortwatch " << spec->name << ": " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace cohortwatch::daemon
