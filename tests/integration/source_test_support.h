// Helpers for the integration tests of sources (sources_test.cpp, sources_http_test.cpp): the
// long-running `cohortwatch run` started in the background (stderr to a log file, stopped with a
// signal), configuration files, and read-only looks into the SQLite database as a user would take
// them with the sqlite3 shell. Header-only so that the test target's CMake needs no change.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"

extern char** environ;

namespace cohortwatch::integration {

// `cohortwatch ARGS...` running in the background, its stderr (the log) going to a file. The
// destructor kills it (SIGKILL) if the test did not stop it, so that no test leaves one behind.
class BackgroundService {
 public:
  BackgroundService(const std::vector<std::string>& args, std::filesystem::path log_file)
      : log_file_(std::move(log_file)) {
    const std::string binary = cohortwatchBinary().string();
    std::vector<std::string> strings = {binary};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& text : strings) argv.push_back(text.data());
    argv.push_back(nullptr);
    const std::string log_path = log_file_.string();
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int spawned =
        ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      ADD_FAILURE() << "cannot start " << binary << ": " << std::strerror(spawned);
      pid_ = -1;
    }
  }
  ~BackgroundService() {
    if (pid_ > 0) kill();
  }
  BackgroundService(const BackgroundService&) = delete;
  BackgroundService& operator=(const BackgroundService&) = delete;

  pid_t pid() const { return pid_; }

  std::string log() const {
    std::error_code ec;
    if (!std::filesystem::exists(log_file_, ec)) return {};
    return readFile(log_file_);
  }

  // Waits until the log contains `text`; false after `timeout` or when the process has exited.
  bool waitForLog(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (log().find(text) != std::string::npos) return true;
      if (!running()) return log().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return false;
    }
    return true;
  }

  // Sends `signal_number` and waits for the exit; returns the exit status (128 + signal when
  // killed by one), or -1 when it did not stop within `timeout` (it is then killed).
  int stop(int signal_number = SIGTERM, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, signal_number);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) return exit_code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill();
    return -1;
  }

  // SIGKILL: no chance to clean up, as after a power cut or the OOM killer.
  int kill() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return exit_code_;
  }

 private:
  std::filesystem::path log_file_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes.
inline bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The rows of `sql` on a read-only connection, one line per row, columns joined by '|', NULL
// written as "<null>": a dump to compare two databases with.
inline std::string dumpQuery(const std::filesystem::path& db, const std::string& sql) {
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  database.setBusyTimeout(10000);
  SQLite::Statement query(database, sql);
  std::string out;
  while (query.executeStep()) {
    for (int i = 0; i < query.getColumnCount(); ++i) {
      if (i > 0) out += '|';
      const auto column = query.getColumn(i);
      out += column.isNull() ? std::string("<null>") : column.getString();
    }
    out += '\n';
  }
  return out;
}

// The first column of the first row of `sql` as an integer (e.g. a count).
inline long long queryNumber(const std::filesystem::path& db, const std::string& sql) {
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  database.setBusyTimeout(10000);
  SQLite::Statement query(database, sql);
  if (!query.executeStep()) throw std::runtime_error("no row from: " + sql);
  return query.getColumn(0).getInt64();
}

// The first column of the first row of `sql` as text ("<null>" for NULL, "<no row>" for none).
inline std::string queryText(const std::filesystem::path& db, const std::string& sql) {
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  database.setBusyTimeout(10000);
  SQLite::Statement query(database, sql);
  if (!query.executeStep()) return "<no row>";
  const auto column = query.getColumn(0);
  return column.isNull() ? std::string("<null>") : column.getString();
}

// Dumps of the canonical records by their natural keys (database row ids differ between two
// databases that hold the same records).
inline std::string dumpPeople(const std::filesystem::path& db) {
  return dumpQuery(db,
                   "SELECT person_id, first_name, last_name, date_of_birth, gender, ethnicity, "
                   "looked_after, caseworker, team, updated_at FROM people ORDER BY person_id");
}
inline std::string dumpOffences(const std::filesystem::path& db) {
  return dumpQuery(
      db,
      "SELECT o.offence_id, p.person_id, o.offence_date, o.offence_code, o.description, "
      "o.gravity, o.breach FROM offences o JOIN people p ON p.id = o.person_ref "
      "ORDER BY o.offence_id");
}
inline std::string dumpOutcomes(const std::filesystem::path& db) {
  return dumpQuery(db,
                   "SELECT d.outcome_id, p.person_id, o.offence_id, d.outcome_type, d.outcome_date "
                   "FROM outcomes d JOIN people p ON p.id = d.person_ref "
                   "LEFT JOIN offences o ON o.id = d.offence_ref ORDER BY d.outcome_id");
}
inline std::string dumpPersonChanges(const std::filesystem::path& db) {
  return dumpQuery(db,
                   "SELECT p.person_id, c.field, c.old_value, c.new_value, c.changed_at "
                   "FROM person_changes c JOIN people p ON p.id = c.person_ref "
                   "ORDER BY p.person_id, c.changed_at, c.field, c.old_value, c.new_value");
}
inline std::string dumpRejectedRows(const std::filesystem::path& db) {
  return dumpQuery(db,
                   "SELECT source, file, line, kind, reason, raw, header, resolved_at IS NULL "
                   "FROM rejected_rows ORDER BY source, file, line, raw");
}
// Events without their ids and timestamps, in a stable order.
inline std::string dumpEvents(const std::filesystem::path& db) {
  return dumpQuery(db,
                   "SELECT e.kind, p.person_id, e.occurred_on, e.detail, e.source FROM events e "
                   "LEFT JOIN people p ON p.id = e.person_ref "
                   "ORDER BY e.kind, p.person_id, e.occurred_on, e.detail");
}
inline long long countRows(const std::filesystem::path& db, const std::string& table) {
  return queryNumber(db, "SELECT count(*) FROM " + table);
}

// The files directly in `folder` (not in its subfolders), by name.
inline std::vector<std::string> filesIn(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Copies `from` to `to` and gives the copy a modification time `age` in the past, as a file
// dropped a while ago.
inline void dropFile(const std::filesystem::path& from, const std::filesystem::path& to,
                     std::chrono::seconds age = std::chrono::seconds(120)) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::last_write_time(to, std::filesystem::file_time_type::clock::now() - age);
}

// Writes `content` as a file dropped `age` ago.
inline void dropText(const std::filesystem::path& to, const std::string& content,
                     std::chrono::seconds age = std::chrono::seconds(120)) {
  writeFile(to, content);
  std::filesystem::last_write_time(to, std::filesystem::file_time_type::clock::now() - age);
}

// A directory source for a test's configuration, as a YAML list item.
inline std::string directorySourceYaml(const std::string& name, const std::filesystem::path& folder,
                                       const std::string& extra_directory_keys = "",
                                       const std::string& mapping = "canonical") {
  return "  - name: " + name + "\n    kind: directory\n    mapping: " + mapping +
         "\n    directory:\n      path: \"" + folder.string() + "\"\n" + extra_directory_keys;
}

// The shipped example profiles, referenced by file as an operator would.
inline std::string shippedMappingsYaml() {
  const auto mappings = sourceDir() / "config" / "mappings";
  return "mappings:\n  childview_style_example:\n    file: \"" +
         (mappings / "childview_style_example.yaml").string() +
         "\"\n  wide_style_example:\n    file: \"" +
         (mappings / "wide_style_example.yaml").string() + "\"\n";
}

// A configuration file with the database and the given `sources:` items (and extra sections).
inline std::filesystem::path writeConfig(const std::filesystem::path& file,
                                         const std::filesystem::path& db,
                                         const std::string& source_items,
                                         const std::string& extra_sections = "") {
  writeFile(file, "database:\n  path: \"" + db.string() + "\"\nsources:\n" + source_items +
                      extra_sections);
  return file;
}

}  // namespace cohortwatch::integration
