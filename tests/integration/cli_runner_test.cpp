// The runner the integration tests rely on: both streams captured in full without deadlock, exit
// codes and signals, environment and working directory, and a child that hangs is killed and
// fails the test. /bin/sh stands in for the product here.
#include "cli_runner.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <string>

namespace cohortwatch::integration {
namespace {

TEST(CliRunnerTest, CapturesLargeOutputOnBothStreamsSeparately) {
  // More than a pipe buffer on stderr before anything on stdout: a runner reading one stream at a
  // time would deadlock.
  const auto result = runProgram("/bin/sh", {"-c",
                                             "head -c 300000 /dev/zero | tr '\\000' e >&2; "
                                             "head -c 200000 /dev/zero | tr '\\000' o; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.err, std::string(300000, 'e'));
  EXPECT_EQ(result.out, std::string(200000, 'o'));
}

TEST(CliRunnerTest, PassesArgumentsWithoutAShellAndReportsSignals) {
  const auto echoed =
      runProgram("/bin/sh", {"-c", "printf '%s|' \"$@\"", "sh", "a b", "$HOME", ""});
  EXPECT_EQ(echoed.exit_code, 0);
  EXPECT_EQ(echoed.out, "a b|$HOME||");
  const auto killed = runProgram("/bin/sh", {"-c", "kill -9 $$"});
  EXPECT_EQ(killed.exit_code, 128 + 9);
}

TEST(CliRunnerTest, AddsEnvironmentAndSetsTheWorkingDirectory) {
  TempDir dir;
  CliOptions options;
  options.working_dir = dir.path();
  options.environment = {{"COHORTWATCH_IT_VALUE", "forty two"}};
  const auto result =
      runProgram("/bin/sh", {"-c", "printf '%s\\n' \"$COHORTWATCH_IT_VALUE\"; pwd -P"}, options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "forty two\n" + std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(CliRunnerTest, KillsAChildThatRunsPastTheTimeoutAndFails) {
  CliOptions options;
  options.timeout = std::chrono::seconds(1);
  CliResult result;
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    result = runProgram("/bin/sh", {"-c", "echo started; exec sleep 120"}, options);
  }
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.out, "started\n");
  ASSERT_EQ(failures.size(), 1);
  EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("timed out"),
            std::string::npos);
}

TEST(CliRunnerTest, TempDirIsUniqueAndRemoved) {
  std::filesystem::path kept;
  {
    TempDir first;
    TempDir second;
    EXPECT_NE(first.path(), second.path());
    EXPECT_TRUE(std::filesystem::is_directory(first.path()));
    writeFile(first / "file.txt", "text");
    kept = first.path();
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

}  // namespace
}  // namespace cohortwatch::integration
