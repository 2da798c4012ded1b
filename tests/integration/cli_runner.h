// Runs the real cohortwatch binary for the integration tests: no shell, stdout and stderr captured
// separately, a hard timeout (the child is killed and the test fails), and a private temporary
// folder per test so that tests can run in parallel.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace cohortwatch::integration {

struct CliResult {
  int exit_code = -1;  // the exit status, or 128 + signal number when killed by a signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct CliOptions {
  std::filesystem::path working_dir;  // empty: the test's own working directory
  std::vector<std::pair<std::string, std::string>> environment;  // added to (or replacing) ours
  std::chrono::seconds timeout{60};
};

// Runs `program` with `args` (argv[1..]). A failure to start, or running past the timeout, is a
// test failure (the result then has exit_code -1 and timed_out set for a timeout).
CliResult runProgram(const std::filesystem::path& program, const std::vector<std::string>& args,
                     const CliOptions& options = {});

// Runs the cohortwatch binary built with the tests.
CliResult runCohortwatch(const std::vector<std::string>& args, const CliOptions& options = {});

std::filesystem::path cohortwatchBinary();
std::filesystem::path sourceDir();

// A fresh, uniquely named folder under the system temporary folder, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Whole-file helpers that fail the test (by throwing) when the file cannot be read or written.
std::string readFile(const std::filesystem::path& file);
void writeFile(const std::filesystem::path& file, const std::string& content);

// Splits text into lines (without their "\n"); a final line without "\n" counts too.
std::vector<std::string> lines(const std::string& text);

}  // namespace cohortwatch::integration
