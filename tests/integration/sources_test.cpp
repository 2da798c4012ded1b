// Issue 4, "Sources", end to end with the real binary and real files: directory sources as an
// operator configures them (`run --once` and the long-running `run`), checked as an operator
// would check them — the database read-only, `sources`, `rejected list` and `report` as JSON, and
// the folder's processed/ and rejected/ subfolders. The HTTP source is in sources_http_test.cpp.
// Every name, date and identifier here is synthetic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "source_test_support.h"

namespace cohortwatch::integration {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kKinds[] = {"people", "offences", "outcomes"};

CliOptions slow() {
  CliOptions options;
  options.timeout = std::chrono::seconds(180);
  return options;
}

// `cohortwatch generate` with dates fixed in the past, so that nothing is "in the future" on any
// clock after mid-2025 and the results do not depend on the day the test runs.
void generate(const fs::path& out, int children, int seed, const std::string& layout = "canonical",
              const std::string& dirty_rate = "0") {
  const auto result =
      runCohortwatch({"generate", "--out", out.string(), "--children", std::to_string(children),
                      "--seed", std::to_string(seed), "--from", "2023-01-01", "--to", "2025-06-30",
                      "--layout", layout, "--dirty-rate", dirty_rate},
                     slow());
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

CliResult runOnce(const fs::path& config) {
  return runCohortwatch({"run", "--once", "--config", config.string(), "--log-level", "info"},
                        slow());
}

json jsonOf(const std::vector<std::string>& args) {
  const auto result = runCohortwatch(args, slow());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  try {
    return json::parse(result.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "): " << result.out;
    return json::array();
  }
}

// The entry of `cohortwatch sources --format json` for one source.
json sourceStatus(const fs::path& config, const std::string& name) {
  const json all = jsonOf({"sources", "--config", config.string(), "--format", "json"});
  for (const auto& entry : all) {
    if (entry.value("source", "") == name) return entry;
  }
  ADD_FAILURE() << "no source " << name << " in " << all.dump();
  return json::object();
}

json rejectedList(const fs::path& config, const std::string& source = "") {
  std::vector<std::string> args = {"rejected",      "list",     "--config",
                                   config.string(), "--format", "json"};
  if (!source.empty()) {
    args.push_back("--source");
    args.push_back(source);
  }
  return jsonOf(args);
}

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

// Data rows of a generated CSV (the generator writes one row per line).
long long dataRows(const fs::path& csv) {
  return static_cast<long long>(lines(readFile(csv)).size()) - 1;
}

std::vector<std::string> canonicalFileNames() {
  return {"offences.csv", "outcomes.csv", "people.csv"};
}

// ---------------------------------------------------------------------------------------------
// 1. Directory source basics.

TEST(SourceDirectoryTest, TakesDroppedFilesInDependencyOrderLikeAPlainImport) {
  TempDir dir;
  const auto gen = dir / "gen";
  ASSERT_NO_FATAL_FAILURE(generate(gen, 300, 11));
  const auto in = dir / "in";
  fs::create_directory(in);
  // Oldest first would be the wrong order: outcomes were dropped first, people last.
  dropFile(gen / "outcomes.csv", in / "outcomes.csv", 300s);
  dropFile(gen / "offences.csv", in / "offences.csv", 200s);
  dropFile(gen / "people.csv", in / "people.csv", 100s);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 1\n"
                                                      "      watch: false\n"));

  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("drop: 3 files taken, 0 already taken, 0 rejected whole"));
  const auto people_at = run.err.find("took people.csv");
  const auto offences_at = run.err.find("took offences.csv");
  const auto outcomes_at = run.err.find("took outcomes.csv");
  ASSERT_NE(people_at, std::string::npos) << run.err;
  ASSERT_NE(offences_at, std::string::npos) << run.err;
  ASSERT_NE(outcomes_at, std::string::npos) << run.err;
  EXPECT_LT(people_at, offences_at);
  EXPECT_LT(offences_at, outcomes_at);
  EXPECT_THAT(filesIn(in), IsEmpty());
  EXPECT_EQ(filesIn(in / "processed"), canonicalFileNames());
  // No row ever met an unknown child or offence (not even one taken later on retry).
  EXPECT_EQ(countRows(db, "rejected_rows"), 0);

  // The same records as a plain import of the same files.
  const auto plain = dir / "plain.db";
  const auto import =
      runCohortwatch({"import", "--db", plain.string(), (gen / "people.csv").string(),
                      (gen / "offences.csv").string(), (gen / "outcomes.csv").string()},
                     slow());
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_EQ(countRows(db, "people"), dataRows(gen / "people.csv"));
  EXPECT_EQ(countRows(db, "offences"), dataRows(gen / "offences.csv"));
  EXPECT_EQ(countRows(db, "outcomes"), dataRows(gen / "outcomes.csv"));
  EXPECT_EQ(dumpPeople(db), dumpPeople(plain));
  EXPECT_EQ(dumpOffences(db), dumpOffences(plain));
  EXPECT_EQ(dumpOutcomes(db), dumpOutcomes(plain));

  const long long rows = dataRows(gen / "people.csv") + dataRows(gen / "offences.csv") +
                         dataRows(gen / "outcomes.csv");
  const json status = sourceStatus(config, "drop");
  EXPECT_EQ(status.value("kind", ""), "directory");
  EXPECT_EQ(status.value("files_taken", -1), 3);
  EXPECT_EQ(status.value("rows_taken", -1LL), rows);
  EXPECT_EQ(status.value("rows_rejected", -1), 0);
  EXPECT_TRUE(status["last_error"].is_null()) << status.dump();
  EXPECT_TRUE(status["last_success"].is_string()) << status.dump();
  EXPECT_EQ(
      dumpQuery(db, "SELECT name, status, rows_taken, rows_rejected FROM source_files ORDER BY id"),
      "people.csv|taken|" + std::to_string(dataRows(gen / "people.csv")) + "|0\n" +
          "offences.csv|taken|" + std::to_string(dataRows(gen / "offences.csv")) + "|0\n" +
          "outcomes.csv|taken|" + std::to_string(dataRows(gen / "outcomes.csv")) + "|0\n");

  // Nothing new: a second run takes nothing and changes nothing.
  const auto people = dumpPeople(db);
  const auto events = countRows(db, "events");
  const auto again = runOnce(config);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("drop: 0 files taken, 0 already taken, 0 rejected whole"));
  EXPECT_EQ(dumpPeople(db), people);
  EXPECT_EQ(countRows(db, "events"), events);
  EXPECT_EQ(sourceStatus(config, "drop").value("files_taken", -1), 3);
}

// ---------------------------------------------------------------------------------------------
// 2. Completion: a file still being written is never taken; a marker file.

TEST(SourceDirectoryTest, FileWrittenSlowlyInPiecesIsTakenOnlyOnceComplete) {
  TempDir dir;
  const auto gen = dir / "gen";
  ASSERT_NO_FATAL_FAILURE(generate(gen, 400, 12));
  const std::string text = readFile(gen / "people.csv");
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 2\n"
                                                      "      poll_interval_seconds: 1\n"
                                                      "      watch: true\n"));
  BackgroundService service({"run", "--config", config.string(), "--log-level", "info"},
                            dir / "run.log");
  ASSERT_TRUE(service.waitForLog("cohortwatch started", 60s)) << service.log();

  // Nine pieces cut at arbitrary bytes (mid-row, mid-field), half a second apart: the file grows
  // for about four seconds and is never still for the two seconds it must settle.
  std::thread writer([&] {
    std::ofstream out(in / "people.csv", std::ios::binary);
    const std::size_t pieces = 9;
    for (std::size_t i = 0; i < pieces; ++i) {
      const std::size_t from = text.size() * i / pieces;
      const std::size_t to = text.size() * (i + 1) / pieces;
      out.write(text.data() + from, static_cast<std::streamsize>(to - from));
      out.flush();
      if (i + 1 < pieces) std::this_thread::sleep_for(500ms);
    }
  });
  writer.join();

  const bool taken =
      waitUntil([&] { return queryNumber(db, "SELECT count(*) FROM source_files") > 0; }, 60s);
  ASSERT_TRUE(taken) << service.log();
  // Give a second (wrong) take every chance to happen before stopping.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(service.stop(SIGTERM), 0) << service.log();

  const long long rows = dataRows(gen / "people.csv");
  EXPECT_EQ(countRows(db, "people"), rows);
  EXPECT_EQ(countRows(db, "rejected_rows"), 0);
  EXPECT_EQ(
      dumpQuery(db, "SELECT name, size, status, rows_taken, rows_rejected FROM source_files"),
      "people.csv|" + std::to_string(text.size()) + "|taken|" + std::to_string(rows) + "|0\n");
  EXPECT_EQ(countOf(service.log(), "took people.csv"), 1U) << service.log();
  EXPECT_EQ(readFile(in / "processed" / "people.csv"), text);
  EXPECT_THAT(filesIn(in), IsEmpty());
}

TEST(SourceDirectoryTest, MarkerModeTakesAFileOnlyOnceItsDoneFileAppears) {
  TempDir dir;
  const auto gen = dir / "gen";
  ASSERT_NO_FATAL_FAILURE(generate(gen, 100, 13));
  const auto in = dir / "in";
  fs::create_directory(in);
  dropFile(gen / "people.csv", in / "people.csv", 600s);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      completion: marker\n"
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"));

  const auto before = runOnce(config);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_THAT(before.err, HasSubstr("drop: 0 files taken"));
  EXPECT_EQ(countRows(db, "people"), 0);
  EXPECT_THAT(filesIn(in), ElementsAre("people.csv"));

  writeFile(in / "people.csv.done", "");
  const auto after = runOnce(config);
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_THAT(after.err, HasSubstr("drop: 1 files taken"));
  EXPECT_EQ(countRows(db, "people"), dataRows(gen / "people.csv"));
  EXPECT_THAT(filesIn(in), IsEmpty());
  EXPECT_THAT(filesIn(in / "processed"), ElementsAre("people.csv", "people.csv.done"));
}

TEST(SourceDirectoryTest, KeepModeLeavesTakenFilesInPlaceAndTakesThemAgainOnlyWhenChanged) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"
                                                      "      after_taking: keep\n"));
  dropText(in / "people.csv",
           "person_id,date_of_birth,looked_after,updated_at\n"
           "K1,2009-01-01,false,2024-01-01T00:00:00Z\nK2,2009-02-02,false,2024-01-01T00:00:00Z\n");
  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("drop: 1 files taken"));
  EXPECT_THAT(filesIn(in), ElementsAre("people.csv"));
  EXPECT_FALSE(fs::exists(in / "processed"));

  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("drop: 0 files taken"));
  EXPECT_THAT(second.err, Not(HasSubstr("imported people.csv")));
  EXPECT_THAT(filesIn(in), ElementsAre("people.csv"));

  // The export is overwritten in place with newer data: taken again, as a new file.
  dropText(in / "people.csv",
           "person_id,date_of_birth,looked_after,updated_at\n"
           "K1,2009-01-01,false,2024-01-01T00:00:00Z\nK2,2009-02-02,true,2024-06-01T00:00:00Z\n",
           30s);
  const auto third = runOnce(config);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_THAT(third.err, HasSubstr("drop: 1 files taken"));
  EXPECT_THAT(filesIn(in), ElementsAre("people.csv"));
  EXPECT_EQ(countRows(db, "source_files"), 2);
  EXPECT_EQ(dumpPersonChanges(db), "K2|looked_after|false|true|2024-06-01T00:00:00Z\n");
  EXPECT_EQ(sourceStatus(config, "drop").value("files_taken", -1), 2);
}

// ---------------------------------------------------------------------------------------------
// 3. Duplicates.

TEST(SourceDirectoryTest, SameFileDroppedTwiceOrRenamedIsTakenOnce) {
  TempDir dir;
  const auto gen = dir / "gen";
  ASSERT_NO_FATAL_FAILURE(generate(gen, 200, 14));
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"));
  dropFile(gen / "people.csv", in / "people.csv");
  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("drop: 1 files taken, 0 already taken"));
  const auto people = dumpPeople(db);
  const auto events = dumpEvents(db);
  ASSERT_EQ(countRows(db, "people"), dataRows(gen / "people.csv"));

  // The same file again under the same name, after the first was processed.
  dropFile(gen / "people.csv", in / "people.csv");
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("drop: 0 files taken, 1 already taken"));
  EXPECT_THAT(second.err, HasSubstr("people.csv has the same content as people.csv"));
  EXPECT_THAT(second.err, HasSubstr("skipped"));
  EXPECT_THAT(second.err, Not(HasSubstr("imported people.csv")));

  // A renamed copy.
  dropFile(gen / "people.csv", in / "people (copy).csv");
  const auto third = runOnce(config);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_THAT(third.err, HasSubstr("drop: 0 files taken, 1 already taken"));
  EXPECT_THAT(third.err, HasSubstr("people (copy).csv has the same content as people.csv"));

  // Two copies of a new file landing together: one is taken, the other skipped.
  dropFile(gen / "offences.csv", in / "offences-a.csv", 200s);
  dropFile(gen / "offences.csv", in / "offences-b.csv", 100s);
  const auto fourth = runOnce(config);
  ASSERT_EQ(fourth.exit_code, 0) << fourth.err;
  EXPECT_THAT(fourth.err, HasSubstr("drop: 1 files taken, 1 already taken"));

  EXPECT_THAT(filesIn(in), IsEmpty());
  EXPECT_THAT(filesIn(in / "processed"),
              ElementsAre("offences-a.csv", "offences-b.csv", "people (copy).csv", "people.csv",
                          "people.csv.1"));
  EXPECT_EQ(dumpQuery(db, "SELECT name, status FROM source_files ORDER BY id"),
            "people.csv|taken\noffences-a.csv|taken\n");
  EXPECT_EQ(dumpPeople(db), people);
  EXPECT_EQ(countRows(db, "offences"), dataRows(gen / "offences.csv"));
  EXPECT_EQ(countRows(db, "person_changes"), 0);
  // The copies added no events: only the offences' own.
  EXPECT_EQ(queryNumber(db, "SELECT count(*) FROM events WHERE kind <> 'offence_recorded'"),
            static_cast<long long>(lines(events).size()));
  EXPECT_EQ(queryNumber(db, "SELECT count(*) FROM events WHERE kind = 'offence_recorded'"),
            dataRows(gen / "offences.csv"));
  const json status = sourceStatus(config, "drop");
  EXPECT_EQ(status.value("files_taken", -1), 2);
  EXPECT_EQ(status.value("rows_taken", -1LL),
            dataRows(gen / "people.csv") + dataRows(gen / "offences.csv"));
}

// ---------------------------------------------------------------------------------------------
// 4. Killed at any instant: the end result equals one clean import.

// The export files of `folder` the process has open now (read from /proc): a kill now lands
// while it reads or imports them.
std::vector<std::string> openExports(pid_t pid, const fs::path& folder) {
  std::vector<std::string> open;
  std::error_code ec;
  const auto canonical_folder = fs::canonical(folder, ec);
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    const auto target = fs::read_symlink(entry.path(), link_ec);
    if (link_ec) continue;
    if (target.parent_path() == canonical_folder && target.extension() == ".csv") {
      open.push_back(target.filename().string());
    }
  }
  return open;
}

// A later export of some of the children in `people_csv`: looked_after flipped, updated_at
// later, so that the import records person changes.
std::string changedPeople(const fs::path& people_csv, std::size_t every) {
  const auto rows = lines(readFile(people_csv));
  std::string out = rows.at(0) + "\n";
  for (std::size_t i = 1; i < rows.size(); i += every) {
    std::vector<std::string> fields;
    std::stringstream row(rows[i]);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (fields.size() != 10 || (fields[6] != "true" && fields[6] != "false")) continue;
    fields[6] = fields[6] == "true" ? "false" : "true";
    fields[9] = "2025-07-01T12:00:00Z";
    std::string line;
    for (std::size_t f = 0; f < fields.size(); ++f) line += (f ? "," : "") + fields[f];
    out += line + "\n";
  }
  return out;
}

TEST(SourceCrashTest, KilledRepeatedlyMidImportEndsEqualToOneCleanImport) {
  TempDir dir;
  const auto gen = dir / "gen";
  ASSERT_NO_FATAL_FAILURE(generate(gen, 20000, 21, "canonical", "0.002"));
  ASSERT_EQ(lines(readFile(gen / "people.csv")).at(0),
            "person_id,first_name,last_name,date_of_birth,gender,ethnicity,looked_after,"
            "caseworker,team,updated_at");
  writeFile(gen / "people-update.csv", changedPeople(gen / "people.csv", 7));

  // The same drop for both: the three files, then a later people export.
  auto drop = [&](const fs::path& folder) {
    fs::create_directory(folder);
    for (const char* kind : kKinds) {
      dropFile(gen / (std::string(kind) + ".csv"), folder / (std::string(kind) + ".csv"), 300s);
    }
    dropFile(gen / "people-update.csv", folder / "people-update.csv", 200s);
  };
  const std::string settle = "      settle_seconds: 0\n      poll_interval_seconds: 1\n";

  // The reference: one clean run into a fresh database.
  const auto clean_in = dir / "clean-in";
  drop(clean_in);
  const auto clean_db = dir / "clean.db";
  const auto clean_config =
      writeConfig(dir / "clean.yaml", clean_db, directorySourceYaml("drop", clean_in, settle));
  const auto clean_start = std::chrono::steady_clock::now();
  const auto clean = runOnce(clean_config);
  const auto clean_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - clean_start)
                            .count();
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  ASSERT_THAT(clean.err, HasSubstr("drop: 4 files taken"));

  // The service, killed again and again at random instants while it works through the drop.
  const auto in = dir / "in";
  drop(in);
  const auto db = dir / "crash.db";
  const auto config = writeConfig(dir / "crash.yaml", db, directorySourceYaml("drop", in, settle));
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 random(seed);
  // The first ten kills land 50 ms to a quarter of the clean run's time (at most 800 ms) after
  // the start: too soon for the offences or outcomes file (each a third or more of the work) to be
  // finished, so those runs are cut short mid-file or mid-commit. Later runs get longer, so that
  // the drop is worked through whatever the machine's speed.
  const int window = static_cast<int>(std::clamp<long long>(clean_ms / 4, 100, 800));
  int runs = 0;
  int dropped_again = 0;
  int kills_mid_import = 0;
  std::set<std::string> killed_while_open;
  for (int i = 0; i < 60 && !filesIn(in).empty(); ++i) {
    if (i == 4 || i == 9) {
      // Someone drops the same exports again under other names: they must be skipped.
      for (const char* kind : kKinds) {
        dropFile(gen / (std::string(kind) + ".csv"),
                 in / ("again" + std::to_string(i) + "-" + kind + ".csv"), 10s);
        ++dropped_again;
      }
    }
    BackgroundService service({"run", "--config", config.string(), "--log-level", "info"},
                              dir / ("crash-" + std::to_string(i) + ".log"));
    ASSERT_TRUE(service.waitForLog("cohortwatch started", 60s)) << service.log();
    const int extra = i < 10 ? 0 : window / 2 * (i - 9);
    std::uniform_int_distribution<int> delay(50, window + extra);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(random)));
    const auto open = openExports(service.pid(), in);
    EXPECT_EQ(service.kill(), 128 + SIGKILL);
    ++runs;
    const std::string log = service.log();
    for (const auto& name : open) {
      if (log.find("took " + name) == std::string::npos) {
        ++kills_mid_import;
        killed_while_open.insert(name);
      }
    }
  }
  // Whatever is left is taken by one more run; the run after that finds nothing.
  for (int i = 0; i < 3; ++i) {
    const auto last = runOnce(config);
    ASSERT_EQ(last.exit_code, 0) << last.err;
    if (last.err.find("drop: 0 files taken, 0 already taken, 0 rejected whole") !=
        std::string::npos)
      break;
  }
  EXPECT_THAT(filesIn(in), IsEmpty());
  EXPECT_EQ(filesIn(in / "processed").size(), 4U + static_cast<std::size_t>(dropped_again));
  EXPECT_EQ(dropped_again, 6);
  EXPECT_GE(runs, 8);
  std::string files;
  for (const auto& name : killed_while_open) files += name + " ";
  EXPECT_GE(kills_mid_import, 1) << "no kill landed during an import in " << runs << " runs";
  RecordProperty("runs", runs);
  RecordProperty("clean_import_ms", std::to_string(clean_ms));
  RecordProperty("kills_mid_import", kills_mid_import);
  RecordProperty("killed_while_importing", files);

  EXPECT_EQ(countRows(db, "people"), countRows(clean_db, "people"));
  EXPECT_EQ(countRows(db, "offences"), countRows(clean_db, "offences"));
  EXPECT_EQ(countRows(db, "outcomes"), countRows(clean_db, "outcomes"));
  EXPECT_GT(countRows(db, "person_changes"), 1000);
  EXPECT_EQ(countRows(db, "person_changes"), countRows(clean_db, "person_changes"));
  EXPECT_GT(countRows(db, "rejected_rows"), 0);
  EXPECT_EQ(countRows(db, "rejected_rows"), countRows(clean_db, "rejected_rows"));
  EXPECT_EQ(countRows(db, "events"), countRows(clean_db, "events"));
  EXPECT_TRUE(dumpPeople(db) == dumpPeople(clean_db)) << "people differ";
  EXPECT_TRUE(dumpOffences(db) == dumpOffences(clean_db)) << "offences differ";
  EXPECT_TRUE(dumpOutcomes(db) == dumpOutcomes(clean_db)) << "outcomes differ";
  EXPECT_TRUE(dumpPersonChanges(db) == dumpPersonChanges(clean_db)) << "person_changes differ";
  EXPECT_EQ(dumpRejectedRows(db), dumpRejectedRows(clean_db));
  const std::string kinds = "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind";
  EXPECT_EQ(dumpQuery(db, kinds), dumpQuery(clean_db, kinds));
  EXPECT_TRUE(dumpEvents(db) == dumpEvents(clean_db)) << "events differ";
  const std::string files_taken =
      "SELECT name, content_hash, status, rows_taken, rows_rejected FROM source_files ORDER BY "
      "name";
  EXPECT_EQ(dumpQuery(db, files_taken), dumpQuery(clean_db, files_taken));
  const std::string state =
      "SELECT files_taken, rows_taken, rows_rejected, last_error FROM source_state";
  EXPECT_EQ(dumpQuery(db, state), dumpQuery(clean_db, state));
  // Ingest writes without SQLite's foreign-key checks: killed or not, it breaks no reference.
  EXPECT_EQ(dumpQuery(db, "PRAGMA foreign_key_check"), "");
  EXPECT_EQ(dumpQuery(clean_db, "PRAGMA foreign_key_check"), "");
}

// ---------------------------------------------------------------------------------------------
// 5. A file that cannot be read at all.

TEST(SourceDirectoryTest, FileMissingARequiredColumnIsRejectedWholeAndNotReadAgain) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  dropText(in / "people.csv", "person_id,date_of_birth\nC1,2010-01-01\n", 300s);
  const std::string bad = "outcome_id,person_id,offence_id,outcome_date\nD1,C1,,2024-03-01\n";
  dropText(in / "outcomes.csv", bad, 200s);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"));
  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("drop: 1 files taken, 0 already taken, 1 rejected whole"));
  EXPECT_THAT(run.err, HasSubstr("outcomes.csv rejected whole"));
  EXPECT_THAT(filesIn(in), IsEmpty());
  EXPECT_THAT(filesIn(in / "rejected"), ElementsAre("outcomes.csv", "outcomes.csv.error.txt"));
  EXPECT_EQ(readFile(in / "rejected" / "outcomes.csv"), bad);
  const std::string note = readFile(in / "rejected" / "outcomes.csv.error.txt");
  EXPECT_THAT(note, HasSubstr("outcomes.csv"));
  EXPECT_THAT(note, HasSubstr("outcome_type"));
  EXPECT_EQ(countRows(db, "outcomes"), 0);
  EXPECT_EQ(countRows(db, "people"), 1);

  const json status = sourceStatus(config, "drop");
  ASSERT_TRUE(status["last_error"].is_string()) << status.dump();
  EXPECT_THAT(status["last_error"].get<std::string>(), HasSubstr("outcomes.csv"));
  EXPECT_THAT(status["last_error"].get<std::string>(), HasSubstr("outcome_type"));
  EXPECT_EQ(status.value("files_taken", -1), 1);

  // A renamed copy is recognised and put beside the first, not read again.
  dropText(in / "outcomes (2).csv", bad);
  const auto again = runOnce(config);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("drop: 0 files taken, 1 already taken, 0 rejected whole"));
  EXPECT_THAT(again.err, HasSubstr("outcomes (2).csv has the same content as outcomes.csv"));
  EXPECT_THAT(again.err, Not(HasSubstr("imported outcomes (2).csv")));
  EXPECT_THAT(filesIn(in), IsEmpty());
  EXPECT_THAT(filesIn(in / "rejected"),
              ElementsAre("outcomes (2).csv", "outcomes (2).csv.error.txt", "outcomes.csv",
                          "outcomes.csv.error.txt"));
  EXPECT_THAT(readFile(in / "rejected" / "outcomes (2).csv.error.txt"), HasSubstr("outcome_type"));
  EXPECT_EQ(dumpQuery(db, "SELECT name, status FROM source_files ORDER BY id"),
            "people.csv|taken\noutcomes.csv|rejected\n");
  EXPECT_THAT(queryText(db, "SELECT error FROM source_files WHERE status = 'rejected'"),
              HasSubstr("outcome_type"));
}

// ---------------------------------------------------------------------------------------------
// 6. Mapping profiles end to end: the shipped profiles, the sample exports, generated layouts.

TEST(SourceMappingTest, Windows1252SampleExportKeepsAccentedNamesAndThePoundSign) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto sample = sourceDir() / "examples" / "exports" / "childview_style_example";
  for (const char* name : {"clients.csv", "offences.csv", "disposals.csv"}) {
    dropFile(sample / name, in / name);
  }
  // The sample really is windows-1252: "Müller" is a single byte 0xFC there.
  ASSERT_THAT(readFile(sample / "clients.csv"), HasSubstr("M\xFCller"));
  const auto db = dir / "cw.db";
  const auto config = writeConfig(
      dir / "cw.yaml", db,
      directorySourceYaml("childview", in, "      settle_seconds: 0\n      watch: false\n",
                          "childview_style_example"),
      shippedMappingsYaml());
  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("childview: 3 files taken, 0 already taken, 0 rejected whole"));
  EXPECT_EQ(countRows(db, "rejected_rows"), 0) << dumpRejectedRows(db);

  auto person = [&](const std::string& column, const std::string& id) {
    return queryText(db, "SELECT " + column + " FROM people WHERE person_id = '" + id + "'");
  };
  EXPECT_EQ(person("last_name", "P0000001"), "M\xC3\xBCller");     // Müller
  EXPECT_EQ(person("last_name", "P0000004"), "Fern\xC3\xA1ndez");  // Fernández
  EXPECT_EQ(person("first_name", "P0000014"), "Se\xC3\xA1n");      // Seán
  EXPECT_EQ(person("last_name", "P0000014"), "Doherty");
  EXPECT_EQ(queryText(db, "SELECT description FROM offences WHERE offence_id = 'O0000002'"),
            "Criminal damage, value under \xC2\xA3"
            "5,000");  // £5,000
  EXPECT_EQ(queryNumber(db,
                        "SELECT count(*) FROM people WHERE first_name LIKE '%\xEF\xBF\xBD%' "
                        "OR last_name LIKE '%\xEF\xBF\xBD%'"),
            0);  // no U+FFFD replacement characters
  // Codes, dates and date-times mapped.
  EXPECT_EQ(person("gender", "P0000001"), "female");
  EXPECT_EQ(person("gender", "P0000009"), "unknown");
  EXPECT_EQ(person("looked_after", "P0000005"), "1");
  EXPECT_EQ(person("date_of_birth", "P0000001"), "2009-09-23");
  EXPECT_EQ(person("updated_at", "P0000001"), "2025-06-04T11:45:00Z");
  EXPECT_EQ(dumpQuery(db,
                      "SELECT d.outcome_type, d.outcome_date, d.offence_ref IS NULL FROM "
                      "outcomes d WHERE outcome_id IN ('D0000001', 'D0000002', 'D0000003') "
                      "ORDER BY outcome_id"),
            "referral_order|2025-01-20|0\ndetention_training_order|2025-02-27|0\n"
            "release_from_custody|2025-06-04|1\n");
  EXPECT_EQ(queryNumber(db, "SELECT breach FROM offences WHERE offence_id = 'O0000003'"), 1);

  // The sample is `generate --layout childview_style_example` with these options
  // (examples/exports/README.md): read back, it is exactly the canonical layout's records.
  const auto canonical = dir / "canonical";
  const auto generated =
      runCohortwatch({"generate", "--out", canonical.string(), "--children", "15", "--from",
                      "2023-01-01", "--to", "2025-06-30", "--seed", "12"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const auto plain = dir / "plain.db";
  const auto import = runCohortwatch(
      {"import", "--db", plain.string(), (canonical / "people.csv").string(),
       (canonical / "offences.csv").string(), (canonical / "outcomes.csv").string()});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_EQ(dumpPeople(db), dumpPeople(plain));
  EXPECT_EQ(dumpOffences(db), dumpOffences(plain));
  EXPECT_EQ(dumpOutcomes(db), dumpOutcomes(plain));
}

TEST(SourceMappingTest, GeneratedLayoutsThroughTheShippedProfilesGiveTheCanonicalReport) {
  TempDir dir;
  std::map<std::string, std::string> reports;
  std::map<std::string, std::string> records;
  for (const std::string layout : {"canonical", "childview_style_example", "wide_style_example"}) {
    const auto gen = dir / ("gen-" + layout);
    ASSERT_NO_FATAL_FAILURE(generate(gen, 400, 15, layout));
    const auto in = dir / ("in-" + layout);
    fs::create_directory(in);
    for (const auto& name : filesIn(gen)) dropFile(gen / name, in / name);
    const auto db = dir / (layout + ".db");
    const auto config = writeConfig(
        dir / (layout + ".yaml"), db,
        directorySourceYaml("export", in, "      settle_seconds: 0\n      watch: false\n", layout),
        shippedMappingsYaml());
    const auto run = runOnce(config);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.err, HasSubstr("0 rejected whole")) << layout;
    EXPECT_THAT(filesIn(in), IsEmpty()) << layout;
    EXPECT_EQ(countRows(db, "rejected_rows"), 0) << layout << "\n" << dumpRejectedRows(db);
    EXPECT_EQ(countRows(db, "people"), 400) << layout;
    const auto report = runCohortwatch({"report", "cohorts", "--config", config.string(), "--as-of",
                                        "2025-12-31", "--format", "json"});
    ASSERT_EQ(report.exit_code, 0) << report.err;
    reports[layout] = report.out;
    records[layout] = dumpPeople(db) + dumpOffences(db) + dumpOutcomes(db);
  }
  // windows-1252 cannot hold every name: the generator writes such a character as '?', as a
  // system exporting in that code page would (generator/export_layouts.h), e.g. "Łukasz".
  std::string lossy = records["canonical"];
  for (auto at = lossy.find("\xC5\x81"); at != std::string::npos; at = lossy.find("\xC5\x81", at)) {
    lossy.replace(at, 2, "?");
  }
  const json cohorts = json::parse(reports["canonical"]);
  ASSERT_FALSE(cohorts.empty());
  long members = 0;
  for (const auto& cohort : cohorts) members += cohort.value("cohort_size", 0L);
  EXPECT_GT(members, 100);
  EXPECT_EQ(reports["childview_style_example"], reports["canonical"]);
  EXPECT_EQ(reports["wide_style_example"], reports["canonical"]);
  EXPECT_NE(lossy, records["canonical"]) << "the data set should hold a name windows-1252 lacks";
  EXPECT_TRUE(records["childview_style_example"] == lossy) << "records differ";
  EXPECT_TRUE(records["wide_style_example"] == records["canonical"]) << "records differ";
}

TEST(SourceMappingTest, ExportLackingAColumnItsProfileReadsIsRejectedNamingTheColumn) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  // A clients file whose export lost its DOB column.
  dropText(
      in / "clients.csv",
      "Client Ref,Surname,Forename,Sex,Ethnicity,LAC Status,Team,Case Worker Email,Last Updated\r\n"
      "P1,Smith,Jo,F,White,N,North,cw@yot.example.org,01/03/2024 10:00\r\n");
  const auto db = dir / "cw.db";
  const auto config = writeConfig(
      dir / "cw.yaml", db,
      directorySourceYaml("childview", in, "      settle_seconds: 0\n      watch: false\n",
                          "childview_style_example"),
      shippedMappingsYaml());
  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("1 rejected whole"));
  EXPECT_THAT(filesIn(in / "rejected"), ElementsAre("clients.csv", "clients.csv.error.txt"));
  EXPECT_THAT(readFile(in / "rejected" / "clients.csv.error.txt"), HasSubstr("DOB"));
  const json status = sourceStatus(config, "childview");
  ASSERT_TRUE(status["last_error"].is_string()) << status.dump();
  EXPECT_THAT(status["last_error"].get<std::string>(), HasSubstr("DOB"));
  EXPECT_EQ(countRows(db, "people"), 0);
}

// Mapping features the shipped profiles do not use, through an inline profile: a file entry
// chosen by its header, a list of globs, d-mon-yyyy dates, a per-file date format, constants, an
// id derived from another field, a wide file carrying person columns, a BOM and CRLF, a value
// that passes through a non-strict map and is judged by canonical validation, and a strict map.
TEST(SourceMappingTest, InlineProfileFeaturesEndToEnd) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const std::string profile = R"(mappings:
  custom:
    encoding: utf-8
    date_format: d-mon-yyyy
    files:
      - layout: people
        columns: {person_id: Ref, date_of_birth: Born, first_name: Name}
        constants: {team: North, gender: other}
      - match: ["*cases*.csv", "*CASES*.txt"]
        layout: wide
        date_format: yyyymmdd
        columns:
          person_id: Ref
          date_of_birth: Born
          offence_id: Case
          offence_date: Committed
          outcome_id: {from: offence_id, prefix: "D-", suffix: "-1"}
          outcome_type: Result
          outcome_date: Decided
        values:
          outcome_type: {YC: youth_caution, RO: referral_order, CR: community_resolution}
      - match: "*flags*.csv"
        layout: people
        columns: {person_id: Ref, date_of_birth: Born, looked_after: LAC}
        values:
          looked_after: {Y: true, N: false}
        strict_values: [looked_after]
)";
  // Recognised by its header (no glob): the name says nothing.
  dropText(in / "export-0001.csv",
           "\xEF\xBB\xBFRef,Name,Born\r\nK1,Ana,4-Mar-2009\r\nK2,Ben,17-sep-2008\r\nK3,Cy,31-Feb-"
           "2009\r\n",
           300s);
  dropText(in / "north_cases_march.csv",
           "Ref,Born,Case,Committed,Result,Decided\n"
           "K1,20090304,C1,20240105,YC,20240110\n"
           "K1,20090304,C2,20240301,,\n"
           "K2,20080917,C3,20240201,RO,20240220\n"
           "K2,20080917,C4,20240202,XX,20240221\n",
           200s);
  dropText(in / "Flags.csv", "Ref,Born,LAC\nK1,4-Mar-2009,Y\nK2,17-Sep-2008,Q\n", 100s);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(
      dir / "cw.yaml", db,
      directorySourceYaml("custom", in, "      settle_seconds: 0\n      watch: false\n", "custom"),
      profile);
  const auto check = runCohortwatch({"check-config", "--config", config.string()});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("custom: 3 files taken, 0 already taken, 0 rejected whole"));

  EXPECT_EQ(dumpQuery(db,
                      "SELECT person_id, first_name, date_of_birth, gender, team, looked_after "
                      "FROM people ORDER BY person_id"),
            "K1|Ana|2009-03-04|other|North|1\nK2|Ben|2008-09-17|other|North|<null>\n");
  EXPECT_EQ(dumpOffences(db),
            "C1|K1|2024-01-05|<null>|<null>|<null>|0\n"
            "C2|K1|2024-03-01|<null>|<null>|<null>|0\n"
            "C3|K2|2024-02-01|<null>|<null>|<null>|0\n"
            "C4|K2|2024-02-02|<null>|<null>|<null>|0\n");
  EXPECT_EQ(dumpOutcomes(db),
            "D-C1-1|K1|C1|youth_caution|2024-01-10\nD-C3-1|K2|C3|referral_order|2024-02-20\n");

  // Rejected: a date that is no calendar day (named by the export's column), an outcome code
  // that passed through the non-strict map, and a code missing from the strict one.
  const json rejected = rejectedList(config, "custom");
  ASSERT_EQ(rejected.size(), 3U) << rejected.dump(2);
  std::map<std::string, std::string> reasons;
  for (const auto& row : rejected) {
    reasons[row.value("file", "") + ":" + std::to_string(row.value("line", 0))] =
        row.value("reason", "");
  }
  EXPECT_THAT(reasons["export-0001.csv:4"], HasSubstr("Born"));
  EXPECT_THAT(reasons["north_cases_march.csv:5"], HasSubstr("outcome_type"));
  EXPECT_THAT(reasons["Flags.csv:3"], HasSubstr("LAC"));
}

// ---------------------------------------------------------------------------------------------
// 8. Rejected rows through sources.

TEST(SourceRejectedTest, RowsForAChildNotYetKnownAreTakenOnceTheChildArrives) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"));
  dropText(
      in / "offences.csv",
      "offence_id,person_id,offence_date\nF1,C1,2024-02-01\nF2,C2,2024-03-01\nF3,C1,2024-04-01\n");
  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("drop: 1 files taken, 0 already taken, 0 rejected whole; 0 rows "
                                   "taken, 3 rejected"));
  const json rejected = rejectedList(config, "drop");
  ASSERT_EQ(rejected.size(), 3U) << rejected.dump(2);
  std::vector<std::string> where;
  for (const auto& row : rejected) {
    EXPECT_EQ(row.value("source", ""), "drop");
    EXPECT_EQ(row.value("kind", ""), "offences");
    EXPECT_THAT(row.value("reason", ""), HasSubstr("unknown child"));
    where.push_back(row.value("file", "") + ":" + std::to_string(row.value("line", 0)));
  }
  std::sort(where.begin(), where.end());
  EXPECT_THAT(where, ElementsAre("offences.csv:2", "offences.csv:3", "offences.csv:4"));
  EXPECT_EQ(rejectedList(config, "import").size(), 0U);
  EXPECT_EQ(countRows(db, "offences"), 0);

  dropText(in / "people.csv", "person_id,date_of_birth\nC1,2009-01-01\nC2,2009-02-02\n");
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("3 earlier rejected row(s) taken on retry"));
  EXPECT_EQ(dumpOffences(db),
            "F1|C1|2024-02-01|<null>|<null>|<null>|0\n"
            "F2|C2|2024-03-01|<null>|<null>|<null>|0\n"
            "F3|C1|2024-04-01|<null>|<null>|<null>|0\n");
  EXPECT_EQ(rejectedList(config).size(), 0U);
  EXPECT_EQ(queryNumber(db, "SELECT count(*) FROM events WHERE kind = 'offence_recorded'"), 3);
  // Ingest writes without SQLite's foreign-key checks: it must break no reference.
  EXPECT_EQ(dumpQuery(db, "PRAGMA foreign_key_check"), "");
}

// `sources` counts what a source brought in, as the run's own summary line does: rows taken on
// the automatic retry are rows taken.
TEST(SourceRejectedTest, SourcesCountsRowsTakenOnTheAutomaticRetry) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"));
  dropText(
      in / "offences.csv",
      "offence_id,person_id,offence_date\nF1,C1,2024-02-01\nF2,C1,2024-03-01\nF3,C1,2024-04-01\n");
  ASSERT_EQ(runOnce(config).exit_code, 0);
  dropText(in / "people.csv", "person_id,date_of_birth\nC1,2009-01-01\nC2,2009-02-02\n");
  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_THAT(run.err,
              HasSubstr("drop: 1 files taken, 0 already taken, 0 rejected whole; 5 rows taken"));
  ASSERT_EQ(rejectedList(config).size(), 0U);
  ASSERT_EQ(countRows(db, "offences") + countRows(db, "people"), 5);
  const json status = sourceStatus(config, "drop");
  EXPECT_EQ(status.value("rows_taken", -1), 5) << status.dump();
}

// A child's offences and the child may come through different sources (one folder or endpoint
// per system or per kind of file): rows rejected in one are taken once another brings the child.
TEST(SourceRejectedTest, RowsRejectedInOneSourceAreTakenOnceAnotherSourceBringsTheChild) {
  TempDir dir;
  const auto offences_in = dir / "offences-in";
  const auto people_in = dir / "people-in";
  fs::create_directory(offences_in);
  fs::create_directory(people_in);
  const auto db = dir / "cw.db";
  const std::string keys = "      settle_seconds: 0\n      watch: false\n";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("offence-drop", offences_in, keys) +
                                      directorySourceYaml("people-drop", people_in, keys));
  dropText(offences_in / "offences.csv", "offence_id,person_id,offence_date\nF1,C1,2024-02-01\n");
  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(rejectedList(config, "offence-drop").size(), 1U);

  dropText(people_in / "people.csv", "person_id,date_of_birth\nC1,2009-01-01\n");
  for (int run = 0; run < 2; ++run) {  // now, or at the latest on the next run
    const auto result = runOnce(config);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  EXPECT_EQ(countRows(db, "people"), 1);
  EXPECT_EQ(countRows(db, "offences"), 1) << "the offence waits for a retry that never comes";
  EXPECT_EQ(rejectedList(config).size(), 0U) << rejectedList(config).dump(2);
}

TEST(SourceRejectedTest, CodeMissingFromAStrictMapIsTakenOnRetryAfterTheProfileIsFixed) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const std::string shipped =
      readFile(sourceDir() / "config" / "mappings" / "childview_style_example.yaml");
  const std::string full_map = "gender: {M: male, F: female, O: other, U: unknown}";
  ASSERT_NE(shipped.find(full_map), std::string::npos);
  std::string broken = shipped;
  broken.replace(broken.find(full_map), full_map.size(),
                 "gender: {M: male, F: female, U: unknown}");
  const auto profile = dir / "myview.yaml";
  writeFile(profile, broken);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(
      dir / "cw.yaml", db,
      directorySourceYaml("myview", in, "      settle_seconds: 0\n      watch: false\n", "myview"),
      "mappings:\n  myview:\n    file: \"" + profile.string() + "\"\n");
  dropText(in / "clients.csv",
           "Client Ref,Surname,Forename,DOB,Sex,Ethnicity,LAC Status,Team,Case Worker Email,"
           "Record Status,Last Updated\r\n"
           "P1,Smith,Jo,01/02/2009,O,White,N,North,cw@yot.example.org,Open,01/03/2024 10:00\r\n"
           "P2,Jones,Sam,02/03/2009,M,White,N,North,cw@yot.example.org,Open,01/03/2024 10:00\r\n");
  const auto run = runOnce(config);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("1 rows taken, 1 rejected"));
  json rejected = rejectedList(config, "myview");
  ASSERT_EQ(rejected.size(), 1U) << rejected.dump(2);
  EXPECT_EQ(rejected[0].value("file", ""), "clients.csv");
  EXPECT_EQ(rejected[0].value("line", 0), 2);
  EXPECT_THAT(rejected[0].value("reason", ""), HasSubstr("Sex"));
  EXPECT_EQ(queryText(db, "SELECT person_id FROM people"), "P2");

  // Retrying before the fix changes nothing.
  auto retry = runCohortwatch({"rejected", "retry", "--config", config.string()});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("1 retried, 0 taken, 1 still rejected"));
  EXPECT_EQ(rejectedList(config, "myview").size(), 1U);

  writeFile(profile, shipped);  // the code is added to the map
  retry = runCohortwatch({"rejected", "retry", "--config", config.string(), "--source", "myview"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("1 retried, 1 taken, 0 still rejected"));
  EXPECT_EQ(rejectedList(config).size(), 0U);
  EXPECT_EQ(
      dumpQuery(
          db, "SELECT person_id, last_name, gender, date_of_birth FROM people ORDER BY person_id"),
      "P1|Smith|other|2009-02-01\nP2|Jones|male|2009-03-02\n");
}

// ---------------------------------------------------------------------------------------------
// 9. Change events: DOMAIN.md's worked example (moved two years earlier, so that every date is
// in the past on any clock after August 2024) arriving in two drops.

struct EventRow {
  std::string kind;
  std::string person;
  json detail;
};

std::vector<EventRow> eventsOf(const fs::path& db) {
  std::vector<EventRow> events;
  for (const auto& line : lines(dumpQuery(db,
                                          "SELECT e.kind, p.person_id, e.detail FROM events e JOIN "
                                          "people p ON p.id = e.person_ref "
                                          "ORDER BY e.id"))) {
    const auto first = line.find('|');
    const auto second = line.find('|', first + 1);
    events.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1),
                      json::parse(line.substr(second + 1))});
  }
  return events;
}

std::string summarise(const std::vector<EventRow>& events) {
  std::map<std::string, int> counts;
  for (const auto& event : events) {
    std::string key = event.kind;
    if (event.detail.contains("in_follow_up")) {
      key += event.detail["in_follow_up"].get<bool>() ? " in_follow_up" : " not_in_follow_up";
    }
    ++counts[key];
  }
  std::string text;
  for (const auto& [key, count] : counts) text += key + ": " + std::to_string(count) + "\n";
  return text;
}

TEST(SourceEventsTest, WorkedExampleInTwoDropsRecordsTheEventsItImplies) {
  TempDir dir;
  const auto in = dir / "in";
  fs::create_directory(in);
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  directorySourceYaml("drop", in,
                                                      "      settle_seconds: 0\n"
                                                      "      watch: false\n"));
  // Drop 1: child A (born 2006-05-10) cautioned on the day of the offence, 2023-02-03: index event
  // of 2023Q1 at 16, follow-up 2023-02-04 to 2024-02-03, proof by 2024-08-03. Child B only has a
  // community resolution: in no cohort.
  dropText(in / "people.csv",
           "person_id,first_name,last_name,date_of_birth,looked_after,updated_at\n"
           "A,Alex,Example,2006-05-10,false,2023-01-01T00:00:00Z\n"
           "B,Bea,Sample,2007-01-15,false,2023-01-01T00:00:00Z\n",
           300s);
  dropText(in / "offences.csv",
           "offence_id,person_id,offence_date,breach\n"
           "OA0,A,2023-02-03,false\n"
           "OA1,A,2023-06-01,false\n"
           "OB0,B,2023-03-01,false\n",
           300s);
  dropText(in / "outcomes.csv",
           "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
           "DA0,A,OA0,youth_caution,2023-02-03\n"
           "DB0,B,OB0,community_resolution,2023-03-10\n",
           300s);
  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_THAT(first.err, HasSubstr("drop: 3 files taken"));
  // Offences arrive before any outcome: none is in a follow-up yet. The caution proves the index
  // offence (committed on the index day: not in follow-up) and puts A in 2023Q1.
  EXPECT_EQ(summarise(eventsOf(db)),
            "cohort_entry: 1\n"
            "offence_proven not_in_follow_up: 1\n"
            "offence_recorded not_in_follow_up: 3\n");

  // Drop 2: the rest of the worked example for A, B cautioned in 2023Q3, and B now looked after.
  dropText(in / "people-2.csv",
           "person_id,date_of_birth,looked_after,updated_at\n"
           "B,2007-01-15,true,2023-08-01T00:00:00Z\n",
           200s);
  dropText(in / "offences-2.csv",
           "offence_id,person_id,offence_date,breach\n"
           "OA2,A,2023-11-02,false\n"   // community resolution only: pending, never counted
           "OA3,A,2023-07-01,true\n"    // a breach: in follow-up, never counted
           "OA4,A,2024-01-20,false\n"   // proven 2024-07-30: within the waiting period
           "OA5,A,2024-01-25,false\n"   // proven 2024-08-10: too late
           "OB1,B,2023-08-01,false\n",  // B is in no cohort yet
           200s);
  dropText(in / "outcomes-2.csv",
           "outcome_id,person_id,offence_id,outcome_type,outcome_date\n"
           "DA3,A,OA3,fine,2023-07-20\n"
           "DB1,B,OB1,youth_caution,2023-08-20\n"
           "DA1,A,OA1,referral_order,2023-09-15\n"
           "DA2,A,OA2,community_resolution,2023-11-20\n"
           "DA4,A,OA4,fine,2024-07-30\n"
           "DA5,A,OA5,conditional_discharge,2024-08-10\n",
           200s);
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  ASSERT_THAT(second.err, HasSubstr("drop: 3 files taken"));
  const auto events = eventsOf(db);
  // New: 4 offences in A's 2023Q1 follow-up and B's offence outside any; 5 proving outcomes (4 of
  // offences in a follow-up); A enters 2023Q3 (the fine of 2023-07-20, at 17) and B too (16); A's
  // 2024Q3 convictions come at 18, outside the youth cohort; B's looked_after change.
  EXPECT_EQ(summarise(events),
            "cohort_entry: 3\n"
            "offence_proven in_follow_up: 4\n"
            "offence_proven not_in_follow_up: 2\n"
            "offence_recorded in_follow_up: 4\n"
            "offence_recorded not_in_follow_up: 4\n"
            "person_changed: 1\n");
  std::vector<std::string> entries;
  for (const auto& event : events) {
    if (event.kind == "cohort_entry") {
      entries.push_back(event.person + " " + event.detail.value("cohort", "") + " " +
                        event.detail.value("outcome_id", "") + " " +
                        std::to_string(event.detail.value("age_at_index", 0)));
    }
    if (event.kind == "offence_recorded" && event.detail.value("offence_id", "") == "OA2") {
      EXPECT_EQ(event.detail["cohorts"], json::array({"2023Q1"})) << event.detail.dump();
    }
    if (event.kind == "offence_proven" && event.detail.value("offence_id", "") == "OA4") {
      EXPECT_EQ(event.detail["cohorts"], json::array({"2023Q1", "2023Q3"})) << event.detail.dump();
    }
    if (event.kind == "person_changed") {
      EXPECT_EQ(event.person, "B");
      EXPECT_EQ(event.detail.value("field", ""), "looked_after");
      EXPECT_EQ(event.detail.value("new", ""), "true");
    }
  }
  EXPECT_THAT(entries, ElementsAre("A 2023Q1 DA0 16", "A 2023Q3 DA3 17", "B 2023Q3 DB1 16"));
  EXPECT_EQ(queryNumber(db, "SELECT count(*) FROM events WHERE source <> 'drop'"), 0);

  // And the worked example's result: a reoffender with 2 reoffences, first on 2023-06-01.
  const json members = jsonOf({"report", "members", "--cohort", "2023Q1", "--as-of", "2024-12-31",
                               "--format", "json", "--config", config.string()});
  ASSERT_EQ(members.size(), 1U) << members.dump(2);
  EXPECT_EQ(members[0].value("person_id", ""), "A");
  EXPECT_EQ(members[0].value("proven_reoffences", -1), 2);
  EXPECT_EQ(members[0].value("pending_offences", -1), 1);
  EXPECT_EQ(members[0].value("first_reoffence_date", ""), "2023-06-01");
  EXPECT_TRUE(members[0].value("reoffended", false));
}

}  // namespace
}  // namespace cohortwatch::integration
