// `cohortwatch run`: one cycle with --once, and as a long-running service that stops cleanly
// (exit 0) on SIGTERM and SIGINT, as systemd expects.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "cli_runner.h"
#include "source_test_support.h"

namespace cohortwatch::integration {
namespace {

using ::testing::HasSubstr;

// Starts the service, waits until it says it started, sends `signal_number`, and returns its
// exit status (or -1 if it did not stop within 10 s).
int runUntilSignal(const TempDir& dir, int signal_number, std::string& log) {
  BackgroundService service({"run", "--db", (dir / "cw.db").string(), "--log-level", "info"},
                            dir / "run.log");
  EXPECT_TRUE(service.waitForLog("cohortwatch started", std::chrono::seconds(20))) << service.log();
  const int status = service.stop(signal_number, std::chrono::seconds(10));
  log = service.log();
  return status;
}

TEST(RunTest, OnceRunsOneCycleAndExitsZero) {
  TempDir dir;
  ASSERT_EQ(runCohortwatch({"generate", "--out", (dir / "data").string(), "--children", "300",
                            "--from", "2025-01-01", "--to", "2025-09-30"})
                .exit_code,
            0);
  ASSERT_EQ(runCohortwatch({"import", "--db", (dir / "cw.db").string(), (dir / "data/people.csv").string(),
                            (dir / "data/offences.csv").string(), (dir / "data/outcomes.csv").string()})
                .exit_code,
            0);
  const auto result = runCohortwatch({"run", "--once", "--db", (dir / "cw.db").string(), "--log-level", "info"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("cohortwatch started"));
  EXPECT_THAT(result.err, HasSubstr("cycle done"));
  // The cycle logs aggregate figures only: no names from people.csv appear in the log.
  EXPECT_THAT(result.err, HasSubstr("cohort 2025Q"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("O'Brien")));
}

TEST(RunTest, SigtermStopsTheServiceWithExitZero) {
  TempDir dir;
  std::string log;
  EXPECT_EQ(runUntilSignal(dir, SIGTERM, log), 0) << log;
  EXPECT_THAT(log, HasSubstr("stopping"));
}

TEST(RunTest, SigintStopsTheServiceWithExitZero) {
  TempDir dir;
  std::string log;
  EXPECT_EQ(runUntilSignal(dir, SIGINT, log), 0) << log;
}

TEST(RunTest, InvalidConfigurationIsRefusedAtStartWithExit2) {
  TempDir dir;
  writeFile(dir / "bad.yaml", "logging:\n  level: loud\n");
  const auto result = runCohortwatch({"run", "--once", "--config", (dir / "bad.yaml").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("bad.yaml:2:10: logging.level"));
}

}  // namespace
}  // namespace cohortwatch::integration
