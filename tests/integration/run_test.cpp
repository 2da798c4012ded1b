// `cohortwatch run`: one cycle with --once, and as a long-running service that stops cleanly
// (exit 0) on SIGTERM and SIGINT, as systemd expects.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cli_runner.h"

extern char** environ;

namespace cohortwatch::integration {
namespace {

using ::testing::HasSubstr;

// Starts the service with stderr going to a file, waits until it says it started, sends
// `signal_number`, and returns its exit status (or -1 if it did not stop within 10 s).
int runUntilSignal(const TempDir& dir, int signal_number, std::string& log) {
  const std::string binary = cohortwatchBinary().string();
  const std::string db = (dir / "cw.db").string();
  const std::string log_path = (dir / "run.log").string();
  std::vector<std::string> args = {binary, "run", "--db", db, "--log-level", "info"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -2;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    log = readFile(dir / "run.log");
    if (log.find("cohortwatch started") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, signal_number);
  int status = 0;
  const auto stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < stop_deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      log = readFile(dir / "run.log");
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
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
