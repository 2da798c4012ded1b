// The test servers that are Python scripts (tests/support/*_server.py) run as child processes:
// started with nothing of the test process's but the stdout and stderr given, sent SIGTERM if
// the test process dies first, and stopped so that none outlives the object that started it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cohortwatch::test_support {

// /usr/bin/python3 (the Debian one, with the modules the scripts need), or
// $COHORTWATCH_TEST_PYTHON; never `python3` from PATH, which may be another interpreter.
std::string testPython();

// tests/support in the source tree, where the scripts are.
std::filesystem::path supportDir();

// A new private folder <prefix>XXXXXX under $TMPDIR (or /tmp); throws std::system_error.
std::filesystem::path makeTempFolder(const char* prefix);

// The whole file, or "" when it cannot be read.
std::string readTextFile(const std::filesystem::path& path);

// Forks and execs args (args[0] a path) with stdout to `out_fd`, stderr to `err_fd` and stdin
// from /dev/null, no other descriptor inherited. Throws std::system_error when it cannot fork.
pid_t spawnChild(const std::vector<std::string>& args, int out_fd, int err_fd);

// SIGTERM, then SIGKILL when the child has not exited within 3 s; reaps it.
void stopChild(pid_t pid);

}  // namespace cohortwatch::test_support
